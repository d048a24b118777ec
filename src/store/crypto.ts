/**
 * The store file format. Two text lines:
 *
 * 1. header JSON: `{"format":"axway-accounts","version":1,"keySource":"file","keyParams":{…},
 *    "nonce":"<base64 96-bit>"}`;
 * 2. base64 of the AES-256-GCM ciphertext (with tag) of the document JSON.
 *
 * The exact header line bytes are the GCM additional data, so the header cannot be altered
 * without detection. Every write uses a fresh random nonce.
 *
 * @module
 */

import { CliError } from "../errors.ts";
import type { StoreDocument } from "./types.ts";
import {
  isKeySourceName,
  type KeyParams,
  type KeySource,
  type KeySourceName,
} from "./key_source.ts";

/** The `format` value of a store header. */
export const STORE_FORMAT = "axway-accounts";

/** The store format version this code reads and writes. */
export const STORE_FORMAT_VERSION = 1;

/** The parsed first line of a store file. */
export interface StoreHeader {
  format: typeof STORE_FORMAT;
  version: typeof STORE_FORMAT_VERSION;
  /** Which key source encrypted the store. */
  keySource: KeySourceName;
  /** Non-secret parameters of that key source (e.g. PBKDF2 salt and iterations). */
  keyParams?: KeyParams;
  /** Base64 of the 12-byte AES-GCM nonce. */
  nonce: string;
}

/** A store file split into its parts, not yet decrypted. */
export interface SealedStore {
  header: StoreHeader;
  /** The exact header line (the additional data). */
  headerLine: string;
  ciphertext: Uint8Array<ArrayBuffer>;
}

const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** Hint shown for any store that cannot be read. */
export const DAMAGED_HINT =
  "restore it from a backup, or move it away and sign in again; it was left untouched";

/** STORE_UNREADABLE error for a damaged store file. */
export function damagedStore(path: string, detail: string, cause?: unknown): CliError {
  return new CliError("STORE_UNREADABLE", `account store ${path} is damaged: ${detail}`, {
    hint: DAMAGED_HINT,
    cause,
  });
}

/** Encrypts `doc` into the bytes of a store file, with a fresh nonce. */
export async function sealDocument(
  doc: StoreDocument,
  key: CryptoKey,
  keySource: KeySourceName,
  keyParams?: KeyParams,
): Promise<Uint8Array<ArrayBuffer>> {
  const nonce = crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
  const header: StoreHeader = {
    format: STORE_FORMAT,
    version: STORE_FORMAT_VERSION,
    keySource,
    ...(keyParams ? { keyParams } : {}),
    nonce: nonce.toBase64(),
  };
  const encoder = new TextEncoder();
  const headerLine = JSON.stringify(header);
  const ciphertext = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv: nonce, additionalData: encoder.encode(headerLine) },
    key,
    encoder.encode(JSON.stringify(doc)),
  );
  return encoder.encode(`${headerLine}\n${new Uint8Array(ciphertext).toBase64()}\n`);
}

/** Splits store file bytes into header and ciphertext; throws STORE_UNREADABLE if malformed. */
export function parseStoreFile(bytes: Uint8Array, path: string): SealedStore {
  let text: string;
  try {
    // Non-fatal decoding is several times faster on megabytes; a stray non-text byte still
    // fails below (invalid header JSON or base64), so "damaged" is reported all the same.
    text = new TextDecoder().decode(bytes);
  } catch (error) {
    throw damagedStore(path, "it is not text", error);
  }
  const lines = text.split("\n").map((line) => line.endsWith("\r") ? line.slice(0, -1) : line);
  if (lines.at(-1) === "") lines.pop();
  if (lines.length === 0) throw damagedStore(path, "it is empty");

  const headerLine = lines[0];
  const header = parseHeader(headerLine, path);
  if (lines.length !== 2) throw damagedStore(path, "it is truncated or has extra content");

  let ciphertext: Uint8Array<ArrayBuffer>;
  try {
    ciphertext = Uint8Array.fromBase64(lines[1]);
  } catch (error) {
    throw damagedStore(path, "its content is not valid base64", error);
  }
  if (ciphertext.length < TAG_BYTES) throw damagedStore(path, "it is truncated");
  return { header, headerLine, ciphertext };
}

