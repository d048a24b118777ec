/**
 * Where the store's AES-256-GCM key comes from: a key file, a passphrase, or the OS keychain. The
 * store header names the source, so an existing store is always opened with the source it was
 * written with, without probing.
 *
 * @module
 */

import { CliError, usageError } from "../errors.ts";
import { joinPath } from "./atomic.ts";
import {
  type EnvReader,
  type Keychain,
  KEYCHAIN_SERVICE,
  keychainLabel,
  type KeychainOptions,
  osKeychain,
} from "./keychain.ts";

/** Names of key sources, as recorded in the store header. */
export type KeySourceName = "file" | "passphrase" | "keychain";

/** What AXWAY_KEY_STORE may ask for. */
export type RequestedKeySource = "auto" | KeySourceName;

/** Non-secret key-source parameters recorded in the store header (e.g. salt, iterations). */
export type KeyParams = { readonly [name: string]: string | number };

/** A key and the parameters to record in the header of a store written with it. */
export interface SourcedKey {
  key: CryptoKey;
  params?: KeyParams;
}

/** A source of the store key. */
export interface KeySource {
  readonly name: KeySourceName;
  /**
   * Returns the AES-256-GCM key for a store whose header carries `params`. With `create` (a new
   * store) a fresh key is generated and persisted as needed. Also returns the params to record in
   * the header. Throws STORE_UNREADABLE when the key cannot be had (KEYCHAIN for the keychain).
   */
  key(params: KeyParams | undefined, create: boolean): Promise<SourcedKey>;
  /** Human description of where the key lives, e.g. "key file /x/store.key". */
  describe(): string;
}

/** How to pick the key source: the caller passes what the environment says. */
export interface KeySourceSelection {
  /**
   * AXWAY_KEY_STORE (or the settings key auth.keyStore); default "auto": the passphrase when one
   * is set, else the OS keychain when one answers, else the key file. Applies to NEW stores (and
   * `rekey`) only.
   */
  requested?: RequestedKeySource;
  /** AXWAY_AUTH_PASSPHRASE; an empty string counts as unset. */
  passphrase?: string;
  /** PBKDF2 iterations for a NEW passphrase store (tests lower it); default 600,000. */
  iterations?: number;
  /**
   * The environment the keychain tools run with; only PATH, HOME, USER, locale, D-Bus, XDG and
   * display variables are passed on. Default: none (on Linux no Secret Service is then reachable).
   */
  env?: EnvReader;
  /** Keychain internals (tests): OS, command runner, Windows credential API, timeout. */
  keychain?: KeychainOptions;
}

/** A key for a new store, with its source and, when `auto` fell back, a notice for stderr. */
export interface NewStoreKey extends SourcedKey {
  source: KeySource;
  /** Said once on stderr: `auto` found no keychain and used the key file. */
  notice?: string;
}

/** Thrown by `KeySource.key` when the header's params are unusable; the store turns it into
 * STORE_UNREADABLE naming the file. */
export class KeyParamsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KeyParamsError";
  }
}

/** File name of the key file inside the config dir. */
export const KEY_FILE_NAME = "store.key";

/** PBKDF2-SHA256 iterations for new passphrase stores. */
export const DEFAULT_PBKDF2_ITERATIONS = 600_000;

const KEY_BYTES = 32;
const SALT_BYTES = 16;
const MAX_ITERATIONS = 10_000_000;
const KDF_NAME = "PBKDF2-SHA256";
const requestedNames: readonly string[] = ["auto", "file", "passphrase", "keychain"];

/** Whether `value` is a valid AXWAY_KEY_STORE value. */
export function isRequestedKeySource(value: string): value is RequestedKeySource {
  return requestedNames.includes(value);
}

/** Whether `value` names a key source (as a store header does). */
export function isKeySourceName(value: unknown): value is KeySourceName {
  return value === "file" || value === "passphrase" || value === "keychain";
}

/**
 * Picks the key source. For an EXISTING store (`existing` given) exactly the source its header
 * names; for a new store the requested one (`auto`: passphrase if set, else the keychain, which
 * `newStoreKey` replaces by the key file when no keychain answers). Does no I/O.
 */
