/**
 * Loading private keys for signing client assertions (`private_key_jwt`).
 *
 * Accepts PEM text holding an RSA key (PKCS#8 or PKCS#1) or an EC P-256 key (PKCS#8 or SEC1),
 * optionally encrypted (PKCS#8 PBES2, or legacy OpenSSL `Proc-Type: 4,ENCRYPTED` PEM). Keys are
 * read with `node:crypto` (WebCrypto and `jose` only read unencrypted PKCS#8) and handed on as
 * unencrypted PKCS#8 DER. Input is normalised first: a UTF-8 BOM, surrounding whitespace or
 * quotes, CRLF line endings, re-indented lines and literal `\n` escapes (a PEM pasted into a CI
 * secret) are all accepted.
 *
 * Every failure is a {@link CliError} with code `KEY_FILE` and a one-line message naming the
 * source; messages never contain key material or the passphrase, and the raw OpenSSL errors are
 * only kept as `cause`.
 *
 * @module
 */

import {
  createDecipheriv,
  createPrivateKey,
  getCiphers,
  type KeyObject,
  pbkdf2Sync,
} from "node:crypto";
import { Buffer } from "node:buffer";
import { CliError } from "../errors.ts";

/** A private key ready for signing client assertions. */
export interface SigningKey {
  /** JWS algorithm the key signs with. */
  alg: "RS256" | "ES256";
  /** The key as unencrypted PKCS#8 DER. */
  pkcs8: Uint8Array;
}

/** Key files larger than this cannot be a single private key (a 16384-bit RSA PEM is ~13 KB). */
const MAX_KEY_FILE_BYTES = 1024 * 1024;

/** Environment variable the CLI reads the key-file passphrase from (named in the hint). */
const PASSPHRASE_ENV = "AXWAY_SECRET_FILE_PASSPHRASE";

/** Hint for keys encrypted with a scheme we cannot decrypt. */
const REENCRYPT_HINT =
  "re-encrypt it with: openssl pkcs8 -topk8 -v2 aes-256-cbc -in <old.pem> -out <new.pem>";

/**
 * Reads a PEM private key file: RSA (PKCS#8 or PKCS#1) or EC P-256 (PKCS#8 or SEC1), optionally
 * encrypted PKCS#8 (`passphrase`). Regular files and FIFOs (e.g. `<(pass show key)`) are read.
 *
 * @throws {CliError} code `KEY_FILE` when the file is missing, unreadable or not a usable key.
 */
export async function loadKeyFile(path: string, passphrase?: string): Promise<SigningKey> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (err) {
    throw readError(err, path);
  }
  if (info.isDirectory) {
    throw keyError(`key file ${path} is a directory, not a file`);
  }
  if (!info.isFile && !info.isFifo) {
    throw keyError(`key file ${path} is not a regular file`);
  }
  if (info.isFile && info.size > MAX_KEY_FILE_BYTES) {
    throw keyError(`key file ${path} is too large to be a private key (${info.size} bytes)`);
  }
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (err) {
    throw readError(err, path);
  }
  if (bytes.length > MAX_KEY_FILE_BYTES) {
    throw keyError(`key file ${path} is too large to be a private key (${bytes.length} bytes)`);
  }
  return parsePrivateKeyPem(new TextDecoder().decode(bytes), `key file ${path}`, passphrase);
}

/**
 * Parses PEM text with the same rules as {@link loadKeyFile}. `source` names the origin in error
 * messages as a noun phrase (e.g. `key file ./k.pem` or `AXWAY_CLIENT_KEY`). An empty
 * `passphrase` counts as none; a passphrase given for an unencrypted key is ignored.
 *
 * @throws {CliError} code `KEY_FILE` when the text is not a usable private key.
 */
