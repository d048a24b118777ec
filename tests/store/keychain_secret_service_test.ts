/**
 * The keychain key source against a real Secret Service: gnome-keyring on a private D-Bus session
 * (see support/secret_service.ts), and the CLI's way of opening the store in subprocesses whose
 * environment has no D-Bus session, or a `secret-tool` that hangs.
 *
 * @module
 */

import assert from "node:assert/strict";
import { AccountStore } from "../../src/store/account_store.ts";
import { keychainAccount, type KeySourceSelection } from "../../src/store/key_source.ts";
import { listFiles, rejectsWithCode, sampleAccount, tempDir } from "./support/helpers.ts";
import {
  type SecretService,
  secretServiceUnavailable,
  startSecretService,
} from "./support/secret_service.ts";

const unavailable = await secretServiceUnavailable();
if (unavailable) console.warn(`skipping the real Secret Service tests: ${unavailable}`);

/** The subprocess tests rely on Linux having no keychain without a D-Bus session. */
const linux = Deno.build.os === "linux";
const WHERE = "OS keychain (Secret Service), service axway";

function keychain(service: SecretService, extra: KeySourceSelection = {}): KeySourceSelection {
  return { requested: "keychain", env: service.getEnv, ...extra };
}

async function headerOf(path: string): Promise<Record<string, unknown>> {
  return JSON.parse((await Deno.readTextFile(path)).split("\n")[0]);
}

async function names(configDir: string, selection: KeySourceSelection): Promise<string[]> {
  const doc = await new AccountStore({ configDir, keySource: selection }).read();
  return doc.accounts.map((account) => account.name);
}

