/**
 * The OS keychain, reduced to what the store key needs: read and write one secret (a base64
 * string) filed under service "axway" and an account name.
 *
 * - Linux (and other Unix): the Secret Service through `secret-tool` (libsecret); the secret goes
 *   on stdin.
 * - macOS: the login keychain through `/usr/bin/security -i`, commands on stdin, so the secret is
 *   never on a command line.
 * - Windows: Credential Manager (a generic credential, persisted per user on this machine) through
 *   `Deno.dlopen` of advapi32 `CredReadW`/`CredWriteW`. Chosen over DPAPI through PowerShell: no
 *   child process (PowerShell costs about half a second a call), works inside a compiled binary
 *   (with `--allow-ffi`), and nothing is written next to the store.
 *
 * Every call that runs a tool is bounded by a timeout (3 s by default): the child is killed and a
 * KEYCHAIN error thrown, so a hung or missing keychain never hangs the CLI. Child processes get a
 * fixed list of variables from the environment they are given, never the whole process
 * environment.
 *
 * @module
 */

import { CliError } from "../errors.ts";

/** The keychain service every axway secret is filed under. */
export const KEYCHAIN_SERVICE = "axway";

/** Default bound on each keychain call. */
export const KEYCHAIN_TIMEOUT_MS = 3_000;

/** Reads an environment variable. */
export type EnvReader = (name: string) => string | undefined;

/** One keychain, holding secrets under service "axway". */
export interface Keychain {
  /** Its name for people, e.g. "Secret Service". */
  readonly label: string;
  /** The secret stored for `account`, or undefined when there is none. Throws KEYCHAIN. */
  get(account: string): Promise<string | undefined>;
  /** Stores the secret for `account`, replacing any. `label` names it in keychain UIs. */
  set(account: string, secret: string, label: string): Promise<void>;
}

/** What a keychain tool is run with. */
export interface CommandRequest {
  command: string;
  args: string[];
  /** Written to the child's stdin, which is then closed. */
  stdin: string;
  /** The child's whole environment. */
  env: Record<string, string>;
  timeoutMs: number;
}

