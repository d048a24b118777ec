import assert from "node:assert/strict";
import { CliError } from "../../src/errors.ts";
import { openSealed, parseStoreFile, sealDocument } from "../../src/store/crypto.ts";
import { passphraseKeySource } from "../../src/store/key_source.ts";
import type { StoreDocument } from "../../src/store/types.ts";
import { AccountStore } from "../../src/store/account_store.ts";
import { rejectsWithCode, sampleAccount, tempDir } from "./support/helpers.ts";

const doc: StoreDocument = { version: 1, accounts: [sampleAccount("a")], defaults: {} };
const source = passphraseKeySource("pw", { iterations: 1_000 });

Deno.test("sealed file: header line then base64 ciphertext; header exact shape", async () => {
  const { key, params } = await source.key(undefined, true);
  const bytes = await sealDocument(doc, key, "passphrase", params);
  const text = new TextDecoder().decode(bytes);
  const lines = text.split("\n");
  assert.equal(lines.length, 3);
  assert.equal(lines[2], "");
  const header = JSON.parse(lines[0]);
  assert.deepEqual(Object.keys(header), ["format", "version", "keySource", "keyParams", "nonce"]);
  assert.equal(Uint8Array.fromBase64(header.nonce).length, 12);
  const sealed = parseStoreFile(bytes, "/x");
  assert.equal(sealed.headerLine, lines[0]);
  assert.deepEqual(await openSealed(sealed, key, source, "/x"), doc);
});

Deno.test("the header is additional data: changing it breaks decryption", async () => {
  const { key, params } = await source.key(undefined, true);
  const text = new TextDecoder().decode(await sealDocument(doc, key, "passphrase", params));
  const [headerLine, body] = text.split("\n");
  const changed = headerLine.replace('"format"', ' "format"');
  const sealed = parseStoreFile(new TextEncoder().encode(`${changed}\n${body}\n`), "/x");
  const error = await rejectsWithCode(openSealed(sealed, key, source, "/x"), "STORE_UNREADABLE");
  assert.match(error.message, /\/x/);
});

Deno.test("CRLF line endings are tolerated", async () => {
  const { key, params } = await source.key(undefined, true);
  const text = new TextDecoder().decode(await sealDocument(doc, key, "passphrase", params));
  const crlf = new TextEncoder().encode(text.replaceAll("\n", "\r\n"));
  assert.deepEqual(await openSealed(parseStoreFile(crlf, "/x"), key, source, "/x"), doc);
});

Deno.test("a newer document version inside is refused clearly", async () => {
  const { key, params } = await source.key(undefined, true);
  const newer = { ...doc, version: 2 } as unknown as StoreDocument;
  const sealed = parseStoreFile(await sealDocument(newer, key, "passphrase", params), "/x");
  const error = await rejectsWithCode(openSealed(sealed, key, source, "/x"), "STORE_UNREADABLE");
  assert.match(error.message, /newer axway/);
});

Deno.test("malformed headers are STORE_UNREADABLE naming the file", () => {
  const nonce = new Uint8Array(12).toBase64();
  const base = { format: "axway-accounts", version: 1, keySource: "file", nonce };
  for (
    const header of [
      { ...base, format: "other" },
      { ...base, version: "1" },
      { ...base, keySource: "usb" },
      { ...base, nonce: "AAAA" },
      { ...base, keyParams: { nested: {} } },
    ]
  ) {
    const bytes = new TextEncoder().encode(`${JSON.stringify(header)}\n${"A".repeat(44)}\n`);
    assert.throws(
      () => parseStoreFile(bytes, "/cfg/accounts.enc"),
      (e) =>
        e instanceof CliError && e.code === "STORE_UNREADABLE" &&
        e.message.includes("/cfg/accounts.enc"),
      JSON.stringify(header),
    );
  }
});

Deno.test("absurd KDF params in an existing store's header are STORE_UNREADABLE", async () => {
  await using dir = await tempDir();
  const store = new AccountStore({
    configDir: dir.path,
    keySource: { passphrase: "pw", iterations: 1_000 },
  });
  await store.update((d) => void d.accounts.push(sampleAccount("a")));
  const [headerLine, body] = (await Deno.readTextFile(store.path)).split("\n");
  const content = `${headerLine.replace('"iterations":1000', '"iterations":1e12')}\n${body}\n`;
  await Deno.writeTextFile(store.path, content);
  const fresh = new AccountStore({ configDir: dir.path, keySource: { passphrase: "pw" } });
  const error = await rejectsWithCode(fresh.read(), "STORE_UNREADABLE");
  assert.match(error.message, new RegExp(`${store.path} is damaged`));
  assert.equal(await Deno.readTextFile(store.path), content);
});
