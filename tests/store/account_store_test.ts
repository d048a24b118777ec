import assert from "node:assert/strict";
import { AccountStore, emptyDocument } from "../../src/store/account_store.ts";
import { DEFAULT_PBKDF2_ITERATIONS } from "../../src/store/key_source.ts";
import type { KeySourceSelection } from "../../src/store/key_source.ts";
import {
  listFiles,
  modeOf,
  posix,
  rejectsWithCode,
  sampleAccount,
  tempDir,
} from "./support/helpers.ts";

const FAST = 1_000;

function fileStore(configDir: string): AccountStore {
  return new AccountStore({ configDir, keySource: { requested: "file" } });
}

function passStore(configDir: string, passphrase?: string, extra: KeySourceSelection = {}) {
  return new AccountStore({
    configDir,
    keySource: { requested: "auto", passphrase, iterations: FAST, ...extra },
  });
}

async function headerOf(path: string): Promise<Record<string, unknown>> {
  return JSON.parse((await Deno.readTextFile(path)).split("\n")[0]);
}

Deno.test("read of a missing store gives an empty document and creates nothing", async () => {
  await using dir = await tempDir();
  const configDir = `${dir.path}/cfg`;
  const store = fileStore(configDir);
  assert.deepEqual(await store.read(), emptyDocument());
  await assert.rejects(Deno.stat(configDir), Deno.errors.NotFound);
});

Deno.test("round trip with a key file", async () => {
  await using dir = await tempDir();
  const store = fileStore(dir.path);
  const result = await store.update((doc) => {
    doc.accounts.push(sampleAccount("a"));
    doc.defaults["https://issuer"] = { account: "a" };
    return 42;
  });
  assert.equal(result, 42);
  const fresh = fileStore(dir.path);
  const doc = await fresh.read();
  assert.deepEqual(doc.accounts, [sampleAccount("a")]);
  assert.deepEqual(doc.defaults, { "https://issuer": { account: "a" } });
  const header = await headerOf(fresh.path);
  assert.equal(header.format, "axway-accounts");
  assert.equal(header.version, 1);
  assert.equal(header.keySource, "file");
  assert.equal(header.keyParams, undefined);
  assert.equal((await Deno.readFile(`${dir.path}/store.key`)).length, 32);
  assert.equal(await fresh.describeKey(), `key file ${dir.path}/store.key`);
});

Deno.test("round trip with a passphrase; header records salt and iterations", async () => {
  await using dir = await tempDir();
  const store = passStore(dir.path, "correct horse");
  await store.update((doc) => void doc.accounts.push(sampleAccount("p")));
  const header = await headerOf(store.path);
  assert.equal(header.keySource, "passphrase");
  const params = header.keyParams as Record<string, unknown>;
  assert.equal(params.kdf, "PBKDF2-SHA256");
  assert.equal(params.iterations, FAST);
  assert.equal(Uint8Array.fromBase64(params.salt as string).length, 16);
  await assert.rejects(Deno.stat(`${dir.path}/store.key`), Deno.errors.NotFound);

  // Another process (fresh instance) with the passphrase, whatever it requests, reads it.
  const other = new AccountStore({
    configDir: dir.path,
    keySource: { requested: "file", passphrase: "correct horse" },
  });
  assert.deepEqual((await other.read()).accounts, [sampleAccount("p")]);
  assert.equal(await other.describeKey(), "passphrase (AXWAY_AUTH_PASSPHRASE)");
});