/** How a keychain tool ended. */
export interface CommandResult {
  /** Exit code; -1 when it was killed after the timeout. */
  code: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Runs a keychain tool; throws `Deno.errors.NotFound` when it is not installed. */
export type CommandRunner = (request: CommandRequest) => Promise<CommandResult>;

/** The Credential Manager calls used on Windows (advapi32 and kernel32 through FFI). */
export interface WinCredApi {
  CredReadW(target: Uint8Array, type: number, flags: number, out: Uint8Array): number | boolean;
  CredWriteW(credential: Uint8Array, flags: number): number | boolean;
  CredFree(buffer: Deno.PointerValue): void;
  GetLastError(): number;
}

/** Injectable parts of the keychain (tests). */
export interface KeychainOptions {
  /** Default `Deno.build.os`. */
  os?: typeof Deno.build.os;
  /** Runs `secret-tool` / `security`; default `runCommand`. */
  run?: CommandRunner;
  /** Opens the Windows credential API; default `Deno.dlopen` of advapi32 and kernel32. */
  winCred?: () => WinCredApi;
  /** Bound on each call; default 3 s. */
  timeoutMs?: number;
}

/** The keychain's name for people on `os`. */
export function keychainLabel(os: typeof Deno.build.os = Deno.build.os): string {
  switch (os) {
    case "darwin":
      return "macOS Keychain";
    case "windows":
      return "Windows Credential Manager";
    default:
      return "Secret Service";
  }
}

/**
 * The keychain of `os`. Construction does no I/O. Variables passed to child processes are read
 * from `env` only (PATH, HOME, D-Bus and XDG variables, locale).
 */
export function osKeychain(env: EnvReader, options: KeychainOptions = {}): Keychain {
  const os = options.os ?? Deno.build.os;
  const run = options.run ?? runCommand;
  const timeoutMs = options.timeoutMs ?? KEYCHAIN_TIMEOUT_MS;
  switch (os) {
    case "darwin":
      return macKeychain(run, childEnv(env), timeoutMs);
    case "windows":
      return windowsKeychain(options.winCred ?? openWinCred);
    default:
      return secretServiceKeychain(run, childEnv(env), timeoutMs);
  }
}

/** Variables a keychain tool may need; nothing else is passed on. */
const PASSED_ENV = [
  "PATH",
  "HOME",
  "USER",
  "LOGNAME",
  "LANG",
  "LC_CTYPE",
  "TMPDIR",
  "DBUS_SESSION_BUS_ADDRESS",
  "XDG_RUNTIME_DIR",
  "XDG_DATA_HOME",
  "XDG_CONFIG_HOME",
  "XDG_CURRENT_DESKTOP",
  "DISPLAY",
  "WAYLAND_DISPLAY",
  "XAUTHORITY",
] as const;

function childEnv(env: EnvReader): Record<string, string> {
  const result: Record<string, string> = {};
  for (const name of PASSED_ENV) {
    const value = env(name);
    if (value !== undefined && value !== "") result[name] = value;
  }
  result.PATH ??= "/usr/local/bin:/usr/bin:/bin";
  const ctype = env("LC_ALL");
  if (ctype) result.LC_CTYPE = ctype;
  // Untranslated tool messages, so failures can be told apart.
  result.LC_MESSAGES = "C";
  return result;
}

// ---------------------------------------------------------------------------------------------
// Linux: Secret Service through secret-tool

function secretServiceKeychain(
  run: CommandRunner,
  env: Record<string, string>,
  timeoutMs: number,
): Keychain {
  const label = keychainLabel("linux");
  const secretTool = async (args: string[], stdin: string) => {
    try {
      return await run({ command: "secret-tool", args, stdin, env, timeoutMs });
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) {
        throw keychainError(
          "no keychain available: secret-tool is not installed (Debian/Ubuntu package " +
            "libsecret-tools, Fedora libsecret)",
          error,
        );
      }
      throw keychainError(`cannot run secret-tool: ${message(error)}`, error);
    }
  };
  return {
    label,
    async get(account) {
      checkAccount(account);
      const result = await secretTool(
        ["lookup", "service", KEYCHAIN_SERVICE, "account", account],
        "",
      );
      if (result.timedOut) throw timedOut(label, timeoutMs);
      if (result.code === 0) return result.stdout.trim();
      // Not found (or, with no prompt to unlock it, a locked keyring): exit 1, nothing said.
      if (result.code === 1 && result.stderr.trim() === "") return undefined;
      throw secretToolFailure(result);
    },
    async set(account, secret, itemLabel) {
      checkAccount(account);
      const result = await secretTool(
        ["store", `--label=${itemLabel}`, "service", KEYCHAIN_SERVICE, "account", account],
        secret,
      );
      if (result.timedOut) throw timedOut(label, timeoutMs);
      if (result.code !== 0) throw secretToolFailure(result);
    },
  };
}

function secretToolFailure(result: CommandResult): CliError {
  const line = firstLine(result.stderr).replace(/^secret-tool:\s*/, "") ||
    `secret-tool exited with code ${result.code}`;
  if (
    /autolaunch D-Bus|dbus-launch|address is empty|Could not connect|DBUS_SESSION_BUS_ADDRESS/i
      .test(line)
  ) {
    return keychainError(`no keychain available: no D-Bus session (${line})`);
  }
  if (/org\.freedesktop\.secrets|ServiceUnknown|not provided by any/i.test(line)) {
    return keychainError(`no keychain available: no Secret Service is running (${line})`);
  }
  return keychainError(`the OS keychain (Secret Service) failed: ${line}`);
}

// ---------------------------------------------------------------------------------------------
// macOS: /usr/bin/security in interactive mode

/** Absolute, so PATH cannot substitute another program. */
const SECURITY = "/usr/bin/security";
/** `security` exit status for errSecItemNotFound. */
const MAC_NOT_FOUND = 44;

