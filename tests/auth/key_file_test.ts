import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import {
  createCipheriv,
  generateKeyPairSync,
  type KeyObject,
  pbkdf2Sync,
  randomBytes,
  verify as nodeVerify,
} from "node:crypto";
import { join } from "node:path";
import {
  importSigningKey,
  loadKeyFile,
  parsePrivateKeyPem,
  type SigningKey,
} from "../../src/auth/key_file.ts";
import { CliError } from "../../src/errors.ts";

const PASSPHRASE = "correct horse battery staple";
const WRONG_PASSPHRASE = "Tr0ub4dor&3-not-it";
const MODULE_URL = new URL("../../src/auth/key_file.ts", import.meta.url).href;

interface Keys {
  rsa: { publicKey: KeyObject; privateKey: KeyObject };
  ec: { publicKey: KeyObject; privateKey: KeyObject };
  ed25519: KeyObject;
  p384: KeyObject;
  rsa1024: KeyObject;
}

let cachedKeys: Keys | undefined;
function keys(): Keys {
  cachedKeys ??= {
    rsa: generateKeyPairSync("rsa", { modulusLength: 2048 }),
    ec: generateKeyPairSync("ec", { namedCurve: "P-256" }),
    ed25519: generateKeyPairSync("ed25519").privateKey,
    p384: generateKeyPairSync("ec", { namedCurve: "P-384" }).privateKey,
    rsa1024: generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey,
  };
  return cachedKeys;
}

/** Every PEM written by a test, so messages can be checked for leaked key text. */
const writtenPems: string[] = [];

function pemOf(key: KeyObject, type: "pkcs8" | "pkcs1" | "sec1" | "spki", encrypt = false) {
  const pem = key.export(
    encrypt
      ? { type, format: "pem", cipher: "aes-256-cbc", passphrase: PASSPHRASE }
      : { type, format: "pem" },
  ) as string;
  writtenPems.push(pem);
  return pem;
}

function pkcs8Der(key: KeyObject): Uint8Array {
  return new Uint8Array(key.export({ type: "pkcs8", format: "der" }));
}

function toPem(label: string, der: Uint8Array): string {
  const body = Buffer.from(der).toString("base64").replace(/.{1,64}/g, "$&\n");
  const pem = `-----BEGIN ${label}-----\n${body}-----END ${label}-----\n`;
  writtenPems.push(pem);
  return pem;
}

// Minimal DER encoder, to build encrypted PKCS#8 variants node:crypto cannot export.
function tlv(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const body = Buffer.concat(parts);
  const n = body.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return new Uint8Array(Buffer.concat([Uint8Array.of(tag, ...len), body]));
}
const seq = (...parts: Uint8Array[]) => tlv(0x30, ...parts);
const oid = (hex: string) => tlv(0x06, Buffer.from(hex, "hex"));
const octets = (bytes: Uint8Array) => tlv(0x04, bytes);

/** PBES2 + PBKDF2 encrypted PKCS#8; `prf` omitted means the DER default, HMAC-SHA1. */
function encryptPkcs8(
  key: KeyObject,
  cipher: "aes-256-cbc" | "des-ede3-cbc",
  prf?: "sha256",
): string {
  const salt = randomBytes(16);
  const iterations = 2048;
  const keyLength = cipher === "aes-256-cbc" ? 32 : 24;
  const iv = randomBytes(cipher === "aes-256-cbc" ? 16 : 8);
  const derived = pbkdf2Sync(PASSPHRASE, salt, iterations, keyLength, prf ?? "sha1");
  const enc = createCipheriv(cipher, derived, iv);
  const data = Buffer.concat([enc.update(pkcs8Der(key)), enc.final()]);
  const kdfParams = seq(
    octets(salt),
    tlv(0x02, Uint8Array.of(iterations >> 8, iterations & 0xff)),
    ...(prf ? [seq(oid("2a864886f70d0209"), tlv(0x05))] : []),
  );
  const cipherOid = cipher === "aes-256-cbc" ? "60864801650304012a" : "2a864886f70d0307";
  const algId = seq(
    oid("2a864886f70d01050d"),
    seq(seq(oid("2a864886f70d01050c"), kdfParams), seq(oid(cipherOid), octets(iv))),
  );
  return toPem("ENCRYPTED PRIVATE KEY", seq(algId, octets(data)));
}

