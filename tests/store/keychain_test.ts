/**
 * What the keychain code sends to each OS keychain (Secret Service, macOS, Windows), with
 * injected runners and a fake credential API, and the keychain key source over a fake keychain.
 * The real Secret Service is exercised in keychain_secret_service_test.ts.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  type CommandRequest,
  type CommandResult,
  CREDENTIAL_SIZE,
  credentialStruct,
  osKeychain,
  runCommand,
  utf16z,
  type WinCredApi,
} from "../../src/store/keychain.ts";
import {
  describeKeySource,
  describeNewKeySource,
  keychainAccount,
  type KeyParams,
  KeyParamsError,
  type KeySourceSelection,
  newStoreKey,
} from "../../src/store/key_source.ts";
import { AccountStore } from "../../src/store/account_store.ts";
import { rejectsWithCode, sampleAccount, tempDir } from "./support/helpers.ts";

const KEY_B64 = new Uint8Array(32).fill(7).toBase64();
const ACCOUNT = "store-key:0123456789abcdef";

/** A runner that records requests and answers with `answer(request)`. */
function recorder(answer: (request: CommandRequest) => Partial<CommandResult>) {
  const requests: CommandRequest[] = [];
  const run = (request: CommandRequest) => {
    requests.push(request);
    return Promise.resolve({
      code: 0,
      stdout: "",
      stderr: "",
      timedOut: false,
      ...answer(request),
    });
  };
  return { requests, run };
}

const ENV: Record<string, string> = {
  PATH: "/opt/bin:/usr/bin",
  HOME: "/home/u",
  DBUS_SESSION_BUS_ADDRESS: "unix:path=/run/user/1/bus",
  XDG_RUNTIME_DIR: "/run/user/1",
  LC_ALL: "de_DE.UTF-8",
  AXWAY_AUTH_PASSPHRASE: "must-not-leak",
  GITHUB_TOKEN: "must-not-leak",
};
const env = (name: string) => ENV[name];

// ---------------------------------------------------------------------------------------------
// Secret Service (secret-tool)

Deno.test("Secret Service: lookup and store argv, secret on stdin, filtered env", async () => {
  const { requests, run } = recorder((r) => r.args[0] === "lookup" ? { stdout: KEY_B64 } : {});
  const keychain = osKeychain(env, { os: "linux", run });
  assert.equal(keychain.label, "Secret Service");
  assert.equal(await keychain.get(ACCOUNT), KEY_B64);
  await keychain.set(ACCOUNT, KEY_B64, "axway account store key (/cfg)");
  assert.deepEqual(requests.map((r) => [r.command, r.args, r.stdin, r.timeoutMs]), [
    ["secret-tool", ["lookup", "service", "axway", "account", ACCOUNT], "", 3000],
    [
      "secret-tool",
      ["store", "--label=axway account store key (/cfg)", "service", "axway", "account", ACCOUNT],
      KEY_B64,
      3000,
    ],
  ]);
  assert.deepEqual(requests[0].env, {
    PATH: "/opt/bin:/usr/bin",
    HOME: "/home/u",
    DBUS_SESSION_BUS_ADDRESS: "unix:path=/run/user/1/bus",
    XDG_RUNTIME_DIR: "/run/user/1",
    LC_CTYPE: "de_DE.UTF-8",
    LC_MESSAGES: "C",
  });
  for (const request of requests) assert.ok(!request.args.join(" ").includes(KEY_B64));
});

