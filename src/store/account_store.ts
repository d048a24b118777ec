/**
 * The encrypted file holding all accounts, with its locks. Commands read and change accounts only
 * through `AccountStore`.
 *
 * @module
 */

import { CliError } from "../errors.ts";
import { ensureDir, joinPath, writeFileAtomic } from "./atomic.ts";
import { damagedStore, openSealed, parseStoreFile, sealDocument } from "./crypto.ts";
import {
  chooseKeySource,
  describeKeySource,
  describeNewKeySource,
  type KeyParams,
  KeyParamsError,
  type KeySource,
  type KeySourceSelection,
  newStoreKey,
  type SourcedKey,
} from "./key_source.ts";
import { withFileLock } from "./lock.ts";
import type { StoreDocument } from "./types.ts";

/** File name of the store inside the config dir. */
export const STORE_FILE_NAME = "accounts.enc";

/** File name of the store lock inside the config dir. */
export const STORE_LOCK_NAME = "accounts.lock";

/** Directory (inside the config dir) of the per-account lock files. */
export const ACCOUNT_LOCKS_DIR = "locks";

/** Options of `AccountStore`. */
export interface AccountStoreOptions {
  /** The config dir holding the store, its key file and lock files. */
  configDir: string;
  /** How to pick the key source (from AXWAY_KEY_STORE and AXWAY_AUTH_PASSPHRASE). */
  keySource: KeySourceSelection;
  /**
   * Called with a one-line notice for stderr when the store (or a rekey) chose its key source
   * with `auto` and fell back to the key file because no keychain answered. Happens once: only
   * when the store is created.
   */
  onNotice?: (message: string) => void;
}

/** A new, empty store document. */
export function emptyDocument(): StoreDocument {
  return { version: 1, accounts: [], defaults: {} };
}

/** A key with the source it came from and the params to record in the header. */
interface Keyed {
  source: KeySource;
  key: CryptoKey;
  params?: KeyParams;
}

/** A decrypted file version, with what is needed to write the next one. */
interface Loaded extends Keyed {
  bytes: Uint8Array;
  doc: StoreDocument;
}

/** The encrypted account store in a config dir. */
export class AccountStore {
  /** The config dir. */
  readonly configDir: string;
  /** Path of the encrypted store file. */
  readonly path: string;
  /** Path of the store lock file. */
  readonly lockPath: string;
  #selection: KeySourceSelection;
  #onNotice?: (message: string) => void;
  #loaded?: Loaded;
  #keys = new Map<string, Promise<SourcedKey>>();

  /** Creates a handle; does no I/O. */
  constructor(options: AccountStoreOptions) {
    this.configDir = options.configDir;
    this.#selection = options.keySource;
    this.#onNotice = options.onNotice;
    this.path = joinPath(this.configDir, STORE_FILE_NAME);
    this.lockPath = joinPath(this.configDir, STORE_LOCK_NAME);
  }

  /**
   * Reads and decrypts the store (an empty document when the file does not exist). The returned
   * document is a copy the caller may change freely. Each file version is decrypted at most once
   * per instance, and a passphrase key is derived once per salt.
   */
  async read(): Promise<StoreDocument> {
    const loaded = await this.#load();
    return loaded ? structuredClone(loaded.doc) : emptyDocument();
  }

  /**
   * Like `read`, without the copy: for commands that only look (`ls` with a thousand accounts,
   * `auth token`). The result is shared with the store's cache and must not be changed.
   */
  async snapshot(): Promise<Readonly<StoreDocument>> {
    const loaded = await this.#load();
    return loaded ? loaded.doc : emptyDocument();
  }

