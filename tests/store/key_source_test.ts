import assert from "node:assert/strict";
import {
  chooseKeySource,
  fileKeySource,
  isRequestedKeySource,
  KeyParamsError,
  passphraseKeySource,
} from "../../src/store/key_source.ts";
import type { RequestedKeySource } from "../../src/store/key_source.ts";
import { modeOf, posix, rejectsWithCode, tempDir } from "./support/helpers.ts";
import { CliError } from "../../src/errors.ts";

Deno.test("chooseKeySource for a new store", () => {
  const pick = (requested: RequestedKeySource | undefined, passphrase?: string) =>
    chooseKeySource("/cfg", { requested, passphrase }).name;
  // auto without a passphrase starts with the keychain; newStoreKey falls back to the key file.
  assert.equal(pick(undefined), "keychain");
  assert.equal(pick("auto"), "keychain");
  assert.equal(pick("auto", ""), "keychain");
  assert.equal(pick("auto", "pw"), "passphrase");
  assert.equal(pick("file", "pw"), "file");
  assert.equal(pick("keychain", "pw"), "keychain");
  assert.equal(pick("passphrase", "pw"), "passphrase");
  assert.throws(() => pick("passphrase"), (e) => e instanceof CliError && e.code === "USAGE");
  assert.throws(
    () => pick("bogus" as RequestedKeySource),
    (e) => e instanceof CliError && e.code === "USAGE",
  );
  assert.ok(isRequestedKeySource("auto") && !isRequestedKeySource("bogus"));
});

Deno.test("chooseKeySource for an existing store uses its header's source", () => {
  const existing = (keySource: "file" | "passphrase" | "keychain") => ({
    keySource,
    path: "/cfg/accounts.enc",
  });
  assert.equal(chooseKeySource("/cfg", { passphrase: "pw" }, existing("file")).name, "file");
  assert.equal(
    chooseKeySource("/cfg", { requested: "file", passphrase: "pw" }, existing("passphrase")).name,
    "passphrase",
  );
  assert.throws(
    () => chooseKeySource("/cfg", { requested: "passphrase" }, existing("passphrase")),
    (e) =>
      e instanceof CliError && e.code === "STORE_UNREADABLE" &&
      e.message ===
        "/cfg/accounts.enc is encrypted with a passphrase: set AXWAY_AUTH_PASSPHRASE",
  );
  assert.equal(
    chooseKeySource("/cfg", { requested: "file", passphrase: "pw" }, existing("keychain")).name,
    "keychain",
  );
});

Deno.test("file key source creates the key file once, 0600, and reuses it", async () => {
  await using dir = await tempDir();
  const source = fileKeySource(dir.path);
  assert.equal(source.describe(), `key file ${dir.path}/store.key`);
  await rejectsWithCode(source.key(undefined, false), "STORE_UNREADABLE");
  const first = await source.key(undefined, true);
  assert.equal(first.params, undefined);
  const bytes = await Deno.readFile(`${dir.path}/store.key`);
  assert.equal(bytes.length, 32);
  if (posix) assert.equal(await modeOf(`${dir.path}/store.key`), 0o600);
  const again = await fileKeySource(dir.path).key(undefined, true);
  assert.deepEqual(await Deno.readFile(`${dir.path}/store.key`), bytes);
  // Same key: what one encrypts the other decrypts.
  const iv = new Uint8Array(12);
  const sealed = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, first.key, iv);
  await crypto.subtle.decrypt({ name: "AES-GCM", iv }, again.key, sealed);
  assert.equal(first.key.extractable, false);
});

Deno.test("passphrase key source: fresh salt per new store, same key from recorded params", async () => {
  const source = passphraseKeySource("pw", { iterations: 1_000 });
  const a = await source.key(undefined, true);
  const b = await source.key(undefined, true);
  assert.notEqual(a.params?.salt, b.params?.salt);
  assert.equal(a.params?.iterations, 1_000);
  const again = await source.key(a.params, false);
  assert.deepEqual(again.params, a.params);
  const iv = new Uint8Array(12);
  const sealed = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, a.key, iv);
  await crypto.subtle.decrypt({ name: "AES-GCM", iv }, again.key, sealed);
  await assert.rejects(crypto.subtle.decrypt({ name: "AES-GCM", iv }, b.key, sealed));
});

Deno.test("passphrase key source rejects unusable params", async () => {
  const source = passphraseKeySource("pw");
  const salt = new Uint8Array(16).toBase64();
  for (
    const params of [
      undefined,
      { kdf: "scrypt", iterations: 1000, salt },
      { kdf: "PBKDF2-SHA256", iterations: 1e12, salt },
      { kdf: "PBKDF2-SHA256", iterations: 0, salt },
      { kdf: "PBKDF2-SHA256", iterations: 1000, salt: "AAAA" },
      { kdf: "PBKDF2-SHA256", iterations: 1000, salt: "!!" },
    ]
  ) {
    await assert.rejects(source.key(params, false), KeyParamsError);
  }
});