Deno.test("Secret Service: not found, no D-Bus, no service, failure, timeout, not installed", async () => {
  const answer = (result: Partial<CommandResult>) =>
    osKeychain(env, { os: "linux", run: recorder(() => result).run });
  assert.equal(await answer({ code: 1 }).get(ACCOUNT), undefined);
  const cases: [Partial<CommandResult>, RegExp][] = [
    [
      { code: 1, stderr: "secret-tool: Cannot autolaunch D-Bus without X11 $DISPLAY\n" },
      /^no keychain available: no D-Bus session \(Cannot autolaunch/,
    ],
    [
      { code: 1, stderr: "secret-tool: Could not connect: No such file or directory\n" },
      /^no keychain available: no D-Bus session/,
    ],
    [
      {
        code: 1,
        stderr:
          "secret-tool: The name org.freedesktop.secrets was not provided by any .service files\n",
      },
      /^no keychain available: no Secret Service is running/,
    ],
    [
      { code: 1, stderr: "secret-tool: Cannot create an item in a locked collection\n" },
      /^the OS keychain \(Secret Service\) failed: Cannot create an item in a locked collection$/,
    ],
    [
      { code: -1, timedOut: true },
      /^the OS keychain \(Secret Service\) did not answer within 3 s$/,
    ],
  ];
  for (const [result, pattern] of cases) {
    const error = await rejectsWithCode(answer(result).get(ACCOUNT), "KEYCHAIN");
    assert.match(error.message, pattern);
    await rejectsWithCode(answer(result).set(ACCOUNT, KEY_B64, "l"), "KEYCHAIN");
  }
  const missing = osKeychain(env, {
    os: "linux",
    run: () => Promise.reject(new Deno.errors.NotFound("entity not found")),
  });
  const error = await rejectsWithCode(missing.get(ACCOUNT), "KEYCHAIN");
  assert.match(error.message, /^no keychain available: secret-tool is not installed/);
});

Deno.test("keychain account names are checked before anything runs", async () => {
  for (const os of ["linux", "darwin", "windows"] as const) {
    const { requests, run } = recorder(() => ({}));
    const keychain = osKeychain(env, { os, run, winCred: () => assert.fail("no FFI expected") });
    for (const bad of ["x\nadd-generic-password -s evil", "a b", "", "-w"]) {
      await rejectsWithCode(keychain.get(bad), "KEYCHAIN");
      await rejectsWithCode(keychain.set(bad, KEY_B64, "l"), "KEYCHAIN");
    }
    assert.equal(requests.length, 0);
  }
});

// ---------------------------------------------------------------------------------------------
// macOS (security -i)

Deno.test("macOS: security -i with the commands on stdin, never the key in argv", async () => {
  const { requests, run } = recorder((r) =>
    r.stdin.startsWith("find") ? { stdout: `${KEY_B64}\n` } : {}
  );
  const keychain = osKeychain(env, { os: "darwin", run });
  assert.equal(keychain.label, "macOS Keychain");
  assert.equal(await keychain.get(ACCOUNT), KEY_B64);
  await keychain.set(ACCOUNT, KEY_B64, "ignored label");
  assert.deepEqual(requests.map((r) => [r.command, r.args, r.stdin]), [
    ["/usr/bin/security", ["-i"], `find-generic-password -s axway -a ${ACCOUNT} -w\n`],
    [
      "/usr/bin/security",
      ["-i"],
      `add-generic-password -U -s axway -a ${ACCOUNT} -w ${KEY_B64}\n`,
    ],
  ]);
  assert.equal(requests[0].env.AXWAY_AUTH_PASSPHRASE, undefined);
  assert.equal(requests[0].timeoutMs, 3000);
});

Deno.test("macOS: not found, failure, timeout; only base64 secrets", async () => {
  const answer = (result: Partial<CommandResult>) =>
    osKeychain(env, { os: "darwin", run: recorder(() => result).run });
  const notFound = {
    code: 44,
    stderr: "security: SecKeychainSearchCopyNext: The specified item could not be found in the " +
      "keychain.\nfind-generic-password: returned 44\n",
  };
  assert.equal(await answer(notFound).get(ACCOUNT), undefined);
  const failed = await rejectsWithCode(
    answer({
      code: 51,
      stderr: "security: SecKeychainItemCreateFromContent: User interaction " + "is not allowed.\n",
    }).set(ACCOUNT, KEY_B64, "l"),
    "KEYCHAIN",
  );
  assert.match(failed.message, /^the OS keychain \(macOS Keychain\) failed: SecKeychainItem/);
  const slow = await rejectsWithCode(answer({ code: -1, timedOut: true }).get(ACCOUNT), "KEYCHAIN");
  assert.match(slow.message, /did not answer within 3 s/);
  await rejectsWithCode(answer({}).set(ACCOUNT, "not base64; rm -rf", "l"), "KEYCHAIN");
});

// ---------------------------------------------------------------------------------------------
// Windows (Credential Manager through FFI)

function readUtf16z(address: bigint): string {
  const view = new Deno.UnsafePointerView(Deno.UnsafePointer.create(address)!);
  let text = "";
  for (let offset = 0;; offset += 2) {
    const unit = view.getUint16(offset);
    if (unit === 0) return text;
    text += String.fromCharCode(unit);
  }
}

function readBytes(address: bigint, length: number): Uint8Array {
  const pointer = Deno.UnsafePointer.create(address)!;
  return new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(pointer, length)).slice();
}