function pemBody(pem: string): Uint8Array {
  return new Uint8Array(Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ""), "base64"));
}

/** Signs with WebCrypto and verifies with node:crypto and the public key. */
async function assertSigns(key: SigningKey, publicKey: KeyObject): Promise<void> {
  const cryptoKey = await importSigningKey(key);
  assert.equal(cryptoKey.extractable, false);
  assert.deepEqual(cryptoKey.usages, ["sign"]);
  const data = new TextEncoder().encode("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0");
  const params = key.alg === "RS256"
    ? { name: "RSASSA-PKCS1-v1_5" }
    : { name: "ECDSA", hash: "SHA-256" };
  const signature = new Uint8Array(await crypto.subtle.sign(params, cryptoKey, data));
  assert.equal(
    nodeVerify("sha256", data, { key: publicKey, dsaEncoding: "ieee-p1363" }, signature),
    true,
    "signature must verify with the public key",
  );
}

/** Checks the error shape and that it leaks neither passphrase nor key text. */
function assertKeyError(err: unknown, pattern: RegExp, mustName?: string): CliError {
  assert.ok(err instanceof CliError, `expected CliError, got ${err}`);
  assert.equal(err.code, "KEY_FILE");
  assert.equal(err.exitCode, 1);
  assert.match(err.message, pattern);
  assert.ok(!err.message.includes("\n"), `message must be one line: ${err.message}`);
  if (mustName) assert.ok(err.message.includes(mustName), `message must name ${mustName}`);
  const shown = `${err.message}\n${err.hint ?? ""}`;
  for (const secret of [PASSPHRASE, WRONG_PASSPHRASE]) {
    assert.ok(!shown.includes(secret), "message must not contain the passphrase");
    assert.ok(!String(err.cause ?? "").includes(secret), "cause must not contain the passphrase");
  }
  for (const pem of writtenPems) {
    for (const line of pem.split("\n")) {
      if (line.length >= 16 && !line.startsWith("-----")) {
        assert.ok(!shown.includes(line), "message must not contain key text");
      }
    }
  }
  assert.ok(!/error:[0-9A-F]{8}|routines|DECODER/.test(shown), `OpenSSL text leaked: ${shown}`);
  return err;
}

async function rejects(promise: Promise<unknown>, pattern: RegExp, mustName?: string) {
  try {
    await promise;
  } catch (err) {
    return assertKeyError(err, pattern, mustName);
  }
  assert.fail(`expected a KEY_FILE error matching ${pattern}`);
}

function throws(fn: () => unknown, pattern: RegExp, mustName?: string) {
  try {
    fn();
  } catch (err) {
    return assertKeyError(err, pattern, mustName);
  }
  assert.fail(`expected a KEY_FILE error matching ${pattern}`);
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "axway-key-file-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function write(dir: string, name: string, content: string | Uint8Array): Promise<string> {
  const path = join(dir, name);
  if (typeof content === "string") await Deno.writeTextFile(path, content);
  else await Deno.writeFile(path, content);
  return path;
}

Deno.test("loadKeyFile reads RSA keys as RS256 (PKCS#8, PKCS#1, encrypted)", async () => {
  const { rsa } = keys();
  const expected = pkcs8Der(rsa.privateKey);
  await withDir(async (dir) => {
    const variants: [string, string, string | undefined][] = [
      ["rsa-pkcs8.pem", pemOf(rsa.privateKey, "pkcs8"), undefined],
      ["rsa-pkcs1.pem", pemOf(rsa.privateKey, "pkcs1"), undefined],
      ["rsa-pkcs8-enc.pem", pemOf(rsa.privateKey, "pkcs8", true), PASSPHRASE],
      ["rsa-legacy-enc.pem", pemOf(rsa.privateKey, "pkcs1", true), PASSPHRASE],
      ["rsa-pbkdf2-sha1.pem", encryptPkcs8(rsa.privateKey, "aes-256-cbc"), PASSPHRASE],
      ["rsa-3des.pem", encryptPkcs8(rsa.privateKey, "des-ede3-cbc", "sha256"), PASSPHRASE],
      // A passphrase given for an unencrypted key is ignored.
      ["rsa-pkcs8-extra-pass.pem", pemOf(rsa.privateKey, "pkcs8"), PASSPHRASE],
    ];
    for (const [name, pem, passphrase] of variants) {
      const key = await loadKeyFile(await write(dir, name, pem), passphrase);
      assert.equal(key.alg, "RS256", name);
      assert.ok(key.pkcs8 instanceof Uint8Array);
      assert.deepEqual(new Uint8Array(key.pkcs8), expected, name);
      await assertSigns(key, rsa.publicKey);
    }
  });
});