Deno.test("rewrites keep the salt and derive the key once; nonce changes every write", async () => {
  await using dir = await tempDir();
  const store = passStore(dir.path, "pw");
  await store.update((doc) => void doc.accounts.push(sampleAccount("a")));
  const first = await headerOf(store.path);
  const firstBody = (await Deno.readTextFile(store.path)).split("\n")[1];

  const reader = passStore(dir.path, "pw");
  let derivations = 0;
  const original = crypto.subtle.deriveKey.bind(crypto.subtle);
  crypto.subtle.deriveKey = ((...args: Parameters<typeof original>) => {
    derivations++;
    return original(...args);
  }) as typeof original;
  try {
    await reader.read();
    // Same document content rewritten: force a write by changing and restoring nothing else.
    await reader.update((doc) => void (doc.accounts[0].needsLogin = true));
    await reader.update((doc) => void (doc.accounts[0].needsLogin = false));
    await reader.read();
  } finally {
    crypto.subtle.deriveKey = original;
  }
  assert.equal(derivations, 1);
  const second = await headerOf(store.path);
  const secondBody = (await Deno.readTextFile(store.path)).split("\n")[1];
  assert.deepEqual(second.keyParams, first.keyParams);
  assert.notEqual(second.nonce, first.nonce);
  assert.notEqual(secondBody, firstBody);
  assert.deepEqual((await passStore(dir.path, "pw").read()).accounts, [sampleAccount("a")]);
});

Deno.test("default passphrase iterations are 600,000", async () => {
  await using dir = await tempDir();
  const store = new AccountStore({
    configDir: dir.path,
    keySource: { requested: "passphrase", passphrase: "pw" },
  });
  await store.update((doc) => void doc.accounts.push(sampleAccount("a")));
  const params = (await headerOf(store.path)).keyParams as Record<string, unknown>;
  assert.equal(params.iterations, DEFAULT_PBKDF2_ITERATIONS);
  assert.equal(DEFAULT_PBKDF2_ITERATIONS, 600_000);
});

Deno.test("two writes of the same document use different nonces", async () => {
  await using dir = await tempDir();
  const store = fileStore(dir.path);
  await store.update((doc) => void doc.accounts.push(sampleAccount("a")));
  const first = await Deno.readTextFile(store.path);
  await store.update((doc) => void (doc.accounts = []));
  await store.update((doc) => void doc.accounts.push(sampleAccount("a")));
  const second = await Deno.readTextFile(store.path);
  assert.notEqual(first, second);
  assert.notEqual(JSON.parse(first.split("\n")[0]).nonce, JSON.parse(second.split("\n")[0]).nonce);
});

Deno.test("update without changes does not write", async () => {
  await using dir = await tempDir();
  const store = fileStore(dir.path);
  assert.equal(await store.update(() => "nothing"), "nothing");
  await assert.rejects(Deno.stat(store.path), Deno.errors.NotFound);
  await store.update((doc) => void doc.accounts.push(sampleAccount("a")));
  const before = await Deno.readFile(store.path);
  await store.update((doc) => doc.accounts.length);
  assert.deepEqual(await Deno.readFile(store.path), before);
});

Deno.test("update does not write when fn throws", async () => {
  await using dir = await tempDir();
  const store = fileStore(dir.path);
  await store.update((doc) => void doc.accounts.push(sampleAccount("a")));
  const before = await Deno.readFile(store.path);
  await assert.rejects(
    store.update((doc) => {
      doc.accounts = [];
      throw new Error("boom");
    }),
    /boom/,
  );
  assert.deepEqual(await Deno.readFile(store.path), before);
  assert.equal((await store.read()).accounts.length, 1);
});

Deno.test("read returns copies: mutating them does not leak into the store", async () => {
  await using dir = await tempDir();
  const store = fileStore(dir.path);
  await store.update((doc) => void doc.accounts.push(sampleAccount("a")));
  const doc = await store.read();
  doc.accounts.pop();
  assert.equal((await store.read()).accounts.length, 1);
});

Deno.test("a tampered ciphertext byte is STORE_UNREADABLE and update leaves the file as is", async () => {
  await using dir = await tempDir();
  const store = fileStore(dir.path);
  await store.update((doc) => void doc.accounts.push(sampleAccount("a")));
  const [header, body] = (await Deno.readTextFile(store.path)).split("\n");
  const bytes = Uint8Array.fromBase64(body);
  bytes[5] ^= 0x01;
  const tampered = new TextEncoder().encode(`${header}\n${bytes.toBase64()}\n`);
  await Deno.writeFile(store.path, tampered);

  const fresh = fileStore(dir.path);
  const error = await rejectsWithCode(fresh.read(), "STORE_UNREADABLE");
  assert.match(error.message, new RegExp(`cannot decrypt account store ${store.path}`));
  assert.match(error.hint ?? "", /left untouched/);
  assert.ok(!error.message.includes("\n"));
  let called = false;
  await rejectsWithCode(
    fresh.update((doc) => {
      called = true;
      doc.accounts = [];
    }),
    "STORE_UNREADABLE",
  );
  assert.equal(called, false);
  assert.deepEqual(await Deno.readFile(store.path), tampered);
});