/** A fake advapi32/kernel32 keeping credentials in a map, decoding what it is passed. */
function fakeWinCred() {
  const store = new Map<string, { user: string; comment: string; blob: Uint8Array }>();
  const live: Uint8Array[] = [];
  const freed: bigint[] = [];
  let lastError = 0;
  const api: WinCredApi = {
    CredWriteW(credential, flags) {
      assert.equal(flags, 0);
      assert.equal(credential.length, CREDENTIAL_SIZE);
      const view = new DataView(credential.buffer);
      assert.equal(view.getUint32(4, true), 1, "CRED_TYPE_GENERIC");
      assert.equal(view.getUint32(48, true), 2, "CRED_PERSIST_LOCAL_MACHINE");
      const target = readUtf16z(view.getBigUint64(8, true));
      const size = view.getUint32(32, true);
      store.set(target, {
        comment: readUtf16z(view.getBigUint64(16, true)),
        user: readUtf16z(view.getBigUint64(72, true)),
        blob: readBytes(view.getBigUint64(40, true), size),
      });
      return 1;
    },
    CredReadW(target, type, flags, out) {
      assert.equal(type, 1);
      assert.equal(flags, 0);
      const name = readUtf16z(BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(target))));
      const entry = store.get(name);
      if (!entry) {
        lastError = 1168;
        return 0;
      }
      const blob = entry.blob.slice();
      const struct = credentialStruct({
        target: 0n,
        comment: 0n,
        user: 0n,
        blob: BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(blob))),
        blobSize: blob.length,
      });
      live.push(blob, struct);
      const address = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(struct)));
      new DataView(out.buffer, out.byteOffset).setBigUint64(0, address, true);
      return 1;
    },
    CredFree(pointer) {
      freed.push(BigInt(Deno.UnsafePointer.value(pointer)));
    },
    GetLastError: () => lastError,
  };
  return { api, store, freed, fail: (code: number) => lastError = code };
}

Deno.test("Windows: CredWriteW/CredReadW with a generic credential axway:<account>", async () => {
  const fake = fakeWinCred();
  let opened = 0;
  const keychain = osKeychain(env, {
    os: "windows",
    winCred: () => (opened++, fake.api),
    run: () => assert.fail("no child process on Windows"),
  });
  assert.equal(keychain.label, "Windows Credential Manager");
  assert.equal(await keychain.get(ACCOUNT), undefined);
  await keychain.set(ACCOUNT, KEY_B64, "axway account store key (C:\\cfg)");
  assert.deepEqual([...fake.store.keys()], [`axway:${ACCOUNT}`]);
  const entry = fake.store.get(`axway:${ACCOUNT}`)!;
  assert.equal(entry.user, ACCOUNT);
  assert.equal(entry.comment, "axway account store key (C:\\cfg)");
  assert.equal(new TextDecoder().decode(entry.blob), KEY_B64);
  assert.equal(await keychain.get(ACCOUNT), KEY_B64);
  assert.equal(fake.freed.length, 1);
  assert.equal(opened, 1);
});

Deno.test("Windows: other errors and a missing credential API are KEYCHAIN errors", async () => {
  const fake = fakeWinCred();
  fake.api.CredReadW = () => 0;
  fake.fail(5);
  const keychain = osKeychain(env, { os: "windows", winCred: () => fake.api });
  const error = await rejectsWithCode(keychain.get(ACCOUNT), "KEYCHAIN");
  assert.match(error.message, /Windows Credential Manager\) failed: error 5/);
  const missing = osKeychain(env, {
    os: "windows",
    winCred: () => {
      throw new Error("Could not open library");
    },
  });
  const none = await rejectsWithCode(missing.get(ACCOUNT), "KEYCHAIN");
  assert.match(none.message, /^no keychain available: cannot load the credential API/);
  assert.deepEqual([...utf16z("ab")], [97, 0, 98, 0, 0, 0]);
});