export function chooseKeySource(
  configDir: string,
  selection: KeySourceSelection,
  existing?: { keySource: KeySourceName; path: string },
): KeySource {
  const passphrase = selection.passphrase || undefined;
  if (existing) {
    switch (existing.keySource) {
      case "file":
        return fileKeySource(configDir);
      case "passphrase":
        if (passphrase === undefined) {
          throw new CliError(
            "STORE_UNREADABLE",
            `${existing.path} is encrypted with a passphrase: set AXWAY_AUTH_PASSPHRASE`,
          );
        }
        return passphraseKeySource(passphrase, { iterations: selection.iterations });
      case "keychain":
        return keychainKeySource(configDir, keychainOf(selection));
    }
  }
  const requested = selection.requested ?? "auto";
  switch (requested) {
    case "auto":
      return passphrase === undefined
        ? keychainKeySource(configDir, keychainOf(selection))
        : passphraseKeySource(passphrase, { iterations: selection.iterations });
    case "file":
      return fileKeySource(configDir);
    case "passphrase":
      if (passphrase === undefined) {
        throw usageError(
          "AXWAY_KEY_STORE=passphrase needs a passphrase: set AXWAY_AUTH_PASSPHRASE",
        );
      }
      return passphraseKeySource(passphrase, { iterations: selection.iterations });
    case "keychain":
      return keychainKeySource(configDir, keychainOf(selection));
    default:
      throw usageError(
        `unknown AXWAY_KEY_STORE value "${requested}"`,
        "use auto, file, passphrase or keychain",
      );
  }
}

/**
 * A key for a NEW store (or a rekey) from the source `selection` asks for. With `auto` and no
 * passphrase, storing the key in the keychain is the probe: when no keychain answers (missing,
 * no D-Bus session, locked, or silent for 3 s) the key file is used and `notice` says so. An
 * explicit `keychain` that fails throws KEYCHAIN.
 */
export async function newStoreKey(
  configDir: string,
  selection: KeySourceSelection,
): Promise<NewStoreKey> {
  const source = chooseKeySource(configDir, selection);
  try {
    return { source, ...await source.key(undefined, true) };
  } catch (error) {
    if (!(error instanceof CliError && error.code === "KEYCHAIN")) throw error;
    if ((selection.requested ?? "auto") !== "auto") {
      throw new CliError("KEYCHAIN", error.message, {
        hint: error.hint ?? "set AXWAY_KEY_STORE to file or passphrase to keep the key elsewhere",
        cause: error,
      });
    }
    const file = fileKeySource(configDir);
    return {
      source: file,
      ...await file.key(undefined, true),
      notice: `${error.message}; the account store key is kept in ${file.describe()} instead ` +
        "(set AXWAY_KEY_STORE to choose)",
    };
  }
}

/** Where the key of a store using key source `name` lives, without needing the key. */
export function describeKeySource(
  configDir: string,
  name: KeySourceName,
  os: typeof Deno.build.os = Deno.build.os,
): string {
  switch (name) {
    case "file":
      return `key file ${joinPath(configDir, KEY_FILE_NAME)}`;
    case "passphrase":
      return "passphrase (AXWAY_AUTH_PASSPHRASE)";
    case "keychain":
      return `OS keychain (${keychainLabel(os)}), service ${KEYCHAIN_SERVICE}`;
  }
}

/** Where the key of a store not yet created would live; does no I/O. */
export function describeNewKeySource(configDir: string, selection: KeySourceSelection): string {
  const source = chooseKeySource(configDir, selection);
  if (source.name === "keychain" && (selection.requested ?? "auto") === "auto") {
    return `${source.describe()} when one answers, else ${describeKeySource(configDir, "file")}`;
  }
  return source.describe();
}

/**
 * The keychain account of the store key of `configDir`: "store-key:" and the first 16 hex digits
 * of SHA-256 of the config dir path, so two config dirs never share a key.
 */
export async function keychainAccount(configDir: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(configDir));
  return `store-key:${new Uint8Array(digest).toHex().slice(0, 16)}`;
}