export function parsePrivateKeyPem(pem: string, source: string, passphrase?: string): SigningKey {
  const text = normalizePem(pem);
  if (text === "") throw keyError(`${source} is empty`);

  const labels = [...text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----/g)].map((m) => m[1]);
  const privateLabels = labels.filter((label) => label.includes("PRIVATE KEY"));
  if (privateLabels.length === 0) throw notPrivateKeyError(text, labels, source);
  if (privateLabels.length > 1) {
    throw keyError(`${source} contains ${privateLabels.length} private keys; keep only one`);
  }
  const label = privateLabels[0];
  if (label === "OPENSSH PRIVATE KEY") {
    throw keyError(`${source} is an OpenSSH private key, not PEM`, {
      hint: "convert it (in place) with: ssh-keygen -p -m PKCS8 -f <file>",
    });
  }
  if (label === "DSA PRIVATE KEY") throw unsupportedTypeError(source, "DSA");
  if (
    !["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY"].includes(label)
  ) {
    throw keyError(`${source} contains an unsupported "${label}" block, not a PEM private key`);
  }

  const block = text.match(
    new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`),
  );
  if (!block) throw malformedError(source); // BEGIN without END: truncated
  const { headers, body } = splitHeaders(block[1]);
  const der = decodeBase64(body);
  if (!der) throw malformedError(source);
  const canonical = `-----BEGIN ${label}-----\n${headers}${wrap64(body)}-----END ${label}-----\n`;

  const pass = passphrase === "" ? undefined : passphrase;
  let keyObject: KeyObject;
  if (label === "ENCRYPTED PRIVATE KEY") {
    keyObject = decryptPkcs8(canonical, der, source, pass);
  } else if (headers !== "") {
    keyObject = decryptLegacyPem(canonical, headers, source, pass);
  } else {
    try {
      keyObject = createPrivateKey({ key: canonical, format: "pem" });
    } catch (err) {
      throw malformedError(source, err);
    }
  }
  return toSigningKey(keyObject, source);
}

/**
 * Imports a stored key for WebCrypto signing: RSASSA-PKCS1-v1_5 with SHA-256 for `RS256`, ECDSA
 * P-256 for `ES256` (sign with `{ name: "ECDSA", hash: "SHA-256" }`). The key is not extractable.
 *
 * @throws {CliError} code `KEY_FILE` when WebCrypto rejects the key data.
 */
export async function importSigningKey(key: SigningKey): Promise<CryptoKey> {
  const algorithm = key.alg === "RS256"
    ? { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }
    : { name: "ECDSA", namedCurve: "P-256" };
  try {
    return await crypto.subtle.importKey("pkcs8", new Uint8Array(key.pkcs8), algorithm, false, [
      "sign",
    ]);
  } catch (err) {
    throw keyError(`the ${key.alg} private key cannot be used for signing`, { cause: err });
  }
}

// ---------------------------------------------------------------------------------------------
// Errors

function keyError(message: string, options: { hint?: string; cause?: unknown } = {}): CliError {
  return new CliError("KEY_FILE", message, options);
}

function malformedError(source: string, cause?: unknown): CliError {
  return keyError(`${source} contains a malformed or corrupt private key`, { cause });
}

function unsupportedTypeError(source: string, type: string): CliError {
  return keyError(`${source}: unsupported key type ${type}: use an RSA or EC P-256 key`);
}

function missingPassphraseError(source: string): CliError {
  return keyError(`${source} is encrypted: set ${PASSPHRASE_ENV} to its passphrase`);
}

function wrongPassphraseError(source: string, cause?: unknown): CliError {
  return keyError(`wrong passphrase for ${source}`, { cause });
}

function unsupportedEncryptionError(source: string, cause?: unknown): CliError {
  return keyError(`${source} is encrypted with an unsupported scheme`, {
    hint: REENCRYPT_HINT,
    cause,
  });
}

/** Maps a `Deno.stat`/`Deno.readFile` failure to a one-line message. */
function readError(err: unknown, path: string): CliError {
  if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) {
    return keyError(`key file not found: ${path}`, { cause: err });
  }
  if (err instanceof Deno.errors.IsADirectory) {
    return keyError(`key file ${path} is a directory, not a file`, { cause: err });
  }
  if (err instanceof Deno.errors.PermissionDenied) {
    return keyError(`cannot read key file ${path}: permission denied`, { cause: err });
  }
  if (err instanceof Deno.errors.NotCapable) {
    return keyError(`cannot read key file ${path}: read access not granted (--allow-read)`, {
      cause: err,
    });
  }
  const reason = err instanceof Error ? err.message.split("\n")[0] : String(err);
  return keyError(`cannot read key file ${path}: ${reason}`, { cause: err });
}

/** Explains text that has no private key block: public key, certificate, binary, other. */
function notPrivateKeyError(text: string, labels: string[], source: string): CliError {
  const first = labels[0];
  if (first?.includes("PUBLIC KEY")) {
    return keyError(`${source} contains a public key, not a private key`);
  }
  if (first !== undefined && /CERTIFICATE|X509 CRL|PKCS7/.test(first)) {
    return keyError(`${source} contains a certificate, not a private key`);
  }
  if (first !== undefined) {
    return keyError(`${source} contains a "${first}" block, not a private key`);
  }
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u0008\u000e-\u001f\ufffd]/.test(text)) {
    return keyError(`${source} is binary (DER?), not a PEM private key`, {
      hint: "convert it with: openssl pkey -inform DER -in <key.der> -out <key.pem>",
    });
  }
  return keyError(
    `${source} is not a PEM private key (no "-----BEGIN ... PRIVATE KEY-----" block)`,
  );
}

// ---------------------------------------------------------------------------------------------
// PEM text

/** Strips BOM, whitespace and quotes; turns literal `\n` escapes and CRLF into newlines. */
function normalizePem(pem: string): string {
  let text = pem.replace(/^\uFEFF/, "").trim();
  const quoted = /^(["'])([\s\S]*)\1$/.exec(text);
  if (quoted) text = quoted[2].trim();
  // Base64 and PEM headers never contain a backslash, so this cannot corrupt a key.
  return text.replace(/\\r\\n|\\n|\\r/g, "\n").replace(/\r\n?/g, "\n").trim();
}

/** Separates RFC 1421 headers (legacy encrypted PEM) from the base64 body. */
function splitHeaders(inner: string): { headers: string; body: string } {
  const proc = /Proc-Type:\s*([^\s]+)\s+DEK-Info:\s*([^\s]+)\s/.exec(inner);
  if (!proc) return { headers: "", body: inner.replace(/\s+/g, "") };
  const headers = `Proc-Type: ${proc[1]}\nDEK-Info: ${proc[2]}\n\n`;
  return { headers, body: inner.slice(proc.index + proc[0].length).replace(/\s+/g, "") };
}

function decodeBase64(body: string): Uint8Array | undefined {
  if (body === "" || body.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(body)) return;
  try {
    return Uint8Array.from(atob(body), (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

function wrap64(body: string): string {
  return body.replace(/.{1,64}/g, "$&\n");
}

// ---------------------------------------------------------------------------------------------
// Decryption

/** Legacy `Proc-Type: 4,ENCRYPTED` ciphers that `createPrivateKey` decrypts. */
const LEGACY_CIPHERS = ["AES-128-CBC", "AES-192-CBC", "AES-256-CBC", "DES-EDE3-CBC"];

function decryptLegacyPem(
  pem: string,
  headers: string,
  source: string,
  passphrase: string | undefined,
): KeyObject {
  if (!/Proc-Type: 4,ENCRYPTED/.test(headers)) throw malformedError(source);
  if (passphrase === undefined) throw missingPassphraseError(source);
  const cipher = /DEK-Info: ([^,\s]+)/.exec(headers)?.[1]?.toUpperCase() ?? "";
  try {
    return createPrivateKey({ key: pem, format: "pem", passphrase });
  } catch (err) {
    if (LEGACY_CIPHERS.includes(cipher) || /bad decrypt/i.test(String(err))) {
      throw wrongPassphraseError(source, err);
    }
    throw unsupportedEncryptionError(source, err);
  }
}

/**
 * Decrypts an `ENCRYPTED PRIVATE KEY` (RFC 5958 EncryptedPrivateKeyInfo, RFC 8018 PBES2). The
 * structure is checked first so that corrupt data, unsupported schemes and wrong passphrases get
 * distinct messages. `createPrivateKey` does the work; PBKDF2 keys it rejects (Deno's node:crypto
 * mishandles the default HMAC-SHA1 PRF and 3DES) are decrypted here, which also makes "wrong
 * passphrase" certain (padding or DER check failed).
 */
function decryptPkcs8(
  pem: string,
  der: Uint8Array,
  source: string,
  passphrase: string | undefined,
): KeyObject {
  const scheme = parsePbes2(der);
  if (scheme === "malformed") throw malformedError(source);
  if (scheme === "unsupported") throw unsupportedEncryptionError(source);
  if (passphrase === undefined) throw missingPassphraseError(source);
  try {
    return createPrivateKey({ key: pem, format: "pem", passphrase });
  } catch (err) {
    if (scheme.kdf === "scrypt" || !getCiphers().includes(scheme.cipher)) {
      throw wrongPassphraseError(source, err);
    }
    let plain: Buffer;
    try {
      const key = pbkdf2Sync(
        passphrase,
        scheme.salt,
        scheme.iterations,
        scheme.keyLength,
        scheme.prf,
      );
      const decipher = createDecipheriv(scheme.cipher, key, scheme.iv);
      plain = Buffer.concat([decipher.update(scheme.data), decipher.final()]);
    } catch (decryptErr) {
      throw wrongPassphraseError(source, decryptErr);
    }
    try {
      return createPrivateKey({ key: plain, format: "der", type: "pkcs8" });
    } catch (derErr) {
      throw wrongPassphraseError(source, derErr);
    }
  }
}

interface Pbes2 {
  kdf: "pbkdf2" | "scrypt";
  salt: Uint8Array;
  iterations: number;
  prf: string;
  cipher: string;
  keyLength: number;
  iv: Uint8Array;
  data: Uint8Array;
}

/** DER OID contents (hex) → name. */
const OID_PBES2 = "2a864886f70d01050d";
const OID_PBKDF2 = "2a864886f70d01050c";
const OID_SCRYPT = "2b06010401da47040b";
const PRFS: Record<string, string> = {
  "2a864886f70d0207": "sha1",
  "2a864886f70d0208": "sha224",
  "2a864886f70d0209": "sha256",
  "2a864886f70d020a": "sha384",
  "2a864886f70d020b": "sha512",
};
const CIPHERS: Record<string, { name: string; keyLength: number }> = {
  "608648016503040102": { name: "aes-128-cbc", keyLength: 16 },
  "608648016503040116": { name: "aes-192-cbc", keyLength: 24 },
  "60864801650304012a": { name: "aes-256-cbc", keyLength: 32 },
  "2a864886f70d0307": { name: "des-ede3-cbc", keyLength: 24 },
};

/** Reads EncryptedPrivateKeyInfo far enough to know whether we can decrypt it. */
function parsePbes2(der: Uint8Array): Pbes2 | "malformed" | "unsupported" {
  const outer = readTlv(der, 0, der.length);
  if (outer?.tag !== 0x30 || outer.end !== der.length) return "malformed";
  const algId = readTlv(der, outer.start, outer.end);
  if (algId?.tag !== 0x30) return "malformed";
  const data = readTlv(der, algId.end, outer.end);
  if (data?.tag !== 0x04 || data.end !== outer.end || data.end === data.start) return "malformed";
  const algOid = readTlv(der, algId.start, algId.end);
  if (algOid?.tag !== 0x06) return "malformed";
  if (hex(der, algOid) !== OID_PBES2) return "unsupported";

  const params = readTlv(der, algOid.end, algId.end);
  const kdf = params?.tag === 0x30 ? readTlv(der, params.start, params.end) : undefined;
  const enc = params && kdf?.tag === 0x30 ? readTlv(der, kdf.end, params.end) : undefined;
  if (!params || !kdf || enc?.tag !== 0x30) return "malformed";
  const kdfOid = readTlv(der, kdf.start, kdf.end);
  const encOid = readTlv(der, enc.start, enc.end);
  const iv = encOid ? readTlv(der, encOid.end, enc.end) : undefined;
  if (kdfOid?.tag !== 0x06 || encOid?.tag !== 0x06 || iv?.tag !== 0x04) return "malformed";
  const cipher = CIPHERS[hex(der, encOid)];
  if (!cipher) return "unsupported";
  const base = {
    cipher: cipher.name,
    keyLength: cipher.keyLength,
    iv: der.subarray(iv.start, iv.end),
    data: der.subarray(data.start, data.end),
  };
  if (hex(der, kdfOid) === OID_SCRYPT) {
    return { ...base, kdf: "scrypt", salt: new Uint8Array(), iterations: 0, prf: "" };
  }
  if (hex(der, kdfOid) !== OID_PBKDF2) return "unsupported";

  // PBKDF2-params ::= SEQUENCE { salt OCTET STRING, iterationCount INTEGER,
  //   keyLength INTEGER OPTIONAL, prf AlgorithmIdentifier DEFAULT hmacWithSHA1 }
  const kdfParams = readTlv(der, kdfOid.end, kdf.end);
  if (kdfParams?.tag !== 0x30) return "malformed";
  const salt = readTlv(der, kdfParams.start, kdfParams.end);
  if (salt?.tag !== 0x04) return salt ? "unsupported" : "malformed";
  const count = readTlv(der, salt.end, kdfParams.end);
  if (count?.tag !== 0x02 || count.end - count.start > 4) return "malformed";
  let next = readTlv(der, count.end, kdfParams.end);
  if (next?.tag === 0x02) next = readTlv(der, next.end, kdfParams.end); // keyLength: implied
  let prf = "sha1";
  if (next) {
    const prfOid = next.tag === 0x30 ? readTlv(der, next.start, next.end) : undefined;
    if (prfOid?.tag !== 0x06) return "malformed";
    const name = PRFS[hex(der, prfOid)];
    if (!name) return "unsupported";
    prf = name;
  }
  let iterations = 0;
  for (let i = count.start; i < count.end; i++) iterations = iterations * 256 + der[i];
  if (iterations < 1) return "malformed";
  return { ...base, kdf: "pbkdf2", salt: der.subarray(salt.start, salt.end), iterations, prf };
}

interface Tlv {
  tag: number;
  start: number;
  end: number;
}

/** Reads one DER tag-length-value at `pos`; `start`/`end` bound its contents. */
function readTlv(der: Uint8Array, pos: number, limit: number): Tlv | undefined {
  if (pos + 2 > limit) return undefined;
  const tag = der[pos];
  let length = der[pos + 1];
  let start = pos + 2;
  if (length & 0x80) {
    const n = length & 0x7f;
    if (n === 0 || n > 4 || start + n > limit) return undefined;
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + der[start + i];
    start += n;
  }
  const end = start + length;
  return end > limit ? undefined : { tag, start, end };
}

function hex(der: Uint8Array, tlv: Tlv): string {
  return Array.from(der.subarray(tlv.start, tlv.end), (b) => b.toString(16).padStart(2, "0"))
    .join("");
}

// ---------------------------------------------------------------------------------------------
// Key type

const TYPE_NAMES: Record<string, string> = {
  "rsa-pss": "RSA-PSS",
  ed25519: "Ed25519",
  ed448: "Ed448",
  x25519: "X25519",
  x448: "X448",
  dsa: "DSA",
  dh: "DH",
};

const CURVE_NAMES: Record<string, string> = {
  secp384r1: "P-384",
  secp521r1: "P-521",
  secp224r1: "P-224",
  prime192v1: "P-192",
};

/** Chooses the JWS algorithm and exports unencrypted PKCS#8 DER. */
function toSigningKey(keyObject: KeyObject, source: string): SigningKey {
  const type = keyObject.asymmetricKeyType ?? "unknown";
  let alg: SigningKey["alg"];
  if (type === "rsa") {
    // RFC 7518 §3.3: RS256 = RSASSA-PKCS1-v1_5 with SHA-256; keys MUST be 2048 bits or larger.
    const bits = keyObject.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < 2048) {
      throw keyError(`${source} holds a ${bits}-bit RSA key; at least 2048 bits are required`);
    }
    alg = "RS256";
  } else if (type === "ec") {
    // RFC 7518 §3.4: ES256 = ECDSA using P-256 and SHA-256 (the only curve we accept).
    const curve = keyObject.asymmetricKeyDetails?.namedCurve;
    if (curve !== "prime256v1" && curve !== "P-256") {
      const name = curve ? CURVE_NAMES[curve] ?? curve : "with explicit curve parameters";
      throw unsupportedTypeError(source, `EC ${name}`);
    }
    alg = "ES256";
  } else {
    throw unsupportedTypeError(source, TYPE_NAMES[type] ?? type);
  }
  let der: Uint8Array;
  try {
    der = new Uint8Array(keyObject.export({ type: "pkcs8", format: "der" }));
  } catch (err) {
    throw malformedError(source, err);
  }
  return { alg, pkcs8: der };
}