// ---------------------------------------------------------------------------------------------
// runCommand

Deno.test({
  name: "runCommand: stdin, clear env, and a hung child killed at the timeout",
  ignore: Deno.build.os === "windows",
  async fn() {
    const echo = await runCommand({
      command: "sh",
      args: ["-c", 'printf "%s|%s|" "$FOO" "$HOME"; cat'],
      stdin: "in",
      env: { PATH: "/usr/bin:/bin", FOO: "bar" },
      timeoutMs: 3000,
    });
    assert.deepEqual(echo, { code: 0, stdout: "bar||in", stderr: "", timedOut: false });
    // A grandchild keeps the pipes open after the child is killed: still returns at once.
    const started = performance.now();
    const hung = await runCommand({
      command: "sh",
      args: ["-c", "sleep 2; echo late"],
      stdin: "",
      env: { PATH: "/usr/bin:/bin" },
      timeoutMs: 200,
    });
    const elapsed = performance.now() - started;
    assert.equal(hung.timedOut, true);
    assert.ok(elapsed < 1500, `took ${elapsed} ms`);
    await assert.rejects(
      runCommand({ command: "axway-no-such-tool", args: [], stdin: "", env: {}, timeoutMs: 100 }),
      Deno.errors.NotFound,
    );
  },
});

// ---------------------------------------------------------------------------------------------
// The keychain key source, over an in-memory secret-tool

/** A fake `secret-tool` keeping items in `items`; `down` makes it fail like a missing bus. */
function fakeSecretTool() {
  const items = new Map<string, string>();
  const state = { down: false, calls: 0 };
  const run = (request: CommandRequest): Promise<CommandResult> => {
    state.calls++;
    const result = (code: number, stdout = "", stderr = "") =>
      Promise.resolve({ code, stdout, stderr, timedOut: false });
    if (state.down) return result(1, "", "secret-tool: Could not connect: No such file\n");
    const [verb, ...rest] = request.args;
    const account = rest[rest.indexOf("account") + 1];
    if (verb === "lookup") {
      return items.has(account) ? result(0, items.get(account)) : result(1);
    }
    items.set(account, request.stdin);
    return result(0);
  };
  return { items, state, run };
}

function keychainSelection(
  run: (request: CommandRequest) => Promise<CommandResult>,
  extra: KeySourceSelection = {},
): KeySourceSelection {
  return { requested: "keychain", env, keychain: { os: "linux", run }, ...extra };
}

Deno.test("keychain account: store-key and 16 hex digits of SHA-256 of the config dir", async () => {
  const a = await keychainAccount("/home/u/.axway");
  assert.match(a, /^store-key:[0-9a-f]{16}$/);
  assert.notEqual(a, await keychainAccount("/home/u/.axway2"));
  assert.equal(a, await keychainAccount("/home/u/.axway"));
});

Deno.test("keychain key source: header records service and account, nothing on disk", async () => {
  await using dir = await tempDir();
  const fake = fakeSecretTool();
  const store = new AccountStore({ configDir: dir.path, keySource: keychainSelection(fake.run) });
  await store.update((doc) => void doc.accounts.push(sampleAccount("a")));
  const header = JSON.parse((await Deno.readTextFile(store.path)).split("\n")[0]);
  const account = await keychainAccount(dir.path);
  assert.equal(header.keySource, "keychain");
  assert.deepEqual(header.keyParams, { service: "axway", account });
  assert.equal(Uint8Array.fromBase64(fake.items.get(account)!).length, 32);
  assert.equal(await store.describeKey(), "OS keychain (Secret Service), service axway");
  assert.deepEqual([...Deno.readDirSync(dir.path)].map((e) => e.name).sort(), [
    "accounts.enc",
    "accounts.lock",
  ]);
  // An existing store reads with exactly one lookup, whatever is requested now.
  fake.state.calls = 0;
  const reader = new AccountStore({
    configDir: dir.path,
    keySource: keychainSelection(fake.run, { requested: "file" }),
  });
  assert.equal((await reader.read()).accounts.length, 1);
  assert.equal(fake.state.calls, 1);
});