Deno.test("a tampered header is STORE_UNREADABLE (header is authenticated)", async () => {
  await using dir = await tempDir();
  const store = passStore(dir.path, "pw");
  await store.update((doc) => void doc.accounts.push(sampleAccount("a")));
  const [headerLine, body] = (await Deno.readTextFile(store.path)).split("\n");
  const header = JSON.parse(headerLine);
  header.keyParams.iterations = FAST + 1;
  await Deno.writeTextFile(store.path, `${JSON.stringify(header)}\n${body}\n`);
  await rejectsWithCode(passStore(dir.path, "pw").read(), "STORE_UNREADABLE");
});

Deno.test("a truncated store is STORE_UNREADABLE and is not rewritten", async () => {
  await using dir = await tempDir();
  const store = fileStore(dir.path);
  await store.update((doc) => void doc.accounts.push(sampleAccount("a")));
  const full = await Deno.readFile(store.path);
  for (const length of [0, 10, full.indexOf(10) + 1, full.length - 9, full.length - 2]) {
    const cut = full.slice(0, length);
    await Deno.writeFile(store.path, cut);
    const fresh = fileStore(dir.path);
    const error = await rejectsWithCode(fresh.read(), "STORE_UNREADABLE");
    assert.ok(error.message.includes(store.path), error.message);
    await rejectsWithCode(fresh.update((doc) => void (doc.accounts = [])), "STORE_UNREADABLE");
    assert.deepEqual(await Deno.readFile(store.path), cut);
  }
});

Deno.test("a store that is not one, or garbage, is STORE_UNREADABLE", async () => {
  await using dir = await tempDir();
  const store = fileStore(dir.path);
  for (
    const content of [
      "hello\nworld\n",
      "{}\n",
      "\u00ff\u00fe",
      '{"format":"axway-accounts"}\nAA==\n',
    ]
  ) {
    await Deno.writeTextFile(store.path, content);
    await rejectsWithCode(fileStore(dir.path).read(), "STORE_UNREADABLE");
    await rejectsWithCode(fileStore(dir.path).update(() => {}), "STORE_UNREADABLE");
    assert.equal(await Deno.readTextFile(store.path), content);
  }
});

Deno.test("a wrong key file is STORE_UNREADABLE naming the key file", async () => {
  await using dir = await tempDir();
  const store = fileStore(dir.path);
  await store.update((doc) => void doc.accounts.push(sampleAccount("a")));
  const before = await Deno.readFile(store.path);
  await Deno.writeFile(`${dir.path}/store.key`, crypto.getRandomValues(new Uint8Array(32)));
  const error = await rejectsWithCode(fileStore(dir.path).read(), "STORE_UNREADABLE");
  assert.match(error.message, /store\.key/);
  await rejectsWithCode(fileStore(dir.path).update(() => {}), "STORE_UNREADABLE");
  assert.deepEqual(await Deno.readFile(store.path), before);

  await Deno.writeFile(`${dir.path}/store.key`, new Uint8Array(7));
  const short = await rejectsWithCode(fileStore(dir.path).read(), "STORE_UNREADABLE");
  assert.match(short.message, /not a valid axway key/);
});

