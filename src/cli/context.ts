/**
 * Everything a command touches arrives through one `Context`, so tests run commands in-process
 * without globals: streams, environment, clock, HTTP, the account store, the browser opener.
 *
 * @module
 */

import { lazyImport } from "../lazy.ts";
import { usageError } from "../errors.ts";
import { configDir as defaultConfigDir } from "../config/paths.ts";
import { keyStoreSetting, readSettings, type Settings } from "../config/settings.ts";
import { createFetch } from "../net/http.ts";
import { createNetwork } from "../net/network.ts";
import { AccountStore } from "../store/account_store.ts";
import { isRequestedKeySource, type KeySourceSelection } from "../store/key_source.ts";

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
  /** The account store of the config dir. */
  store(): AccountStore;
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

/** Seconds from an environment variable, or the fallback; a bad value is a usage error. */
export function secondsFromEnv(ctx: Pick<Context, "env">, name: string, fallback: number): number {
  const raw = ctx.env(name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) {
    throw usageError(`${name} must be a number of seconds, got "${raw}"`);
  }
  return value;
}

function textOutput(file: typeof Deno.stdout | typeof Deno.stderr): Output {
  const encoder = new TextEncoder();
  return {
    write(text) {
      const bytes = encoder.encode(text);
      let offset = 0;
      while (offset < bytes.length) offset += file.writeSync(bytes.subarray(offset));
    },
    isTerminal: file.isTerminal(),
  };
}

/** The context of a real process. */
export function processContext(signal: AbortSignal): Context {
  const env = (name: string) => {
    const value = Deno.env.get(name);
    return value === "" ? undefined : value;
  };
  const dir = defaultConfigDir(env, Deno.build.os);
  const debug = env("AXWAY_DEBUG") === "1";
  const stderr = textOutput(Deno.stderr);
  let store: AccountStore | undefined;
  let settings: Promise<Settings> | undefined;
  const ctx: Context = {
    stdout: textOutput(Deno.stdout),
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
    fetch: createFetch({
      timeoutMs: httpTimeoutMs(env),
      // Proxies and extra CAs: read, and clients built, on the first request only.
      network: createNetwork({
        rawEnv: (name) => Deno.env.get(name),
        settings: () => ctx.settings(),
      }),
      trace: debug ? (line) => stderr.write(`debug: ${line}\n`) : undefined,
    }),
    store: () =>
      store ??= new AccountStore({
        configDir: dir,
        keySource: keySelection(env, keyStoreSetting(dir)),
        onNotice: (message) => stderr.write(`note: ${message}\n`),
      }),
    settings: () => settings ??= readSettings(dir),
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

/**
 * The key source asked for by `AXWAY_KEY_STORE` (else `configured`, the settings key
 * `auth.keyStore`, else "auto") and `AXWAY_AUTH_PASSPHRASE`; `env` is also what the keychain
 * tools run with.
 */
export function keySelection(
  env: (name: string) => string | undefined,
  configured?: string,
): KeySourceSelection {
  const fromEnv = env("AXWAY_KEY_STORE");
  const requested = fromEnv ?? configured ?? "auto";
  if (!isRequestedKeySource(requested)) {
    const origin = fromEnv === undefined ? "auth.keyStore" : "AXWAY_KEY_STORE";
    throw usageError(`${origin} must be auto, keychain, file or passphrase, got "${requested}"`);
  }
  return { requested, passphrase: env("AXWAY_AUTH_PASSPHRASE"), env };
}

function httpTimeoutMs(env: (name: string) => string | undefined): number {
  const raw = env("AXWAY_HTTP_TIMEOUT");
  const seconds = raw === undefined ? 30 : Number(raw);
  return (Number.isFinite(seconds) && seconds > 0 ? seconds : 30) * 1000;
}