function includesBytes(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

Deno.test({
  name: "Secret Service: a store created with the keychain keeps its key off the disk",
  ignore: unavailable !== undefined,
  async fn() {
    await using service = await startSecretService();
    await using dir = await tempDir();
    const store = new AccountStore({ configDir: dir.path, keySource: keychain(service) });
    await store.update((doc) => void doc.accounts.push(sampleAccount("a"), sampleAccount("b")));
    const header = await headerOf(store.path);
    const account = await keychainAccount(dir.path);
    assert.equal(header.keySource, "keychain");
    assert.deepEqual(header.keyParams, { service: "axway", account });
    assert.equal(await store.describeKey(), WHERE);

    const lookup = await service.secretTool(["lookup", "service", "axway", "account", account]);
    assert.equal(lookup.code, 0);
    const b64 = lookup.stdout.trim();
    const key = Uint8Array.fromBase64(b64);
    assert.equal(key.length, 32);
    const files = await listFiles(dir.path);
    assert.deepEqual(files.map((f) => f.slice(dir.path.length + 1)).sort(), [
      "accounts.enc",
      "accounts.lock",
    ]);
    for (const file of files) {
      const bytes = await Deno.readFile(file);
      assert.ok(!new TextDecoder().decode(bytes).includes(b64), file);
      assert.ok(!includesBytes(bytes, key), file);
    }
    assert.deepEqual(await names(dir.path, keychain(service, { requested: "file" })), ["a", "b"]);

    // Another config dir gets its own key under its own account.
    await using other = await tempDir();
    await new AccountStore({ configDir: other.path, keySource: keychain(service) })
      .update((doc) => void doc.accounts.push(sampleAccount("c")));
    const otherAccount = await keychainAccount(other.path);
    assert.notEqual(otherAccount, account);
    assert.deepEqual(await names(other.path, keychain(service)), ["c"]);
    assert.deepEqual(await names(dir.path, keychain(service)), ["a", "b"]);
  },
});

Deno.test({
  name:
    "Secret Service: accounts survive a restart of the keyring; while it is down nothing changes",
  ignore: unavailable !== undefined,
  async fn() {
    await using service = await startSecretService();
    await using dir = await tempDir();
    const store = new AccountStore({ configDir: dir.path, keySource: keychain(service) });
    await store.update((doc) => void doc.accounts.push(sampleAccount("a")));
    const before = await Deno.readFile(store.path);

    await service.stopKeyring();
    const started = performance.now();
    const down = new AccountStore({ configDir: dir.path, keySource: keychain(service) });
    const error = await rejectsWithCode(
      down.update((doc) => void doc.accounts.push(sampleAccount("b"))),
      "KEYCHAIN",
    );
    assert.ok(performance.now() - started < 2_000);
    assert.match(
      error.message,
      /^cannot get the account store key: no keychain available: no Secret Service is running/,
    );
    assert.match(error.hint ?? "", /left untouched/);
    assert.deepEqual(await Deno.readFile(store.path), before);

    await service.startKeyring();
    assert.deepEqual(await names(dir.path, keychain(service)), ["a"]);
    await down.update((doc) => void doc.accounts.push(sampleAccount("b")));
    assert.deepEqual(await names(dir.path, keychain(service)), ["a", "b"]);
  },
});

Deno.test({
  name: "Secret Service: a key missing from the keychain is an error naming it; store untouched",
  ignore: unavailable !== undefined,
  async fn() {
    await using service = await startSecretService();
    await using dir = await tempDir();
    const store = new AccountStore({ configDir: dir.path, keySource: keychain(service) });
    await store.update((doc) => void doc.accounts.push(sampleAccount("a")));
    const before = await Deno.readFile(store.path);
    const account = await keychainAccount(dir.path);
    assert.equal(
      (await service.secretTool(["clear", "service", "axway", "account", account])).code,
      0,
    );

    for (
      const attempt of [(s: AccountStore) => s.read(), (s: AccountStore) => s.update(() => {})]
    ) {
      const fresh = new AccountStore({ configDir: dir.path, keySource: keychain(service) });
      const error = await rejectsWithCode(attempt(fresh), "KEYCHAIN");
      assert.equal(
        error.message,
        `the store key is not in the ${WHERE}, account ${account}; the store was left untouched`,
      );
    }
    const rekey = new AccountStore({ configDir: dir.path, keySource: keychain(service) });
    await rejectsWithCode(rekey.rekey({ requested: "file" }), "KEYCHAIN");
    assert.deepEqual(await Deno.readFile(store.path), before);
    await assert.rejects(Deno.stat(`${dir.path}/store.key`), Deno.errors.NotFound);
  },
});

Deno.test({
  name: "Secret Service: rekey file → keychain → file and keychain → passphrase keep every account",
  ignore: unavailable !== undefined,
  async fn() {
    await using service = await startSecretService();
    await using dir = await tempDir();
    const pass = { requested: "passphrase", passphrase: "pw", iterations: 1_000 } as const;
    const store = new AccountStore({ configDir: dir.path, keySource: { requested: "file" } });
    await store.update((doc) => void doc.accounts.push(sampleAccount("a"), sampleAccount("b")));

    await store.rekey(keychain(service));
    assert.equal((await headerOf(store.path)).keySource, "keychain");
    assert.deepEqual(await names(dir.path, keychain(service)), ["a", "b"]);
    await store.update((doc) => void doc.accounts.push(sampleAccount("c")));

    await store.rekey({ requested: "file" });
    assert.equal((await headerOf(store.path)).keySource, "file");
    assert.deepEqual(await names(dir.path, {}), ["a", "b", "c"]);

    await store.rekey(keychain(service));
    await store.rekey(pass);
    assert.equal((await headerOf(store.path)).keySource, "passphrase");
    assert.deepEqual(await names(dir.path, { passphrase: "pw" }), ["a", "b", "c"]);

    await store.rekey(keychain(service));
    assert.equal((await headerOf(store.path)).keySource, "keychain");
    assert.deepEqual(await names(dir.path, keychain(service)), ["a", "b", "c"]);
  },
});

// ---------------------------------------------------------------------------------------------
// The CLI's way (keySelection over the process environment), in subprocesses

const HELPER = new URL("./support/keychain_cli.ts", import.meta.url).pathname;
/** Variables that would point a subprocess at a keychain or choose the key store. */
const CLEARED = [
  "DBUS_SESSION_BUS_ADDRESS",
  "XDG_RUNTIME_DIR",
  "DISPLAY",
  "WAYLAND_DISPLAY",
  "AXWAY_KEY_STORE",
  "AXWAY_AUTH_PASSPHRASE",
];

async function cli(args: string[], env: Record<string, string>) {
  const base = Deno.env.toObject();
  for (const name of CLEARED) delete base[name];
  const started = performance.now();
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", HELPER, ...args],
    env: { ...base, ...env },
    clearEnv: true,
    stdin: "null",
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes).trim();
  return {
    code: output.code,
    stdout: decode(output.stdout),
    stderr: decode(output.stderr),
    ms: performance.now() - started,
  };
}