const KEYCHAIN_ACCOUNT = /^store-key:[0-9a-f]{16}$/;

/**
 * A key source keeping 32 random bytes (base64) in the OS keychain under service "axway" and
 * account `keychainAccount(configDir)`, recorded in the store header so the store still opens when
 * its config dir moves. Creating reuses a valid key already filed under that account (a rekey to
 * the keychain never overwrites a key some store may still need). Nothing is written to disk.
 */
export function keychainKeySource(configDir: string, keychain: Keychain): KeySource {
  const where = `OS keychain (${keychain.label}), service ${KEYCHAIN_SERVICE}`;
  return {
    name: "keychain",
    describe: () => where,
    async key(params, create) {
      if (create) {
        const account = await keychainAccount(configDir);
        let bytes = decodeKey(await keychain.get(account));
        if (bytes === undefined) {
          bytes = crypto.getRandomValues(new Uint8Array(KEY_BYTES));
          await keychain.set(account, bytes.toBase64(), `axway account store key (${configDir})`);
        }
        return {
          key: await importAesKey(bytes),
          params: { service: KEYCHAIN_SERVICE, account },
        };
      }
      const account = params === undefined
        ? await keychainAccount(configDir)
        : parseKeychainParams(params);
      let secret: string | undefined;
      try {
        secret = await keychain.get(account);
      } catch (error) {
        if (!(error instanceof CliError)) throw error;
        throw new CliError("KEYCHAIN", `cannot get the account store key: ${error.message}`, {
          hint: "the store was left untouched; retry where the keychain is available (for " +
            "example in your desktop session), or unlock it",
          cause: error,
        });
      }
      if (secret === undefined) {
        throw new CliError(
          "KEYCHAIN",
          `the store key is not in the ${where}, account ${account}; the store was left untouched`,
          {
            hint: "if the keychain is locked, unlock it and retry; otherwise restore the entry, " +
              "or move the store away and sign in again",
          },
        );
      }
      const bytes = decodeKey(secret);
      if (bytes === undefined) {
        throw new CliError(
          "KEYCHAIN",
          `the ${where} entry of account ${account} is not a valid axway store key; the store ` +
            "was left untouched",
          { hint: "restore the entry, or move the store away and sign in again" },
        );
      }
      return { key: await importAesKey(bytes), params };
    },
  };
}

function keychainOf(selection: KeySourceSelection): Keychain {
  return osKeychain(selection.env ?? (() => undefined), selection.keychain);
}

function parseKeychainParams(params: KeyParams): string {
  const { service, account } = params;
  if (service !== undefined && service !== KEYCHAIN_SERVICE) {
    throw unreadableHeader(`an unknown keychain service "${String(service)}"`);
  }
  if (typeof account !== "string" || !KEYCHAIN_ACCOUNT.test(account)) {
    throw unreadableHeader("an invalid keychain account");
  }
  return account;
}