/**
 * Decrypts and parses a sealed store. A wrong key and a tampered or truncated file are
 * indistinguishable: both throw STORE_UNREADABLE, worded for the key `source`.
 */
export async function openSealed(
  sealed: SealedStore,
  key: CryptoKey,
  source: KeySource,
  path: string,
): Promise<StoreDocument> {
  let plaintext: ArrayBuffer;
  try {
    plaintext = await crypto.subtle.decrypt(
      {
        name: "AES-GCM",
        iv: Uint8Array.fromBase64(sealed.header.nonce),
        additionalData: new TextEncoder().encode(sealed.headerLine),
      },
      key,
      sealed.ciphertext,
    );
  } catch (error) {
    throw decryptFailure(source, path, error);
  }
  let doc: unknown;
  try {
    // Authenticated by AES-GCM: these are our own bytes, so no need for a fatal decoder.
    doc = JSON.parse(new TextDecoder().decode(plaintext));
  } catch (error) {
    throw damagedStore(path, "its content is not valid JSON", error);
  }
  return checkDocument(doc, path);
}

function decryptFailure(source: KeySource, path: string, cause: unknown): CliError {
  if (source.name === "passphrase") {
    return new CliError(
      "STORE_UNREADABLE",
      `cannot decrypt account store ${path}: wrong passphrase, or the file is damaged`,
      {
        hint: "check AXWAY_AUTH_PASSPHRASE; if it is right, " + DAMAGED_HINT,
        cause,
      },
    );
  }
  return new CliError(
    "STORE_UNREADABLE",
    `cannot decrypt account store ${path} with ${source.describe()}: wrong key, or the file is damaged`,
    {
      hint: `if the ${
        source.name === "keychain" ? "keychain entry" : "key file"
      } was replaced, restore the right one; otherwise ${DAMAGED_HINT}`,
      cause,
    },
  );
}

function parseHeader(line: string, path: string): StoreHeader {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    throw notAStore(path, error);
  }
  if (!isPlainObject(value) || value.format !== STORE_FORMAT) throw notAStore(path);
  const { version, keySource, keyParams, nonce } = value;
  if (typeof version === "number" && version > STORE_FORMAT_VERSION) {
    throw new CliError(
      "STORE_UNREADABLE",
      `account store ${path} was written by a newer axway (format version ${version})`,
      { hint: "upgrade axway to use it; it was left untouched" },
    );
  }
  if (version !== STORE_FORMAT_VERSION) throw damagedStore(path, "unknown format version");
  if (!isKeySourceName(keySource)) throw damagedStore(path, "unknown key source in its header");
  if (keyParams !== undefined && !isKeyParams(keyParams)) {
    throw damagedStore(path, "invalid key parameters in its header");
  }
  if (typeof nonce !== "string" || !isBase64OfLength(nonce, NONCE_BYTES)) {
    throw damagedStore(path, "invalid nonce in its header");
  }
  return {
    format: STORE_FORMAT,
    version: STORE_FORMAT_VERSION,
    keySource,
    ...(keyParams === undefined ? {} : { keyParams }),
    nonce,
  };
}

function checkDocument(value: unknown, path: string): StoreDocument {
  if (!isPlainObject(value)) throw damagedStore(path, "its content is not a store document");
  if (typeof value.version === "number" && value.version > 1) {
    throw new CliError(
      "STORE_UNREADABLE",
      `account store ${path} was written by a newer axway (document version ${value.version})`,
      { hint: "upgrade axway to use it; it was left untouched" },
    );
  }
  if (value.version !== 1 || !Array.isArray(value.accounts) || !isPlainObject(value.defaults)) {
    throw damagedStore(path, "its content is not a store document");
  }
  return value as unknown as StoreDocument;
}

function notAStore(path: string, cause?: unknown): CliError {
  return new CliError("STORE_UNREADABLE", `${path} is not an axway account store`, {
    hint: "move it away and sign in again; it was left untouched",
    cause,
  });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isKeyParams(value: unknown): value is KeyParams {
  return isPlainObject(value) &&
    Object.values(value).every((v) => typeof v === "string" || typeof v === "number");
}

function isBase64OfLength(value: string, length: number): boolean {
  try {
    return Uint8Array.fromBase64(value).length === length;
  } catch {
    return false;
  }
}