Deno.test({
  name: "auto with no D-Bus session uses the key file and says so once on stderr",
  ignore: !linux,
  async fn() {
    await using dir = await tempDir();
    const first = await cli([dir.path, "add", "a"], {});
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /^axway: no keychain available: /);
    assert.match(
      first.stderr,
      new RegExp(
        `; the account store key is kept in key file ${dir.path}/store\\.key instead ` +
          "\\(set AXWAY_KEY_STORE to choose\\)$",
      ),
    );
    assert.equal(first.stderr.split("\n").length, 1);
    assert.deepEqual(JSON.parse(first.stdout), {
      accounts: ["a"],
      key: `key file ${dir.path}/store.key`,
    });
    const second = await cli([dir.path, "add", "b"], {});
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.stderr, "");
    assert.deepEqual(JSON.parse(second.stdout).accounts, ["a", "b"]);
  },
});

Deno.test({
  name: "AXWAY_KEY_STORE=keychain with no keychain fails with KEYCHAIN and creates no store",
  ignore: !linux,
  async fn() {
    await using dir = await tempDir();
    const result = await cli([dir.path, "add", "a"], { AXWAY_KEY_STORE: "keychain" });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^error KEYCHAIN: no keychain available: /);
    await assert.rejects(Deno.stat(`${dir.path}/accounts.enc`), Deno.errors.NotFound);
    await assert.rejects(Deno.stat(`${dir.path}/store.key`), Deno.errors.NotFound);
  },
});

Deno.test({
  name: "a hung secret-tool is a KEYCHAIN error after 3 s, and the process exits",
  ignore: unavailable !== undefined,
  async fn() {
    await using service = await startSecretService();
    await using dir = await tempDir();
    const sessionEnv = {
      DBUS_SESSION_BUS_ADDRESS: service.env.DBUS_SESSION_BUS_ADDRESS,
      XDG_RUNTIME_DIR: service.env.XDG_RUNTIME_DIR,
    };
    // auto picks the keychain when one answers: no notice.
    const created = await cli([dir.path, "add", "a"], sessionEnv);
    assert.equal(created.code, 0, created.stderr);
    assert.equal(created.stderr, "");
    assert.deepEqual(JSON.parse(created.stdout), { accounts: ["a"], key: WHERE });
    const before = await Deno.readFile(`${dir.path}/accounts.enc`);

    // A secret-tool that never answers (its sleep outlives the kill and holds the pipes).
    await using bin = await tempDir();
    await Deno.writeTextFile(`${bin.path}/secret-tool`, "#!/bin/sh\nsleep 5\n");
    await Deno.chmod(`${bin.path}/secret-tool`, 0o755);
    const hung = await cli([dir.path, "add", "b"], {
      ...sessionEnv,
      PATH: `${bin.path}:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}`,
    });
    assert.equal(hung.code, 1);
    assert.match(
      hung.stderr,
      /^error KEYCHAIN: cannot get the account store key: the OS keychain \(Secret Service\) did not answer within 3 s$/,
    );
    assert.ok(hung.ms >= 3_000 && hung.ms < 5_500, `took ${Math.round(hung.ms)} ms`);
    assert.deepEqual(await Deno.readFile(`${dir.path}/accounts.enc`), before);

    const again = await cli([dir.path, "list"], sessionEnv);
    assert.deepEqual(JSON.parse(again.stdout).accounts, ["a"]);
  },
});