Deno.test("keychain key source: missing, invalid or unreachable key leaves the store untouched", async () => {
  await using dir = await tempDir();
  const fake = fakeSecretTool();
  const store = new AccountStore({ configDir: dir.path, keySource: keychainSelection(fake.run) });
  await store.update((doc) => void doc.accounts.push(sampleAccount("a")));
  const before = await Deno.readFile(store.path);
  const account = await keychainAccount(dir.path);
  const fresh = () =>
    new AccountStore({ configDir: dir.path, keySource: keychainSelection(fake.run) });

  fake.state.down = true;
  const down = await rejectsWithCode(fresh().update(() => {}), "KEYCHAIN");
  assert.match(down.message, /^cannot get the account store key: no keychain available/);
  assert.match(down.hint ?? "", /left untouched/);
  fake.state.down = false;

  fake.items.set(account, "bm90IGEga2V5");
  const invalid = await rejectsWithCode(fresh().read(), "KEYCHAIN");
  assert.match(invalid.message, /is not a valid axway store key; the store was left untouched/);

  fake.items.delete(account);
  const missing = await rejectsWithCode(
    fresh().update((doc) => void doc.accounts.push(sampleAccount("b"))),
    "KEYCHAIN",
  );
  assert.equal(
    missing.message,
    `the store key is not in the OS keychain (Secret Service), service axway, account ${account}; ` +
      "the store was left untouched",
  );
  // Creating a store never happens over an existing file: the key is not regenerated.
  assert.equal(fake.items.has(account), false);
  assert.deepEqual(await Deno.readFile(store.path), before);

  // A wrong key in the keychain is a decryption failure that talks about the keychain entry.
  fake.items.set(account, crypto.getRandomValues(new Uint8Array(32)).toBase64());
  const wrong = await rejectsWithCode(fresh().read(), "STORE_UNREADABLE");
  assert.match(wrong.message, /with OS keychain \(Secret Service\), service axway: wrong key/);
  assert.match(wrong.hint ?? "", /keychain entry/);
  assert.deepEqual(await Deno.readFile(store.path), before);
});

Deno.test("keychain key source: header params are validated", async () => {
  await using dir = await tempDir();
  const fake = fakeSecretTool();
  const selection = keychainSelection(fake.run);
  const { source } = await newStoreKey(dir.path, selection);
  for (
    const params of [
      { service: "other", account: ACCOUNT },
      { service: "axway", account: 5 },
      { service: "axway", account: "store-key:xyz" },
      { service: "axway", account: `${ACCOUNT}\nfind-generic-password` },
      { service: "axway" },
    ] as KeyParams[]
  ) {
    await assert.rejects(source.key(params, false), KeyParamsError);
  }
  assert.equal(fake.state.calls, 2);
});

Deno.test("newStoreKey: auto uses the keychain when it answers, else the key file with a notice", async () => {
  await using dir = await tempDir();
  const fake = fakeSecretTool();
  const auto = keychainSelection(fake.run, { requested: "auto" });
  const withKeychain = await newStoreKey(dir.path, auto);
  assert.equal(withKeychain.source.name, "keychain");
  assert.equal(withKeychain.notice, undefined);
  // Again (e.g. rekey keychain → keychain): the key filed for this config dir is reused.
  const again = await newStoreKey(dir.path, auto);
  assert.deepEqual(again.params, withKeychain.params);
  assert.equal(fake.items.size, 1);

  fake.state.down = true;
  const fallback = await newStoreKey(dir.path, auto);
  assert.equal(fallback.source.name, "file");
  assert.equal(
    fallback.notice,
    "no keychain available: no D-Bus session (Could not connect: No such file); the account " +
      `store key is kept in key file ${dir.path}/store.key instead (set AXWAY_KEY_STORE to choose)`,
  );
  const explicit = await rejectsWithCode(
    newStoreKey(dir.path, keychainSelection(fake.run)),
    "KEYCHAIN",
  );
  assert.match(explicit.hint ?? "", /AXWAY_KEY_STORE to file or passphrase/);

  // A passphrase wins in auto without asking the keychain.
  fake.state.calls = 0;
  const pass = await newStoreKey(dir.path, { ...auto, passphrase: "pw", iterations: 1_000 });
  assert.equal(pass.source.name, "passphrase");
  assert.equal(fake.state.calls, 0);
});

