/**
 * The hot commands — `auth token`, which scripts call hundreds of times, `auth ls` and the
 * service-account `auth login` of CI jobs — run without loading the command framework: their
 * options are recognised here. Anything else
 * (help, an unknown or malformed option) returns undefined and goes through the full parser,
 * which reports it.
 *
 * @module
 */

import { lazyImport } from "../lazy.ts";
import type { ListOptions } from "./commands/list.ts";
import type { LoginOptions } from "./commands/login.ts";
import type { TokenOptions } from "./commands/token.ts";
import type { Context } from "./context.ts";

/** `auth` subcommands that have a fast path. */
export const FAST_COMMANDS: ReadonlySet<string> = new Set(["token", "ls", "list", "login"]);

const ENVIRONMENT_OPTIONS = {
  "--env": "env",
  "--base-url": "baseUrl",
  "--realm": "realm",
  "--platform-url": "platformUrl",
} as const;

/** Per command: options taking a value (→ option key), and switches (→ key and value set). */
const SPECS = {
  token: { values: { ...ENVIRONMENT_OPTIONS, "--account": "account" }, switches: {} },
  list: { values: ENVIRONMENT_OPTIONS, switches: {} },
  login: {
    values: {
      ...ENVIRONMENT_OPTIONS,
      "--client-id": "clientId",
      "--client-secret": "clientSecret",
      "-c": "clientSecret",
      "--secret-file": "secretFile",
      "-s": "secretFile",
    },
    switches: {
      "--service": ["service", true],
      "--force": ["force", true],
      "--device": ["device", true],
      "--no-launch-browser": ["launchBrowser", false],
    },
  },
} as const;

/** A hot command with its options. */
export type FastCommand =
  | { command: "token"; options: TokenOptions; color: boolean }
  | { command: "list"; options: ListOptions; color: boolean }
  | { command: "login"; options: LoginOptions; color: boolean };

/**
 * Parses `auth token|ls|list|login …`, or returns undefined to defer to the full parser. Only the
 * plain spellings are taken (`--opt value`, `--opt=value`, `-c value`); anything else — help, an
 * unknown option, an option value that looks like an option, `--` — goes to commander, so both
 * parsers always agree.
 */
export function parseFastPath(args: string[]): FastCommand | undefined {
  if (args[0] !== "auth" || !FAST_COMMANDS.has(args[1])) return undefined;
  const command = args[1] === "token" ? "token" : args[1] === "login" ? "login" : "list";
  const spec = SPECS[command];
  const values: Record<string, string | undefined> = spec.values;
  const switches: Record<string, readonly [string, boolean] | undefined> = spec.switches;
  const options: Record<string, string | boolean> = command === "login"
    ? { json: false, service: false, force: false, device: false, launchBrowser: true }
    : { json: false };
  let color = true;
  const rest = args.slice(2);
  for (let index = 0; index < rest.length; index++) {
    const arg = rest[index];
    if (arg === "--json") options.json = true;
    else if (arg === "--no-color") color = false;
    else if (arg === "--no-banner") continue;
    else if (switches[arg]) {
      const [key, value] = switches[arg]!;
      options[key] = value;
    } else {
      const [flag, inline] = arg.startsWith("--") && arg.includes("=")
        ? arg.split(/=(.*)/s, 2)
        : [arg, undefined];
      const key = values[flag];
      if (!key) return undefined;
      const value = inline ?? rest[++index];
      if (value === undefined) return undefined;
      // "-" is a value (`--client-secret -` reads stdin); "-x" would be commander's to judge.
      if (inline === undefined && value.startsWith("-") && value !== "-") return undefined;
      options[key] = value;
    }
  }
  // The spec tables above give exactly the keys of each command's options type.
  return { command, options, color } as unknown as FastCommand;
}

/** Runs a hot command; returns the exit code. */
export async function runFastPath(ctx: Context, fast: FastCommand): Promise<number> {
  if (!fast.color) ctx.color = false;
  const { reportError } = await lazyImport<typeof import("./output.ts")>(
    import.meta.resolve("./output.ts"),
  );
  try {
    if (fast.command === "login") {
      const { runLogin } = await lazyImport<typeof import("./commands/login.ts")>(
        import.meta.resolve("./commands/login.ts"),
      );
      await runLogin(ctx, fast.options);
    } else if (fast.command === "token") {
      const { runToken } = await lazyImport<typeof import("./commands/token.ts")>(
        import.meta.resolve("./commands/token.ts"),
      );
      await runToken(ctx, fast.options);
    } else {
      const { runList } = await lazyImport<typeof import("./commands/list.ts")>(
        import.meta.resolve("./commands/list.ts"),
      );
      await runList(ctx, fast.options);
    }
    return 0;
  } catch (error) {
    return reportError(ctx, error, fast.options.json);
  }
}