/** The 32 key bytes of a base64 secret; undefined when absent or not one. */
function decodeKey(secret: string | undefined): Uint8Array<ArrayBuffer> | undefined {
  if (secret === undefined) return undefined;
  try {
    const bytes = Uint8Array.fromBase64(secret.trim());
    return bytes.length === KEY_BYTES ? bytes : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A key source keeping 32 random bytes in `<configDir>/store.key` (mode 0600). The key file is
 * created only for a new store, and never regenerated for an existing one.
 */
export function fileKeySource(configDir: string): KeySource {
  const path = joinPath(configDir, KEY_FILE_NAME);
  return {
    name: "file",
    describe: () => describeKeySource(configDir, "file"),
    async key(_params, create) {
      let bytes = await readKeyFile(path);
      if (bytes === undefined) {
        if (!create) {
          throw new CliError(
            "STORE_UNREADABLE",
            `key file ${path} is missing, so the account store cannot be decrypted`,
            {
              hint: "restore the key file from a backup, or move the store away and sign in again",
            },
          );
        }
        bytes = await createKeyFile(path);
      }
      return { key: await importAesKey(bytes) };
    },
  };
}

/**
 * A key source deriving the key from a passphrase with PBKDF2-SHA256 (600,000 iterations by
 * default) and a 16-byte random salt; salt and iterations are recorded in the store header.
 */
export function passphraseKeySource(
  passphrase: string,
  options: { iterations?: number } = {},
): KeySource {
  return {
    name: "passphrase",
    describe: () => describeKeySource("", "passphrase"),
    async key(params, create) {
      let kdf: { salt: Uint8Array<ArrayBuffer>; iterations: number };
      if (create || params === undefined) {
        if (!create) throw unreadableHeader("the passphrase parameters are missing");
        kdf = {
          salt: crypto.getRandomValues(new Uint8Array(SALT_BYTES)),
          iterations: options.iterations ?? DEFAULT_PBKDF2_ITERATIONS,
        };
      } else {
        kdf = parseKdfParams(params);
      }
      const material = await crypto.subtle.importKey(
        "raw",
        new TextEncoder().encode(passphrase),
        "PBKDF2",
        false,
        ["deriveKey"],
      );
      const key = await crypto.subtle.deriveKey(
        { name: "PBKDF2", hash: "SHA-256", salt: kdf.salt, iterations: kdf.iterations },
        material,
        { name: "AES-GCM", length: 256 },
        false,
        ["encrypt", "decrypt"],
      );
      return {
        key,
        params: { kdf: KDF_NAME, iterations: kdf.iterations, salt: kdf.salt.toBase64() },
      };
    },
  };
}

function parseKdfParams(params: KeyParams): { salt: Uint8Array<ArrayBuffer>; iterations: number } {
  const { kdf, iterations, salt } = params;
  if (kdf !== KDF_NAME) throw unreadableHeader(`unknown key derivation "${String(kdf)}"`);
  if (!Number.isSafeInteger(iterations) || +iterations < 1 || +iterations > MAX_ITERATIONS) {
    throw unreadableHeader("invalid key derivation iterations");
  }
  let bytes: Uint8Array<ArrayBuffer> | undefined;
  try {
    if (typeof salt === "string") bytes = Uint8Array.fromBase64(salt);
  } catch {
    // reported below
  }
  if (bytes === undefined || bytes.length < SALT_BYTES || bytes.length > 64) {
    throw unreadableHeader("invalid key derivation salt");
  }
  return { salt: bytes, iterations: +iterations };
}

function unreadableHeader(detail: string): KeyParamsError {
  return new KeyParamsError(detail);
}

async function readKeyFile(path: string): Promise<Uint8Array<ArrayBuffer> | undefined> {
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = await Deno.readFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new CliError("STORE_UNREADABLE", `cannot read key file ${path}: ${message(error)}`, {
      cause: error,
    });
  }
  if (bytes.length !== KEY_BYTES) {
    throw new CliError(
      "STORE_UNREADABLE",
      `key file ${path} is not a valid axway key (expected ${KEY_BYTES} bytes, found ${bytes.length})`,
      {
        hint: "restore the key file from a backup, or move it and the store away and sign in again",
      },
    );
  }
  return bytes;
}

/** Creates the key file with `createNew` (mode 0600); if another writer won, uses theirs. */
async function createKeyFile(path: string): Promise<Uint8Array<ArrayBuffer>> {
  const bytes = crypto.getRandomValues(new Uint8Array(KEY_BYTES));
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { write: true, createNew: true, mode: 0o600 });
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) {
      const existing = await readKeyFile(path);
      if (existing) return existing;
    }
    throw new CliError("STORE_UNREADABLE", `cannot create key file ${path}: ${message(error)}`, {
      cause: error,
    });
  }
  try {
    let written = 0;
    while (written < bytes.length) written += await file.write(bytes.subarray(written));
    await file.syncData();
  } catch (error) {
    file.close();
    await Deno.remove(path).catch(() => {});
    throw new CliError("STORE_UNREADABLE", `cannot write key file ${path}: ${message(error)}`, {
      cause: error,
    });
  }
  file.close();
  return bytes;
}

function importAesKey(bytes: Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", bytes, "AES-GCM", false, ["encrypt", "decrypt"]);
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
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
