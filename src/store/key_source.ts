/**
 * Where the store's AES-256-GCM key comes from: a key file, a passphrase, or (later) the OS
 * keychain. The store header names the source, so an existing store is always opened with the
 * source it was written with.
 *
 * @module
 */

import { CliError, usageError } from "../errors.ts";
import { joinPath } from "./atomic.ts";

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
   * the header. Throws STORE_UNREADABLE when the key cannot be had.
   */
  key(params: KeyParams | undefined, create: boolean): Promise<SourcedKey>;
  /** Human description of where the key lives, e.g. "key file /x/store.key". */
  describe(): string;
}

/** How to pick the key source: the caller passes what the environment says. */
export interface KeySourceSelection {
  /** AXWAY_KEY_STORE; default "auto" (passphrase when one is set, else key file). */
  requested?: RequestedKeySource;
  /** AXWAY_AUTH_PASSPHRASE; an empty string counts as unset. */
  passphrase?: string;
  /** PBKDF2 iterations for a NEW passphrase store (tests lower it); default 600,000. */
  iterations?: number;
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
 * names; for a new store the requested one (`auto`: passphrase if set, else key file).
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
        throw new CliError(
          "STORE_UNREADABLE",
          `${existing.path} keeps its key in the OS keychain, which this axway version cannot use`,
          { hint: "upgrade axway" },
        );
    }
  }
  const requested = selection.requested ?? "auto";
  switch (requested) {
    case "auto":
      return passphrase === undefined
        ? fileKeySource(configDir)
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
      throw usageError(
        "the OS keychain key store is not available yet",
        "set AXWAY_KEY_STORE to auto, file or passphrase",
      );
    default:
      throw usageError(
        `unknown AXWAY_KEY_STORE value "${requested}"`,
        "use auto, file, passphrase or keychain",
      );
  }
}

/** Where the key of a store using key source `name` lives, without needing the key. */
export function describeKeySource(configDir: string, name: KeySourceName): string {
  switch (name) {
    case "file":
      return `key file ${joinPath(configDir, KEY_FILE_NAME)}`;
    case "passphrase":
      return "passphrase (AXWAY_AUTH_PASSPHRASE)";
    case "keychain":
      return "OS keychain";
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