function macKeychain(run: CommandRunner, env: Record<string, string>, timeoutMs: number): Keychain {
  const label = keychainLabel("darwin");
  // One command per run: in interactive mode the exit status is that of the last command.
  const security = async (line: string) => {
    let result: CommandResult;
    try {
      result = await run({ command: SECURITY, args: ["-i"], stdin: `${line}\n`, env, timeoutMs });
    } catch (error) {
      const detail = error instanceof Deno.errors.NotFound
        ? `${SECURITY} is missing`
        : `cannot run ${SECURITY}: ${message(error)}`;
      throw keychainError(`no keychain available: ${detail}`, error);
    }
    if (result.timedOut) throw timedOut(label, timeoutMs);
    return result;
  };
  const failure = (result: CommandResult) =>
    keychainError(
      `the OS keychain (macOS Keychain) failed: ${
        firstLine(result.stderr).replace(/^security:\s*/, "") ||
        `security exited with code ${result.code}`
      }`,
    );
  return {
    label,
    async get(account) {
      checkAccount(account);
      const result = await security(
        `find-generic-password -s ${KEYCHAIN_SERVICE} -a ${account} -w`,
      );
      const secret = result.stdout.trim();
      if (result.code === 0 && secret !== "") return secret;
      if (result.code === MAC_NOT_FOUND || /could not be found/i.test(result.stderr)) {
        return undefined;
      }
      throw failure(result);
    },
    async set(account, secret) {
      checkAccount(account);
      checkSecret(secret);
      const result = await security(
        `add-generic-password -U -s ${KEYCHAIN_SERVICE} -a ${account} -w ${secret}`,
      );
      if (result.code !== 0) throw failure(result);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Windows: Credential Manager through FFI

const CRED_TYPE_GENERIC = 1;
/** Kept for this user on this machine, across logons; not roamed. */
const CRED_PERSIST_LOCAL_MACHINE = 2;
const ERROR_NOT_FOUND = 1168;
/** Size of CREDENTIALW on 64-bit Windows, and the offsets used. */
export const CREDENTIAL_SIZE = 80;
const OFF_TYPE = 4;
const OFF_TARGET = 8;
const OFF_COMMENT = 16;
const OFF_BLOB_SIZE = 32;
const OFF_BLOB = 40;
const OFF_PERSIST = 48;
const OFF_USER = 72;

/** The Credential Manager target of `account`: "axway:<account>". */
export function credentialTarget(account: string): string {
  return `${KEYCHAIN_SERVICE}:${account}`;
}

/**
 * Windows Credential Manager. The calls are synchronous, in-process and local (no daemon, no
 * D-Bus), so no timeout applies: a synchronous FFI call cannot be interrupted, and the thread a
 * nonblocking call runs on would lose `GetLastError`.
 */
function windowsKeychain(open: () => WinCredApi): Keychain {
  const label = keychainLabel("windows");
  let api: WinCredApi | undefined;
  const lib = () => {
    try {
      return api ??= open();
    } catch (error) {
      throw keychainError(
        `no keychain available: cannot load the credential API (${message(error)})`,
      );
    }
  };
  return {
    label,
    // deno-lint-ignore require-await
    async get(account) {
      checkAccount(account);
      const cred = lib();
      const out = new Uint8Array(8);
      if (!cred.CredReadW(utf16z(credentialTarget(account)), CRED_TYPE_GENERIC, 0, out)) {
        const code = cred.GetLastError();
        if (code === ERROR_NOT_FOUND) return undefined;
        throw keychainError(`the OS keychain (${label}) failed: error ${code}`);
      }
      const pointer = Deno.UnsafePointer.create(new DataView(out.buffer).getBigUint64(0, true));
      try {
        const view = new Deno.UnsafePointerView(pointer!);
        const size = view.getUint32(OFF_BLOB_SIZE);
        const blob = view.getPointer(OFF_BLOB);
        const bytes = blob && size > 0
          ? new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(blob, size)).slice()
          : new Uint8Array();
        return new TextDecoder().decode(bytes);
      } finally {
        cred.CredFree(pointer);
      }
    },
    // deno-lint-ignore require-await
    async set(account, secret, itemLabel) {
      checkAccount(account);
      const cred = lib();
      const target = utf16z(credentialTarget(account));
      const user = utf16z(account);
      const comment = utf16z(itemLabel);
      const blob = new TextEncoder().encode(secret);
      const struct = credentialStruct({
        target: address(target),
        comment: address(comment),
        user: address(user),
        blob: address(blob),
        blobSize: blob.length,
      });
      if (!cred.CredWriteW(struct, 0)) {
        const code = cred.GetLastError();
        throw keychainError(`the OS keychain (${label}) failed: error ${code}`);
      }
      // The buffers must outlive the call: keep them referenced until here.
      void [target, user, comment, blob];
    },
  };
}

/** A CREDENTIALW (64-bit layout) for a generic, per-machine credential. */
export function credentialStruct(fields: {
  target: bigint;
  comment: bigint;
  user: bigint;
  blob: bigint;
  blobSize: number;
}): Uint8Array {
  const struct = new Uint8Array(CREDENTIAL_SIZE);
  const view = new DataView(struct.buffer);
  view.setUint32(OFF_TYPE, CRED_TYPE_GENERIC, true);
  view.setBigUint64(OFF_TARGET, fields.target, true);
  view.setBigUint64(OFF_COMMENT, fields.comment, true);
  view.setUint32(OFF_BLOB_SIZE, fields.blobSize, true);
  view.setBigUint64(OFF_BLOB, fields.blob, true);
  view.setUint32(OFF_PERSIST, CRED_PERSIST_LOCAL_MACHINE, true);
  view.setBigUint64(OFF_USER, fields.user, true);
  return struct;
}

/** NUL-terminated UTF-16LE. */
export function utf16z(text: string): Uint8Array {
  const bytes = new Uint8Array((text.length + 1) * 2);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < text.length; i++) view.setUint16(i * 2, text.charCodeAt(i), true);
  return bytes;
}

function address(buffer: Uint8Array): bigint {
  return BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(buffer)));
}