Deno.test("a missing key file with an existing store is STORE_UNREADABLE, never regenerated", async () => {
  await using dir = await tempDir();
  const store = fileStore(dir.path);
  await store.update((doc) => void doc.accounts.push(sampleAccount("a")));
  const before = await Deno.readFile(store.path);
  await Deno.remove(`${dir.path}/store.key`);
  const fresh = fileStore(dir.path);
  const error = await rejectsWithCode(fresh.read(), "STORE_UNREADABLE");
  assert.match(error.message, /key file .*store\.key is missing/);
  await rejectsWithCode(
    fresh.update((doc) => void doc.accounts.push(sampleAccount("b"))),
    "STORE_UNREADABLE",
  );
  await assert.rejects(Deno.stat(`${dir.path}/store.key`), Deno.errors.NotFound);
  assert.deepEqual(await Deno.readFile(store.path), before);
});

Deno.test("a wrong passphrase is STORE_UNREADABLE pointing at AXWAY_AUTH_PASSPHRASE", async () => {
  await using dir = await tempDir();
  const store = passStore(dir.path, "right");
  await store.update((doc) => void doc.accounts.push(sampleAccount("a")));
  const before = await Deno.readFile(store.path);
  const error = await rejectsWithCode(passStore(dir.path, "wrong").read(), "STORE_UNREADABLE");
  assert.match(error.message, /wrong passphrase/);
  assert.match(error.hint ?? "", /AXWAY_AUTH_PASSPHRASE/);
  await rejectsWithCode(passStore(dir.path, "wrong").update(() => {}), "STORE_UNREADABLE");
  assert.deepEqual(await Deno.readFile(store.path), before);
});

Deno.test("a passphrase store without a passphrase asks for AXWAY_AUTH_PASSPHRASE", async () => {
  await using dir = await tempDir();
  const store = passStore(dir.path, "right");
  await store.update((doc) => void doc.accounts.push(sampleAccount("a")));
  const error = await rejectsWithCode(passStore(dir.path, "").read(), "STORE_UNREADABLE");
  assert.equal(
    error.message,
    `${store.path} is encrypted with a passphrase: set AXWAY_AUTH_PASSPHRASE`,
  );
  // No probing: a key file store stays a key file store even when a passphrase is set.
  await using other = await tempDir();
  await fileStore(other.path).update((doc) => void doc.accounts.push(sampleAccount("f")));
  const withPass = passStore(other.path, "ignored");
  assert.equal((await withPass.read()).accounts.length, 1);
  await withPass.update((doc) => void doc.accounts.push(sampleAccount("g")));
  assert.equal((await headerOf(withPass.path)).keySource, "file");
});

Deno.test("a store from a newer axway is refused clearly and left alone", async () => {
  await using dir = await tempDir();
  const store = fileStore(dir.path);
  await store.update((doc) => void doc.accounts.push(sampleAccount("a")));
  const [headerLine, body] = (await Deno.readTextFile(store.path)).split("\n");
  const content = `${headerLine.replace('"version":1', '"version":2')}\n${body}\n`;
  await Deno.writeTextFile(store.path, content);
  const error = await rejectsWithCode(fileStore(dir.path).read(), "STORE_UNREADABLE");
  assert.match(error.message, /written by a newer axway/);
  await rejectsWithCode(fileStore(dir.path).update(() => {}), "STORE_UNREADABLE");
  assert.equal(await Deno.readTextFile(store.path), content);
});

Deno.test("AXWAY_KEY_STORE=keychain with no keychain is a KEYCHAIN error; nothing written", async () => {
  await using dir = await tempDir();
  const store = new AccountStore({
    configDir: dir.path,
    keySource: { requested: "keychain", env: () => undefined, keychain: { os: "linux" } },
  });
  assert.deepEqual(await store.read(), emptyDocument());
  const error = await rejectsWithCode(
    store.update((doc) => void doc.accounts.push(sampleAccount("a"))),
    "KEYCHAIN",
  );
  assert.match(error.message, /^no keychain available/);
  assert.match(error.hint ?? "", /AXWAY_KEY_STORE/);
  assert.deepEqual([...Deno.readDirSync(dir.path)].map((e) => e.name), ["accounts.lock"]);
});