  /**
   * Read-modify-write under the store lock: re-reads the file once the lock is held, calls
   * `fn(doc)` to change `doc`, and writes the result atomically if `fn` returned normally and
   * changed something. Returns what `fn` returned. An unreadable store throws before `fn` runs and
   * is never rewritten.
   */
  update<T>(fn: (doc: StoreDocument) => T | Promise<T>): Promise<T> {
    return this.#locked(async () => {
      const loaded = await this.#load();
      const doc = loaded ? structuredClone(loaded.doc) : emptyDocument();
      const before = JSON.stringify(doc);
      const result = await fn(doc);
      if (JSON.stringify(doc) !== before) {
        await this.#write(doc, loaded ?? await this.#newKey(this.#selection));
      }
      return result;
    });
  }

  /**
   * Runs `fn` under the lock file of one account
   * (`locks/<first 32 hex chars of sha256(issuer + "\n" + name)>.lock`), so renewing one account
   * never blocks another. Not re-entrant for the same account.
   */
  async withAccountLock<T>(issuer: string, name: string, fn: () => Promise<T>): Promise<T> {
    const digest = await crypto.subtle.digest(
      "SHA-256",
      new TextEncoder().encode(`${issuer}\n${name}`),
    );
    const dir = joinPath(this.configDir, ACCOUNT_LOCKS_DIR);
    await makeDir(this.configDir);
    await makeDir(dir);
    const id = new Uint8Array(digest).toHex().slice(0, 32);
    return withFileLock(joinPath(dir, `${id}.lock`), fn);
  }

  /**
   * Where the key lives, for `auth ls` and `config list`: the source named by the store header,
   * or for a store not yet created the one that would be chosen. Needs no key or passphrase for
   * an existing store.
   */
  async describeKey(): Promise<string> {
    const bytes = await this.#readBytes();
    if (bytes === undefined) return describeNewKeySource(this.configDir, this.#selection);
    return describeKeySource(
      this.configDir,
      parseStoreFile(bytes, this.path).header.keySource,
      this.#selection.keychain?.os,
    );
  }

  /**
   * Makes sure the store can be used before a sign-in spends the user's time or mints tokens: an
   * existing store must decrypt, and a missing one is created now (empty), with its key, so that
   * a key source that cannot work (no keychain, no passphrase) fails before any network call.
   */
  async prepare(): Promise<void> {
    if (await this.#load()) return; // it decrypts: nothing to do, and no lock needed to know it
    await this.#locked(async () => {
      if (!(await this.#load())) {
        await this.#write(emptyDocument(), await this.#newKey(this.#selection));
      }
    });
  }

  /**
   * Re-encrypts the store under the key source `selection` picks for a new store (e.g. to move
   * from a key file to a passphrase or the keychain, or to change the passphrase with a fresh
   * salt), and uses that selection from then on. A store that does not exist yet is left absent.
   * The current key must be readable first: otherwise it throws and the file is left untouched.
   * Moving to "file" reuses an existing key file and moving to "keychain" an existing keychain
   * entry of this config dir; the old key file or keychain entry is never deleted (it may be
   * needed for a backup of the store, and deleting it before the new file is safely written
   * could lose every account).
   */
  rekey(selection: KeySourceSelection): Promise<void> {
    return this.#locked(async () => {
      const loaded = await this.#load();
      const next = await this.#newKey(selection);
      this.#selection = selection;
      if (loaded) await this.#write(loaded.doc, next);
    });
  }

  async #locked<T>(fn: () => Promise<T>): Promise<T> {
    await makeDir(this.configDir);
    return withFileLock(this.lockPath, fn);
  }

  /** The current file version, decrypted; undefined when the file does not exist. */
  async #load(): Promise<Loaded | undefined> {
    const bytes = await this.#readBytes();
    if (bytes === undefined) return undefined;
    if (this.#loaded && sameWrite(this.#loaded.bytes, bytes)) return this.#loaded;
    const sealed = parseStoreFile(bytes, this.path);
    const { keySource, keyParams } = sealed.header;
    const source = chooseKeySource(this.configDir, this.#selection, {
      keySource,
      path: this.path,
    });
    const { key, params } = await this.#key(source, keyParams);
    const doc = await openSealed(sealed, key, source, this.path);
    this.#loaded = { bytes, source, key, params, doc };
    return this.#loaded;
  }

  /** The key for an existing store, cached per source and header params. */
  #key(source: KeySource, params: KeyParams | undefined): Promise<SourcedKey> {
    const id = `${source.name}\n${JSON.stringify(params ?? null)}`;
    let pending = this.#keys.get(id);
    if (!pending) {
      pending = source.key(params, false).catch((error) => {
        this.#keys.delete(id);
        if (error instanceof KeyParamsError) {
          throw damagedStore(this.path, `its header has ${error.message}`, error);
        }
        throw error;
      });
      this.#keys.set(id, pending);
    }
    return pending;
  }

  /** A fresh key for a new store (or a rekey), from the source `selection` picks. */
  async #newKey(selection: KeySourceSelection): Promise<Keyed> {
    const { source, key, params, notice } = await newStoreKey(this.configDir, selection);
    const sourced: SourcedKey = { key, params };
    this.#keys.set(
      `${source.name}\n${JSON.stringify(params ?? null)}`,
      Promise.resolve(sourced),
    );
    if (notice !== undefined) this.#onNotice?.(notice);
    return { source, ...sourced };
  }

  async #write(doc: StoreDocument, keyed: Keyed): Promise<void> {
    const bytes = await sealDocument(doc, keyed.key, keyed.source.name, keyed.params);
    try {
      await writeFileAtomic(this.path, bytes);
    } catch (error) {
      throw new CliError(
        "FAILURE",
        `cannot write account store ${this.path}: ${
          error instanceof Error ? error.message : error
        }`,
        { cause: error },
      );
    }
    this.#loaded = { ...keyed, bytes, doc: structuredClone(doc) };
  }

  async #readBytes(): Promise<Uint8Array | undefined> {
    try {
      return await Deno.readFile(this.path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return undefined;
      throw new CliError(
        "STORE_UNREADABLE",
        `cannot read account store ${this.path}: ${error instanceof Error ? error.message : error}`,
        { cause: error },
      );
    }
  }
}

async function makeDir(dir: string): Promise<void> {
  try {
    await ensureDir(dir);
  } catch (error) {
    throw new CliError(
      "FAILURE",
      `cannot create directory ${dir}: ${error instanceof Error ? error.message : error}`,
      { cause: error },
    );
  }
}

/**
 * Whether two reads of the store file are the same write. Every write puts a fresh random nonce
 * in the header line, so an equal length and header line identify the write without comparing
 * the whole (possibly megabytes long) ciphertext.
 */
function sameWrite(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  const headerEnd = a.indexOf(0x0a);
  const end = headerEnd < 0 ? a.length : headerEnd;
  for (let i = 0; i < end; i++) if (a[i] !== b[i]) return false;
  return true;
}
