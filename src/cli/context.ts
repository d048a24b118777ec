/**
 * Everything a command touches arrives through one `Context`, so tests run commands in-process
 * without globals: streams, environment, clock, HTTP, the account store, the browser opener.
 *
 * @module
 */

import { lazyImport } from "../lazy.ts";
import { configDir as defaultConfigDir } from "../config/paths.ts";
import type { Settings } from "../config/settings.ts";
import type { AccountStore } from "../store/account_store.ts";

/** A text sink (stdout or stderr). */
export interface Output {
  write(text: string): void;
  /** True when it is an interactive terminal. */
  readonly isTerminal: boolean;
}

/** Standard input. */
export interface Input {
  readonly isTerminal: boolean;
  /** Reads all of stdin as text. */
  readAll(): Promise<string>;
  /** The raw stream, for line-by-line reading while waiting for a browser. */
  readable(): ReadableStream<Uint8Array>;
}

/** What commands run against. */
export interface Context {
  stdout: Output;
  stderr: Output;
  stdin: Input;
  /** Reads an environment variable (empty strings count as unset). */
  env(name: string): string | undefined;
  /** `Deno.build.os`. */
  os: typeof Deno.build.os;
  /** Milliseconds since the epoch. */
  now(): number;
  /** The config dir. */
  configDir: string;
  /** The one fetch (timeouts, proxy, CA). */
  fetch: typeof fetch;
  /** The account store of the config dir (loaded on first use). */
  store(): Promise<AccountStore>;
  /** The settings file, read once. */
  settings(): Promise<Settings>;
  /** Opens a URL in the user's browser; throws when no browser could be started. */
  openBrowser(url: string): Promise<void>;
  /** Aborted on Ctrl-C. */
  signal: AbortSignal;
  /** Whether to colour text output. */
  color: boolean;
  /** `AXWAY_DEBUG=1`: stack traces and request traces. */
  debug: boolean;
}

function textOutput(
  file: typeof Deno.stdout | typeof Deno.stderr,
  options: { quietOnBrokenPipe?: boolean } = {},
): Output {
  const encoder = new TextEncoder();
  return {
    write(text) {
      const bytes = encoder.encode(text);
      let offset = 0;
      try {
        while (offset < bytes.length) offset += file.writeSync(bytes.subarray(offset));
      } catch (error) {
        // `axway auth ls | head -1`: the reader is gone, which is not a failure of ours.
        if (error instanceof Deno.errors.BrokenPipe) {
          if (options.quietOnBrokenPipe) Deno.exit(0);
          return;
        }
        throw error;
      }
    },
    isTerminal: file.isTerminal(),
  };
}

/** The context of a real process. Modules a command may not need load on first use. */
export function processContext(signal: AbortSignal): Context {
  const env = (name: string) => {
    const value = Deno.env.get(name);
    return value === "" ? undefined : value;
  };
  const dir = resolveConfigDir(defaultConfigDir(env, Deno.build.os));
  const debug = env("AXWAY_DEBUG") === "1";
  const stderr = textOutput(Deno.stderr);
  let store: Promise<AccountStore> | undefined;
  let settings: Promise<Settings> | undefined;
  let configuredFetch: Promise<typeof fetch> | undefined;
  const ctx: Context = {
    stdout: textOutput(Deno.stdout, { quietOnBrokenPipe: true }),
    stderr,
    stdin: {
      isTerminal: Deno.stdin.isTerminal(),
      readAll: () => new Response(Deno.stdin.readable).text(),
      readable: () => Deno.stdin.readable,
    },
    env,
    os: Deno.build.os,
    now: () => Date.now(),
    configDir: dir,
    fetch: async (input, init) => {
      configuredFetch ??= (async () => {
        const [{ createFetch }, { createNetwork }, { parseSeconds }] = await Promise.all([
          lazyImport<typeof import("../net/http.ts")>(import.meta.resolve("../net/http.ts")),
          lazyImport<typeof import("../net/network.ts")>(import.meta.resolve("../net/network.ts")),
          lazyImport<typeof import("../config/seconds.ts")>(
            import.meta.resolve("../config/seconds.ts"),
          ),
        ]);
        return createFetch({
          timeoutMs: parseSeconds("AXWAY_HTTP_TIMEOUT", env("AXWAY_HTTP_TIMEOUT"), 30, {
            max: 3600,
          }) * 1000,
          // Proxies and extra CAs: read, and clients built, on the first request only.
          network: createNetwork({
            rawEnv: (name) => Deno.env.get(name),
            settings: () => ctx.settings(),
          }),
          trace: debug ? (line) => stderr.write(`debug: ${line}\n`) : undefined,
        });
      })();
      return (await configuredFetch)(input, init);
    },
    store: () =>
      store ??= (async () => {
        const [{ AccountStore }, { keySelection }, { keyStoreSetting }] = await Promise.all([
          lazyImport<typeof import("../store/account_store.ts")>(
            import.meta.resolve("../store/account_store.ts"),
          ),
          lazyImport<typeof import("../store/key_source.ts")>(
            import.meta.resolve("../store/key_source.ts"),
          ),
          lazyImport<typeof import("../config/settings.ts")>(
            import.meta.resolve("../config/settings.ts"),
          ),
        ]);
        return new AccountStore({
          configDir: dir,
          keySource: keySelection(env, keyStoreSetting(dir)),
          onNotice: (message) => stderr.write(`note: ${message}\n`),
        });
      })(),
    settings: () =>
      settings ??= lazyImport<typeof import("../config/settings.ts")>(
        import.meta.resolve("../config/settings.ts"),
      ).then(({ readSettings }) => readSettings(dir)),
    openBrowser: async (url) => {
      const { openBrowser } = await lazyImport<typeof import("../auth/browser.ts")>(
        import.meta.resolve("../auth/browser.ts"),
      );
      await openBrowser(url, { env, os: Deno.build.os });
    },
    signal,
    color: env("NO_COLOR") === undefined && Deno.stdout.isTerminal(),
    debug,
  };
  return ctx;
}

/** A relative config dir is taken from the current directory once, at start-up. */
function resolveConfigDir(dir: string): string {
  if (dir.startsWith("/") || /^[A-Za-z]:[\\/]/.test(dir) || dir.startsWith("\\\\")) return dir;
  return `${Deno.cwd()}${Deno.build.os === "windows" ? "\\" : "/"}${dir}`;
}