Deno.test("loadKeyFile reads EC P-256 keys as ES256 (PKCS#8, SEC1, encrypted)", async () => {
  const { ec } = keys();
  const expected = pkcs8Der(ec.privateKey);
  await withDir(async (dir) => {
    const variants: [string, string, string | undefined][] = [
      ["ec-pkcs8.pem", pemOf(ec.privateKey, "pkcs8"), undefined],
      ["ec-sec1.pem", pemOf(ec.privateKey, "sec1"), undefined],
      ["ec-pkcs8-enc.pem", pemOf(ec.privateKey, "pkcs8", true), PASSPHRASE],
      ["ec-sec1-enc.pem", pemOf(ec.privateKey, "sec1", true), PASSPHRASE],
      ["ec-pbkdf2-sha1.pem", encryptPkcs8(ec.privateKey, "aes-256-cbc"), PASSPHRASE],
      // `openssl ecparam -genkey` writes an EC PARAMETERS block before the key.
      [
        "ec-with-params.pem",
        "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n" +
        pemOf(ec.privateKey, "sec1"),
        undefined,
      ],
    ];
    for (const [name, pem, passphrase] of variants) {
      const key = await loadKeyFile(await write(dir, name, pem), passphrase);
      assert.equal(key.alg, "ES256", name);
      assert.deepEqual(new Uint8Array(key.pkcs8), expected, name);
      await assertSigns(key, ec.publicKey);
    }
  });
});

Deno.test("loadKeyFile tolerates BOM, CRLF, whitespace, quotes and literal \\n", async () => {
  const { rsa, ec } = keys();
  const rsaPem = pemOf(rsa.privateKey, "pkcs1");
  const ecPem = pemOf(ec.privateKey, "pkcs8");
  const encPem = pemOf(rsa.privateKey, "pkcs8", true);
  await withDir(async (dir) => {
    const variants: [string, string, KeyObject, string?][] = [
      ["crlf.pem", rsaPem.replaceAll("\n", "\r\n"), rsa.publicKey],
      ["bom.pem", "\uFEFF" + ecPem, ec.publicKey],
      ["bom-crlf.pem", "\uFEFF" + ecPem.replaceAll("\n", "\r\n"), ec.publicKey],
      ["padded.pem", `\n\n   ${rsaPem}\n\t \n`, rsa.publicKey],
      ["escaped.pem", rsaPem.trim().replaceAll("\n", "\\n"), rsa.publicKey],
      ["escaped-crlf.pem", ecPem.replaceAll("\n", "\\r\\n"), ec.publicKey],
      ["escaped-quoted.pem", `"${ecPem.replaceAll("\n", "\\n")}"\n`, ec.publicKey],
      ["indented.pem", rsaPem.replace(/^/gm, "    "), rsa.publicKey],
      ["no-final-newline.pem", ecPem.trimEnd(), ec.publicKey],
      ["escaped-enc.pem", encPem.replaceAll("\n", "\\n"), rsa.publicKey, PASSPHRASE],
      [
        "bundle.pem",
        "Bag Attributes\n    friendlyName: test\n-----BEGIN CERTIFICATE-----\nMIIBAAAA\n" +
        "-----END CERTIFICATE-----\n" + ecPem,
        ec.publicKey,
      ],
    ];
    for (const [name, text, publicKey, passphrase] of variants) {
      const key = await loadKeyFile(await write(dir, name, text), passphrase);
      await assertSigns(key, publicKey);
    }
  });
});