function openWinCred(): WinCredApi {
  const advapi = Deno.dlopen("advapi32.dll", {
    CredReadW: { parameters: ["buffer", "u32", "u32", "buffer"], result: "i32" },
    CredWriteW: { parameters: ["buffer", "u32"], result: "i32" },
    CredFree: { parameters: ["pointer"], result: "void" },
  });
  const kernel = Deno.dlopen("kernel32.dll", {
    GetLastError: { parameters: [], result: "u32" },
  });
  return { ...advapi.symbols, GetLastError: kernel.symbols.GetLastError };
}

// ---------------------------------------------------------------------------------------------
// Running tools with a timeout

/**
 * Runs a tool with piped stdio and `clearEnv`. After `timeoutMs` the child is killed and our
 * ends of its pipes closed (a grandchild holding them cannot keep the CLI alive); the result then
 * has `timedOut`. A missing tool throws `Deno.errors.NotFound`.
 */
export async function runCommand(request: CommandRequest): Promise<CommandResult> {
  const child = new Deno.Command(request.command, {
    args: request.args,
    env: request.env,
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stdout = collect(child.stdout);
  const stderr = collect(child.stderr);
  const work = (async (): Promise<CommandResult> => {
    const writer = child.stdin.getWriter();
    try {
      await writer.write(new TextEncoder().encode(request.stdin));
      await writer.close();
    } catch {
      // The child exited without reading its input; its status tells the rest.
    }
    const [status, out, err] = await Promise.all([child.status, stdout.text, stderr.text]);
    return { code: status.code, stdout: out, stderr: err, timedOut: false };
  })();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), request.timeoutMs);
  });
  const result = await Promise.race([work, timeout]);
  clearTimeout(timer);
  if (result) return result;
  try {
    child.kill("SIGKILL");
  } catch {
    // it has just exited
  }
  await Promise.all([stdout.cancel(), stderr.cancel()]);
  await work.catch(() => {});
  return { code: -1, stdout: "", stderr: "", timedOut: true };
}

function collect(stream: ReadableStream<Uint8Array>) {
  const reader = stream.getReader();
  const text = (async () => {
    const chunks: Uint8Array[] = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
    }
    return new TextDecoder().decode(await new Blob(chunks as BlobPart[]).arrayBuffer());
  })();
  return { text, cancel: () => reader.cancel().catch(() => {}) };
}

// ---------------------------------------------------------------------------------------------

/** Account names are ours ("store-key:<hex>"); anything else could inject into `security -i`. */
const ACCOUNT_PATTERN = /^[A-Za-z0-9][A-Za-z0-9:._-]{0,127}$/;

function checkAccount(account: string): void {
  if (!ACCOUNT_PATTERN.test(account)) {
    throw keychainError(`invalid keychain account name "${account}"`);
  }
}

function checkSecret(secret: string): void {
  if (!/^[A-Za-z0-9+/=]+$/.test(secret)) throw keychainError("the keychain secret must be base64");
}

function timedOut(label: string, timeoutMs: number): CliError {
  return keychainError(
    `the OS keychain (${label}) did not answer within ${seconds(timeoutMs)} s`,
  );
}

function keychainError(text: string, cause?: unknown): CliError {
  return new CliError("KEYCHAIN", text, { cause });
}

function seconds(ms: number): string {
  return String(Math.round(ms / 100) / 10);
}

function firstLine(text: string): string {
  return text.trim().split("\n")[0]?.trim() ?? "";
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
