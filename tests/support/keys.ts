/**
 * Key material for the test identity provider: the provider's own signing key and the
 * private_key_jwt client keys, plus PEM files of the client keys in every format the CLI reads.
 *
 * @module
 */
import { generateKeyPair, type KeyObject } from "node:crypto";
import { join } from "node:path";

/** A public JWK as exported by node:crypto (kty, n/e or crv/x/y). */
export type PublicJwk = Record<string, string>;

/** The key pairs one test identity provider uses. */
export interface IdpKeys {
  /** RSA 2048 key the provider signs ID tokens with (RS256). */
  readonly providerSigning: KeyObject;
  /** RSA 2048 key of the `svc-rs256` client. */
  readonly rsa: { readonly privateKey: KeyObject; readonly publicJwk: PublicJwk };
  /** EC P-256 key of the `svc-es256` client. */
  readonly ec: { readonly privateKey: KeyObject; readonly publicJwk: PublicJwk };
}

/** Paths of the client private keys written as PEM files. */
export interface KeyFiles {
  /** RSA key, unencrypted PKCS#8 (`BEGIN PRIVATE KEY`). */
  readonly rsaPkcs8: string;
  /** RSA key, PKCS#1 (`BEGIN RSA PRIVATE KEY`). */
  readonly rsaPkcs1: string;
  /** RSA key, encrypted PKCS#8 (`BEGIN ENCRYPTED PRIVATE KEY`), see `KEY_PASSPHRASE`. */
  readonly rsaEncrypted: string;
  /** EC P-256 key, unencrypted PKCS#8 (`BEGIN PRIVATE KEY`). */
  readonly ecPkcs8: string;
  /** EC P-256 key, SEC1 (`BEGIN EC PRIVATE KEY`). */
  readonly ecSec1: string;
}

/** Passphrase of the encrypted RSA PKCS#8 key file. */
export const KEY_PASSPHRASE = "test-key-passphrase";

let cached: Promise<IdpKeys> | undefined;

function pair(
  type: "rsa" | "ec",
): Promise<{ privateKey: KeyObject; publicKey: KeyObject }> {
  return new Promise((resolve, reject) => {
    const callback = (err: Error | null, publicKey: KeyObject, privateKey: KeyObject) =>
      err ? reject(err) : resolve({ publicKey, privateKey });
    if (type === "rsa") generateKeyPair("rsa", { modulusLength: 2048 }, callback);
    else generateKeyPair("ec", { namedCurve: "P-256" }, callback);
  });
}

/**
 * Returns the key pairs for a test identity provider. RSA generation costs ~0.2 s, so the keys
 * are generated once per process and shared by every provider started in it.
 */
export function getIdpKeys(): Promise<IdpKeys> {
  cached ??= (async () => {
    const [signing, rsa, ec] = await Promise.all([pair("rsa"), pair("rsa"), pair("ec")]);
    return {
      providerSigning: signing.privateKey,
      rsa: {
        privateKey: rsa.privateKey,
        publicJwk: rsa.publicKey.export({ format: "jwk" }) as PublicJwk,
      },
      ec: {
        privateKey: ec.privateKey,
        publicJwk: ec.publicKey.export({ format: "jwk" }) as PublicJwk,
      },
    };
  })();
  return cached;
}

/** Writes the client private keys as PEM files (mode 0600) into `dir` and returns their paths. */
export async function writeKeyFiles(keys: IdpKeys, dir: string): Promise<KeyFiles> {
  const pem = (key: KeyObject, options: Record<string, string>) =>
    String(key.export({ format: "pem", ...options } as never));
  const files: KeyFiles = {
    rsaPkcs8: join(dir, "rsa-pkcs8.pem"),
    rsaPkcs1: join(dir, "rsa-pkcs1.pem"),
    rsaEncrypted: join(dir, "rsa-encrypted-pkcs8.pem"),
    ecPkcs8: join(dir, "ec-pkcs8.pem"),
    ecSec1: join(dir, "ec-sec1.pem"),
  };
  const contents: [string, string][] = [
    [files.rsaPkcs8, pem(keys.rsa.privateKey, { type: "pkcs8" })],
    [files.rsaPkcs1, pem(keys.rsa.privateKey, { type: "pkcs1" })],
    [
      files.rsaEncrypted,
      pem(keys.rsa.privateKey, {
        type: "pkcs8",
        cipher: "aes-256-cbc",
        passphrase: KEY_PASSPHRASE,
      }),
    ],
    [files.ecPkcs8, pem(keys.ec.privateKey, { type: "pkcs8" })],
    [files.ecSec1, pem(keys.ec.privateKey, { type: "sec1" })],
  ];
  for (const [path, text] of contents) {
    await Deno.writeTextFile(path, text, { mode: 0o600 });
  }
  return files;
}