Deno.test("parsePrivateKeyPem names the source and accepts the same input", async () => {
  const { ec } = keys();
  const pem = pemOf(ec.privateKey, "sec1");
  const key = parsePrivateKeyPem(pem.replaceAll("\n", "\\n"), "AXWAY_CLIENT_KEY");
  assert.equal(key.alg, "ES256");
  await assertSigns(key, ec.publicKey);
  throws(() => parsePrivateKeyPem("", "AXWAY_CLIENT_KEY"), /^AXWAY_CLIENT_KEY is empty$/);
  throws(
    () => parsePrivateKeyPem(pemOf(ec.publicKey, "spki"), "AXWAY_CLIENT_KEY"),
    /^AXWAY_CLIENT_KEY contains a public key, not a private key$/,
  );
});

Deno.test("encrypted keys: missing, empty and wrong passphrases", async () => {
  const { rsa, ec } = keys();
  await withDir(async (dir) => {
    const files = [
      await write(dir, "pkcs8-enc.pem", pemOf(rsa.privateKey, "pkcs8", true)),
      await write(dir, "legacy-enc.pem", pemOf(ec.privateKey, "sec1", true)),
      await write(dir, "pbkdf2-sha1.pem", encryptPkcs8(rsa.privateKey, "aes-256-cbc")),
    ];
    for (const path of files) {
      const missing = /is encrypted: set AXWAY_SECRET_FILE_PASSPHRASE to its passphrase$/;
      await rejects(loadKeyFile(path), missing, path);
      await rejects(loadKeyFile(path, ""), missing, path);
      // Repeat: a wrong passphrase occasionally passes the padding check; still "wrong".
      for (let i = 0; i < 5; i++) {
        await rejects(
          loadKeyFile(path, `${WRONG_PASSPHRASE}${i}`),
          new RegExp(`^wrong passphrase for key file ${RegExp.escape(path)}$`),
        );
      }
    }
  });
});

Deno.test("unsupported key types and small RSA keys are rejected", async () => {
  const { ed25519, p384, rsa1024 } = keys();
  const x25519 = generateKeyPairSync("x25519").privateKey;
  await withDir(async (dir) => {
    const cases: [string, string, RegExp][] = [
      [
        "ed25519.pem",
        pemOf(ed25519, "pkcs8"),
        /unsupported key type Ed25519: use an RSA or EC P-256 key$/,
      ],
      [
        "p384.pem",
        pemOf(p384, "pkcs8"),
        /unsupported key type EC P-384: use an RSA or EC P-256 key$/,
      ],
      ["p384-sec1.pem", pemOf(p384, "sec1"), /unsupported key type EC P-384: /],
      ["x25519.pem", pemOf(x25519, "pkcs8"), /unsupported key type X25519: /],
      [
        "dsa.pem",
        "-----BEGIN DSA PRIVATE KEY-----\nMIIBuwIBAAKBgQ==\n-----END DSA PRIVATE KEY-----\n",
        /unsupported key type DSA: use an RSA or EC P-256 key$/,
      ],
      [
        "rsa1024.pem",
        pemOf(rsa1024, "pkcs1"),
        /holds a 1024-bit RSA key; at least 2048 bits are required$/,
      ],
    ];
    for (const [name, text, pattern] of cases) {
      const path = await write(dir, name, text);
      await rejects(loadKeyFile(path), pattern, path);
    }
  });
});