Deno.test("AXWAY_KEY_STORE=passphrase without a passphrase is a usage error", async () => {
  await using dir = await tempDir();
  const store = new AccountStore({ configDir: dir.path, keySource: { requested: "passphrase" } });
  await rejectsWithCode(store.update((doc) => void doc.accounts.push(sampleAccount("a"))), "USAGE");
  await rejectsWithCode(store.describeKey(), "USAGE");
});

Deno.test(
  "permissions: dirs 0700, store, key and lock files 0600",
  { ignore: !posix },
  async () => {
    await using dir = await tempDir();
    const configDir = `${dir.path}/nested/cfg`;
    const store = fileStore(configDir);
    await store.update((doc) => void doc.accounts.push(sampleAccount("a")));
    await store.withAccountLock("https://issuer", "a", async () => {});
    assert.equal(await modeOf(configDir), 0o700);
    assert.equal(await modeOf(`${configDir}/locks`), 0o700);
    assert.equal(await modeOf(store.path), 0o600);
    assert.equal(await modeOf(`${configDir}/store.key`), 0o600);
    assert.equal(await modeOf(store.lockPath), 0o600);
    for await (const entry of Deno.readDir(`${configDir}/locks`)) {
      assert.match(entry.name, /^[0-9a-f]{32}\.lock$/);
      assert.equal(await modeOf(`${configDir}/locks/${entry.name}`), 0o600);
    }
    // No temp files left behind.
    const names = [...Deno.readDirSync(configDir)].map((e) => e.name).sort();
    assert.deepEqual(names, ["accounts.enc", "accounts.lock", "locks", "store.key"]);
  },
);

Deno.test("nothing is stored in plaintext", async () => {
  for (
    const selection of [{ requested: "file" }, { passphrase: "pw", iterations: FAST }] as const
  ) {
    await using dir = await tempDir();
    const store = new AccountStore({ configDir: dir.path, keySource: selection });
    await store.update((doc) => {
      doc.accounts.push(
        sampleAccount("axway-cli:alice@example.com", {
          tokens: { accessToken: "secret-token-xyz", accessExpires: 1, refreshExpires: null },
        }),
      );
      doc.defaults["https://issuer"] = { account: "axway-cli:alice@example.com" };
    });
    await store.withAccountLock("https://issuer", "axway-cli:alice@example.com", async () => {});
    const files = await listFiles(dir.path);
    assert.ok(files.length >= 3);
    for (const file of files) {
      const text = new TextDecoder().decode(await Deno.readFile(file));
      assert.ok(!text.includes("alice@example.com"), file);
      assert.ok(!text.includes("secret-token-xyz"), file);
    }
  }
});

Deno.test("rekey moves a key file store to a passphrase and back", async () => {
  await using dir = await tempDir();
  const store = fileStore(dir.path);
  await store.update((doc) => void doc.accounts.push(sampleAccount("a")));
  await store.rekey({ requested: "passphrase", passphrase: "new", iterations: FAST });
  assert.equal((await headerOf(store.path)).keySource, "passphrase");
  assert.deepEqual((await passStore(dir.path, "new").read()).accounts, [sampleAccount("a")]);
  await rejectsWithCode(passStore(dir.path, "old").read(), "STORE_UNREADABLE");
  await store.update((doc) => void doc.accounts.push(sampleAccount("b")));
  assert.equal((await passStore(dir.path, "new").read()).accounts.length, 2);
  await store.rekey({ requested: "file" });
  assert.equal((await headerOf(store.path)).keySource, "file");
  assert.equal((await fileStore(dir.path).read()).accounts.length, 2);
});

Deno.test("concurrent updates in one process all land", async () => {
  await using dir = await tempDir();
  const store = fileStore(dir.path);
  await Promise.all(
    Array.from(
      { length: 8 },
      (_, i) => store.update((doc) => void doc.accounts.push(sampleAccount(`n${i}`))),
    ),
  );
  const names = (await fileStore(dir.path).read()).accounts.map((a) => a.name).sort();
  assert.deepEqual(names, Array.from({ length: 8 }, (_, i) => `n${i}`).sort());
});
