/**
 * The one error type every command throws for expected failures. It carries the process exit
 * code and a stable JSON error code, so rendering never has to guess.
 *
 * @module
 */

/** Exit codes of the CLI (see README "Exit codes"). */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  authRequired: 4,
  cancelled: 130,
} as const;

/** Stable codes shown as `error.code` in `--json` output. */
export type ErrorCode =
  | "NOT_FOUND"
  | "INVALID_CLIENT"
  | "PROVIDER_ERROR"
  | "NETWORK_ERROR"
  | "TLS_ERROR"
  | "STORE_UNREADABLE"
  | "KEY_FILE"
  | "KEYCHAIN"
  | "TIMEOUT"
  | "ACCESS_DENIED"
  | "USAGE"
  | "AUTH_REQUIRED"
  | "CANCELLED"
  | "FAILURE";

const exitByCode: Partial<Record<ErrorCode, number>> = {
  USAGE: ExitCode.usage,
  AUTH_REQUIRED: ExitCode.authRequired,
  CANCELLED: ExitCode.cancelled,
};

/** An expected failure: one-line message, optional hint line, exit code derived from `code`. */
export class CliError extends Error {
  /** JSON error code. */
  readonly code: ErrorCode;
  /** Optional second line telling the user what to do next. */
  readonly hint?: string;
  /** Process exit code. */
  readonly exitCode: number;
  /** The command already printed its result (e.g. `[]`); only the exit code is left to give. */
  readonly silent: boolean;

  constructor(
    code: ErrorCode,
    message: string,
    options: { hint?: string; cause?: unknown; silent?: boolean } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "CliError";
    this.code = code;
    this.hint = options.hint;
    this.silent = options.silent ?? false;
    this.exitCode = exitByCode[code] ?? ExitCode.failure;
  }
}

/** Shorthand for a usage error (exit 2). */
export function usageError(message: string, hint?: string): CliError {
  return new CliError("USAGE", message, { hint });
}

/**
 * Text from outside (a provider's message, what the user typed) made safe for a terminal: control
 * characters other than line breaks, escape sequences and bidirectional overrides become `?`.
 */
export function withoutControlCharacters(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g, "?");
}