Deno.test("non-key content gets a specific message", async () => {
  const { rsa, ec } = keys();
  const pkcs8 = pkcs8Der(rsa.privateKey);
  const corrupt = pkcs8.slice();
  corrupt[0] = 0x31; // not a SEQUENCE
  const encrypted = pemBody(pemOf(rsa.privateKey, "pkcs8", true));
  const pbes1 = encrypted.slice();
  const pbes2At = Buffer.from(pbes1).indexOf(Buffer.from("2a864886f70d01050d", "hex"));
  assert.ok(pbes2At > 0);
  pbes1[pbes2At + 8] = 0x03; // pbeWithMD5AndDES-CBC
  const ecPem = pemOf(ec.privateKey, "pkcs8");
  await withDir(async (dir) => {
    const cases: [string, string | Uint8Array, RegExp][] = [
      ["empty.pem", "", /is empty$/],
      ["blank.pem", " \r\n\t\n", /is empty$/],
      ["bom-only.pem", "\uFEFF\n", /is empty$/],
      [
        "text.pem",
        "hello, this is not a key\n",
        /is not a PEM private key \(no "-----BEGIN \.\.\. PRIVATE KEY-----" block\)$/,
      ],
      ["key.der", pkcs8, /is binary \(DER\?\), not a PEM private key$/],
      ["spki.pem", pemOf(rsa.publicKey, "spki"), /contains a public key, not a private key$/],
      ["pkcs1-pub.pem", pemOf(rsa.publicKey, "pkcs1"), /contains a public key, not a private key$/],
      [
        "cert.pem",
        "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUZm9vYmFyZ2FyYmFnZQ==\n-----END CERTIFICATE-----\n",
        /contains a certificate, not a private key$/,
      ],
      [
        "csr.pem",
        "-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n",
        /contains a certificate, not a private key$/,
      ],
      [
        "openssh.pem",
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
        /is an OpenSSH private key, not PEM$/,
      ],
      [
        "pgp.asc",
        "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBF\n-----END PGP PRIVATE KEY BLOCK-----\n",
        /contains an unsupported "PGP PRIVATE KEY BLOCK" block, not a PEM private key$/,
      ],
      [
        "two.pem",
        ecPem + pemOf(rsa.privateKey, "pkcs8"),
        /contains 2 private keys; keep only one$/,
      ],
      [
        "truncated.pem",
        ecPem.slice(0, ecPem.length / 2),
        /contains a malformed or corrupt private key$/,
      ],
      [
        "corrupt.pem",
        toPem("PRIVATE KEY", corrupt),
        /contains a malformed or corrupt private key$/,
      ],
      [
        "short.pem",
        toPem("PRIVATE KEY", pkcs8.subarray(0, 200)),
        /contains a malformed or corrupt private key$/,
      ],
      [
        "bad-base64.pem",
        ecPem.replace(/\n(.)/, "\n*$1"),
        /contains a malformed or corrupt private key$/,
      ],
      [
        "label-mismatch.pem",
        ecPem.replaceAll("PRIVATE KEY", "RSA PRIVATE KEY"),
        /contains a malformed or corrupt private key$/,
      ],
      [
        "enc-truncated.pem",
        toPem("ENCRYPTED PRIVATE KEY", encrypted.subarray(0, 300)),
        /contains a malformed or corrupt private key$/,
      ],
      [
        "enc-pbes1.pem",
        toPem("ENCRYPTED PRIVATE KEY", pbes1),
        /is encrypted with an unsupported scheme$/,
      ],
    ];
    for (const [name, content, pattern] of cases) {
      const path = await write(dir, name, content);
      const err = await rejects(loadKeyFile(path, PASSPHRASE), pattern, path);
      assert.ok(err.message.startsWith(`key file ${path} `), err.message);
    }
    const pbes1Err = await rejects(
      loadKeyFile(join(dir, "enc-pbes1.pem"), PASSPHRASE),
      /unsupported scheme/,
    );
    assert.match(pbes1Err.hint ?? "", /openssl pkcs8 -topk8 -v2 aes-256-cbc/);
    const large = await write(dir, "large.pem", "x".repeat(1024 * 1024 + 1));
    await rejects(loadKeyFile(large), /is too large to be a private key \(1048577 bytes\)$/, large);
  });
});

Deno.test("file system failures: missing, directory, parent not a directory", async () => {
  await withDir(async (dir) => {
    const missing = join(dir, "nope.pem");
    await rejects(
      loadKeyFile(missing),
      new RegExp(`^key file not found: ${RegExp.escape(missing)}$`),
    );
    const notDir = join(await write(dir, "file", "x"), "key.pem");
    await rejects(loadKeyFile(notDir), /^key file not found: /, notDir);
    const sub = join(dir, "keys");
    await Deno.mkdir(sub);
    await rejects(
      loadKeyFile(sub),
      new RegExp(`^key file ${RegExp.escape(sub)} is a directory, not a file$`),
    );
    const dangling = join(dir, "dangling.pem");
    await Deno.symlink(join(dir, "gone.pem"), dangling);
    await rejects(loadKeyFile(dangling), /^key file not found: /, dangling);
  });
});