Deno.test("auto falls back when the keychain hangs, within the timeout", async () => {
  await using dir = await tempDir();
  const notices: string[] = [];
  const store = new AccountStore({
    configDir: dir.path,
    keySource: {
      requested: "auto",
      env,
      keychain: {
        os: "linux",
        timeoutMs: 100,
        run: (r) =>
          Promise.resolve({ code: -1, stdout: "", stderr: "", timedOut: r.timeoutMs > 0 }),
      },
    },
    onNotice: (message) => notices.push(message),
  });
  await store.update((doc) => void doc.accounts.push(sampleAccount("a")));
  await store.update((doc) => void doc.accounts.push(sampleAccount("b")));
  assert.equal(notices.length, 1);
  assert.match(notices[0], /^the OS keychain \(Secret Service\) did not answer within 0\.1 s; /);
});

Deno.test("describe: where the key lives, per OS, before and after the store exists", async () => {
  await using dir = await tempDir();
  assert.equal(
    describeKeySource(dir.path, "keychain", "darwin"),
    "OS keychain (macOS Keychain), service axway",
  );
  assert.equal(
    describeKeySource(dir.path, "keychain", "windows"),
    "OS keychain (Windows Credential Manager), service axway",
  );
  const fake = fakeSecretTool();
  assert.equal(
    describeNewKeySource(dir.path, keychainSelection(fake.run, { requested: "auto" })),
    `OS keychain (Secret Service), service axway when one answers, else key file ${dir.path}/store.key`,
  );
  const store = new AccountStore({
    configDir: dir.path,
    keySource: keychainSelection(fake.run, { requested: "auto" }),
  });
  assert.match(await store.describeKey(), /when one answers/);
  assert.equal(fake.state.calls, 0, "describing does not probe");
});

Deno.test("rekey between the keychain, the key file and a passphrase keeps every account", async () => {
  await using dir = await tempDir();
  const fake = fakeSecretTool();
  const store = new AccountStore({
    configDir: dir.path,
    keySource: { requested: "file" },
  });
  await store.update((doc) => void doc.accounts.push(sampleAccount("a"), sampleAccount("b")));
  const names = async (selection: KeySourceSelection) =>
    (await new AccountStore({ configDir: dir.path, keySource: selection }).read()).accounts.map((
      a,
    ) => a.name);
  const header = async () => JSON.parse((await Deno.readTextFile(store.path)).split("\n")[0]);

  await store.rekey(keychainSelection(fake.run));
  assert.equal((await header()).keySource, "keychain");
  assert.deepEqual(await names(keychainSelection(fake.run)), ["a", "b"]);
  await store.rekey({ requested: "passphrase", passphrase: "pw", iterations: 1_000 });
  assert.equal((await header()).keySource, "passphrase");
  assert.deepEqual(await names({ passphrase: "pw" }), ["a", "b"]);
  await store.rekey(keychainSelection(fake.run));
  await store.rekey({ requested: "file" });
  assert.equal((await header()).keySource, "file");
  assert.deepEqual(await names({}), ["a", "b"]);
  // The keychain entry is left in place (never deleted on rekey).
  assert.equal(fake.items.size, 1);

  // A rekey away from an unreachable keychain fails and leaves the store as it is.
  await store.rekey(keychainSelection(fake.run));
  const before = await Deno.readFile(store.path);
  fake.state.down = true;
  const moved = new AccountStore({ configDir: dir.path, keySource: keychainSelection(fake.run) });
  await rejectsWithCode(moved.rekey({ requested: "file" }), "KEYCHAIN");
  assert.deepEqual(await Deno.readFile(store.path), before);
});