Deno.test({
  name: "loadKeyFile reads a FIFO (process substitution)",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const { ec } = keys();
    await withDir(async (dir) => {
      const fifo = join(dir, "key.fifo");
      const made = await new Deno.Command("mkfifo", { args: [fifo] }).output().catch(() => null);
      if (!made?.success) return; // mkfifo unavailable: nothing to test
      const [key] = await Promise.all([
        loadKeyFile(fifo),
        Deno.writeTextFile(fifo, pemOf(ec.privateKey, "pkcs8")),
      ]);
      await assertSigns(key, ec.publicKey);
    });
  },
});

/** Runs loadKeyFile in a child deno with the given launcher prefix; returns its error. */
async function loadInChild(
  dir: string,
  path: string,
  prefix: string[],
  denoFlags: string[],
): Promise<{ code?: string; message?: string; loaded?: boolean }> {
  const script = await write(
    dir,
    "child.ts",
    `import { loadKeyFile } from ${JSON.stringify(MODULE_URL)};
try { await loadKeyFile(Deno.args[0]); console.log(JSON.stringify({ loaded: true })); }
catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }\n`,
  );
  await Deno.chmod(script, 0o644);
  const denoDir = join(dir, "deno-dir");
  await Deno.mkdir(denoDir, { recursive: true });
  await Deno.chmod(denoDir, 0o777);
  const [cmd, ...args] = [...prefix, Deno.execPath(), "run", "--no-config", "--no-prompt"];
  const out = await new Deno.Command(cmd, {
    args: [...args, ...denoFlags, script, path],
    cwd: dir,
    env: { DENO_DIR: denoDir, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout).trim();
  assert.ok(out.success, `child failed: ${new TextDecoder().decode(out.stderr)}`);
  return JSON.parse(stdout.split("\n").at(-1)!);
}

const isRoot = Deno.build.os !== "windows" && Deno.uid() === 0;
let hasSetpriv = false;
try {
  hasSetpriv = isRoot && Deno.statSync("/usr/bin/setpriv").isFile;
} catch {
  hasSetpriv = false;
}

Deno.test({
  name: "unreadable file (permission denied) is reported as such",
  // root reads mode-0000 files, so as root the check runs in a child dropped to `nobody`.
  ignore: Deno.build.os === "windows" || (isRoot && !hasSetpriv),
  fn: async () => {
    const { ec } = keys();
    await withDir(async (dir) => {
      await Deno.chmod(dir, 0o755);
      const path = await write(dir, "locked.pem", pemOf(ec.privateKey, "pkcs8"));
      await Deno.chmod(path, 0o000);
      const expected = new RegExp(
        `^cannot read key file ${RegExp.escape(path)}: permission denied$`,
      );
      if (!isRoot) {
        await rejects(loadKeyFile(path), expected, path);
        return;
      }
      const result = await loadInChild(
        dir,
        path,
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"],
        ["--allow-read"],
      );
      assert.equal(result.code, "KEY_FILE");
      assert.match(result.message ?? "", expected);
    });
  },
});

Deno.test("missing Deno read permission is reported as such", async () => {
  const { ec } = keys();
  await withDir(async (dir) => {
    const path = await write(dir, "key.pem", pemOf(ec.privateKey, "pkcs8"));
    const result = await loadInChild(dir, path, [], []);
    assert.equal(result.code, "KEY_FILE");
    assert.equal(
      result.message,
      `cannot read key file ${path}: read access not granted (--allow-read)`,
    );
  });
});

Deno.test("importSigningKey rejects key data WebCrypto cannot use", async () => {
  const { ec, rsa } = keys();
  const mismatched: SigningKey = { alg: "RS256", pkcs8: pkcs8Der(ec.privateKey) };
  await rejects(importSigningKey(mismatched), /^the RS256 private key cannot be used for signing$/);
  const garbage: SigningKey = { alg: "ES256", pkcs8: new Uint8Array([1, 2, 3]) };
  await rejects(importSigningKey(garbage), /^the ES256 private key cannot be used for signing$/);
  const key = await importSigningKey({ alg: "RS256", pkcs8: pkcs8Der(rsa.privateKey) });
  assert.equal(key.algorithm.name, "RSASSA-PKCS1-v1_5");
});
