/**
 * `axway config list|get|set|unset` (issue 8 §4): the settings file, its checks, and the
 * precedence flag → environment variable → settings file → defaults, through the CLI run as a
 * subprocess with the compiled binary's permissions. Also `config set auth.keyStore`, which
 * re-encrypts the account store.
 *
 * @module
 */

import assert from "node:assert/strict";
import { type CliRunOptions, describeRun, runCli, stdoutJson } from "../support/cli.ts";
import { modeOf, posix, sampleAccount } from "../store/support/helpers.ts";
import { AccountStore } from "../../src/store/account_store.ts";
import type { StoredAccount } from "../../src/store/types.ts";
import { SETTING_KEYS } from "../../src/config/settings.ts";

const PASSPHRASE = "settings-test-passphrase-4b1e";

const ENVIRONMENTS = {
  prod: "https://login.axway.com",
  staging: "https://login.axwaytest.net",
  preprod: "https://login.na-us.axwaypreprod.net",
};

/** A config dir (not created: the CLI must create it 0700) inside a temp dir. */
async function tempConfig(): Promise<{ path: string; parent: string } & AsyncDisposable> {
  const parent = await Deno.makeTempDir({ prefix: "axway-config-test-" });
  return {
    path: `${parent}/axway`,
    parent,
    [Symbol.asyncDispose]: () => Deno.remove(parent, { recursive: true }).catch(() => {}),
  };
}

function account(name: string, env: keyof typeof ENVIRONMENTS): StoredAccount {
  const baseUrl = ENVIRONMENTS[env];
  return sampleAccount(name, {
    issuer: `${baseUrl}/auth/realms/Broker`,
    env,
    baseUrl,
    clientId: "amplify-cli",
    tokens: {
      accessToken: `at-${name}`,
      accessExpires: Date.now() + 3_600_000,
      refreshExpires: null,
    },
  });
}

/** Writes a store with a key file holding one account per environment. */
async function seedStore(configDir: string): Promise<void> {
  const store = new AccountStore({ configDir, keySource: { requested: "file" } });
  await store.update((doc) => {
    doc.accounts.push(
      account("amplify-cli:pat@example.com", "prod"),
      account("amplify-cli:sue@example.com", "staging"),
      account("amplify-cli:pia@example.com", "preprod"),
    );
  });
}

async function cli(configDir: string, args: string[], options: CliRunOptions = {}) {
  return await runCli(configDir, args, options);
}

async function ok(configDir: string, args: string[], options: CliRunOptions = {}) {
  const result = await cli(configDir, args, options);
  assert.equal(result.code, 0, describeRun(result));
  return result;
}

const json = stdoutJson;

async function settingsFile(configDir: string): Promise<Record<string, unknown>> {
  return JSON.parse(await Deno.readTextFile(`${configDir}/settings.json`));
}

async function accountNames(configDir: string, args: string[] = [], options: CliRunOptions = {}) {
  const result = await ok(configDir, ["auth", "ls", "--json", ...args], options);
  return json<{ name: string }[]>(result).map((a) => a.name);
}

async function storeHeader(configDir: string): Promise<Record<string, unknown>> {
  return JSON.parse((await Deno.readTextFile(`${configDir}/accounts.enc`)).split("\n")[0]);
}

Deno.test("config set, get, unset and list round trip; file 0600 in a 0700 dir", async () => {
  await using dir = await tempConfig();
  const cfg = dir.path;

  const empty = await ok(cfg, ["config", "list"]);
  assert.match(empty.stdout, /^No settings\.$/m);
  assert.match(empty.stdout, /^store key: /m);

  assert.equal((await ok(cfg, ["config", "set", "env", "test"])).stdout, "env = staging\n");
  await ok(cfg, ["config", "set", "auth.baseUrl", "https://login.example.com/"]);
  await ok(cfg, ["config", "set", "auth.realm", "Partners"]);
  await ok(cfg, ["config", "set", "auth.loginTimeout", "90"]);
  await ok(cfg, ["config", "set", "auth.clientId", "my-cli"]);
  // Keys are matched without regard to case, and stored canonically.
  await ok(cfg, ["config", "set", "NETWORK.PROXY", "http://proxy.corp.example:3128/"]);

  assert.deepEqual(await settingsFile(cfg), {
    env: "staging",
    "auth.baseUrl": "https://login.example.com",
    "auth.realm": "Partners",
    "auth.clientId": "my-cli",
    "auth.loginTimeout": 90,
    "network.proxy": "http://proxy.corp.example:3128",
  });
  if (posix) {
    assert.equal(await modeOf(`${cfg}/settings.json`), 0o600);
    assert.equal(await modeOf(cfg), 0o700);
  }

  assert.equal((await ok(cfg, ["config", "get", "env"])).stdout, "staging\n");
  assert.equal((await ok(cfg, ["config", "get", "auth.loginTimeout"])).stdout, "90\n");
  assert.deepEqual(json(await ok(cfg, ["config", "get", "auth.realm", "--json"])), {
    key: "auth.realm",
    value: "Partners",
  });

  const listed = await ok(cfg, ["config", "list"]);
  assert.match(listed.stdout, /^env = staging$/m);
  assert.match(listed.stdout, /^auth\.loginTimeout = 90$/m);
  assert.match(listed.stdout, /^network\.proxy = http:\/\/proxy\.corp\.example:3128$/m);
  assert.match(listed.stdout, new RegExp(`^settings file: ${cfg}/settings\\.json$`, "m"));
  assert.match(listed.stdout, /^store key: .+$/m);

  const listedJson = json<Record<string, unknown>>(await ok(cfg, ["config", "list", "--json"]));
  assert.deepEqual(listedJson.settings, await settingsFile(cfg));
  assert.equal(listedJson.path, `${cfg}/settings.json`);
  assert.equal(typeof listedJson.keyStore, "string");
  assert.deepEqual(listedJson.overriddenBy, {});

  assert.equal((await ok(cfg, ["config", "unset", "auth.realm"])).stdout, "auth.realm unset\n");
  assert.deepEqual(json(await ok(cfg, ["config", "unset", "auth.realm", "--json"])), {
    key: "auth.realm",
    removed: false,
  });
  assert.equal((await settingsFile(cfg))["auth.realm"], undefined);
  assert.deepEqual(json(await ok(cfg, ["config", "set", "env", "prod", "--json"])), {
    key: "env",
    value: "prod",
  });
  // A bare host:port is an http proxy, as in HTTPS_PROXY.
  await ok(cfg, ["config", "set", "network.proxy", "proxy.corp.example:8080"]);
  assert.equal(
    (await ok(cfg, ["config", "get", "network.proxy"])).stdout,
    "http://proxy.corp.example:8080\n",
  );
});

Deno.test("config get of an unset key prints nothing and exits 1", async () => {
  await using dir = await tempConfig();
  const text = await cli(dir.path, ["config", "get", "auth.realm"]);
  assert.equal(text.code, 1, describeRun(text));
  assert.equal(text.stdout, "");
  assert.equal(text.stderr, "");
  const asJson = await cli(dir.path, ["config", "get", "auth.realm", "--json"]);
  assert.equal(asJson.code, 1);
  assert.deepEqual(json(asJson), { key: "auth.realm", value: null });
});

Deno.test("unknown keys are usage errors listing the valid keys", async () => {
  await using dir = await tempConfig();
  for (const args of [["get", "auth.password"], ["set", "colour", "red"], ["unset", "nope"]]) {
    const result = await cli(dir.path, ["config", ...args]);
    assert.equal(result.code, 2, describeRun(result));
    assert.match(result.stderr, /unknown setting/);
    for (const key of SETTING_KEYS) assert.ok(result.stderr.includes(key), result.stderr);
  }
  const asJson = await cli(dir.path, ["config", "set", "colour", "red", "--json"]);
  assert.equal(asJson.code, 2);
  const error = json<{ error: { code: string; message: string } }>(asJson).error;
  assert.equal(error.code, "USAGE");
  for (const key of SETTING_KEYS) assert.ok(error.message.includes(key), error.message);
  await assert.rejects(Deno.stat(`${dir.path}/settings.json`), Deno.errors.NotFound);
});

Deno.test("bad values are usage errors saying what is valid, and change nothing", async () => {
  await using dir = await tempConfig();
  const cfg = dir.path;
  await ok(cfg, ["config", "set", "env", "staging"]);
  const before = await Deno.readTextFile(`${cfg}/settings.json`);
  const cases: [string, string, RegExp][] = [
    ["env", "qa", /prod, staging or preprod/],
    ["auth.keyStore", "vault", /auto, keychain, file, passphrase/],
    ["auth.loginTimeout", "0", /number of seconds between 1 and 86400/],
    ["auth.loginTimeout", "soon", /number of seconds between 1 and 86400/],
    ["auth.loginTimeout", "1e9", /number of seconds between 1 and 86400/],
    ["auth.baseUrl", "http://login.example.com", /https:\/\//],
    ["auth.platformUrl", "not a url", /not a valid URL/],
    ["auth.realm", "a realm", /not a valid realm name/],
    ["auth.clientId", "has space", /spaces/],
    ["network.proxy", "ftp://proxy.example:21", /http:\/\/host:port/],
    ["network.proxy", "http://proxy.example:3128/some/path", /scheme, host and port/],
    ["network.caFile", `${cfg}/missing.pem`, /does not exist/],
  ];
  for (const [key, value, message] of cases) {
    const result = await cli(cfg, ["config", "set", key, value]);
    assert.equal(result.code, 2, `${key}=${value}: ${describeRun(result)}`);
    assert.match(result.stderr, message, `${key}=${value}`);
  }
  assert.equal(await Deno.readTextFile(`${cfg}/settings.json`), before);
});

Deno.test("a proxy URL with credentials is rejected without echoing them", async () => {
  await using dir = await tempConfig();
  for (const value of ["http://alice:s3cr3t-pw@proxy.example:3128", "alice:s3cr3t-pw@proxy:8080"]) {
    for (const extra of [[], ["--json"]]) {
      const result = await cli(dir.path, ["config", "set", "network.proxy", value, ...extra]);
      assert.equal(result.code, 2, describeRun(result));
      assert.match(result.stdout + result.stderr, /must not contain credentials/);
      assert.ok(!(result.stdout + result.stderr).includes("s3cr3t-pw"), describeRun(result));
    }
  }
  await assert.rejects(Deno.stat(`${dir.path}/settings.json`), Deno.errors.NotFound);
});

Deno.test("network.caFile must be a readable PEM file and is stored as an absolute path", async () => {
  await using dir = await tempConfig();
  await Deno.mkdir(`${dir.parent}/certs`);
  await Deno.writeTextFile(
    `${dir.parent}/certs/ca.pem`,
    "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
  );
  await Deno.writeTextFile(`${dir.parent}/certs/notes.txt`, "not a certificate\n");
  const notPem = await cli(dir.path, ["config", "set", "network.caFile", "certs/notes.txt"], {
    cwd: dir.parent,
  });
  assert.equal(notPem.code, 2, describeRun(notPem));
  assert.match(notPem.stderr, /no PEM certificate/);
  const directory = await cli(dir.path, ["config", "set", "network.caFile", "certs"], {
    cwd: dir.parent,
  });
  assert.equal(directory.code, 2, describeRun(directory));
  await ok(dir.path, ["config", "set", "network.caFile", "certs/ca.pem"], { cwd: dir.parent });
  assert.equal(
    (await ok(dir.path, ["config", "get", "network.caFile"])).stdout,
    `${dir.parent}/certs/ca.pem\n`,
  );
});

Deno.test("precedence: flag over environment variable over settings over default", async () => {
  await using dir = await tempConfig();
  const cfg = dir.path;
  await seedStore(cfg);
  const pat = "amplify-cli:pat@example.com";
  const sue = "amplify-cli:sue@example.com";
  const pia = "amplify-cli:pia@example.com";

  assert.deepEqual(await accountNames(cfg), [pat], "default: prod");
  await ok(cfg, ["config", "set", "env", "staging"]);
  assert.deepEqual(await accountNames(cfg), [sue], "settings: staging");
  assert.deepEqual(await accountNames(cfg, [], { env: { AXWAY_ENV: "prod" } }), [pat]);
  assert.deepEqual(
    await accountNames(cfg, ["--env", "preprod"], { env: { AXWAY_ENV: "prod" } }),
    [pia],
    "flag over variable",
  );
  assert.deepEqual(await accountNames(cfg, ["--env", "prod"]), [pat], "flag over settings");

  // A URL in the settings is replaced by an environment named at a higher level.
  await ok(cfg, ["config", "set", "auth.baseUrl", ENVIRONMENTS.preprod]);
  assert.deepEqual(await accountNames(cfg), [pia]);
  assert.deepEqual(await accountNames(cfg, [], { env: { AXWAY_ENV: "staging" } }), [sue]);

  const listed = await ok(cfg, ["config", "list"], { env: { AXWAY_ENV: "prod" } });
  assert.match(listed.stdout, /^env = staging {2}\(AXWAY_ENV is set and takes precedence\)$/m);
  const listedJson = json<{ overriddenBy: Record<string, string> }>(
    await ok(cfg, ["config", "list", "--json"], { env: { AXWAY_ENV: "prod" } }),
  );
  assert.deepEqual(listedJson.overriddenBy, { env: "AXWAY_ENV" });
  const set = await ok(cfg, ["config", "set", "env", "preprod"], { env: { AXWAY_ENV: "prod" } });
  assert.match(set.stderr, /AXWAY_ENV is set and takes precedence/);

  await ok(cfg, ["config", "unset", "auth.baseUrl"]);
  await ok(cfg, ["config", "unset", "env"]);
  assert.deepEqual(await accountNames(cfg), [pat], "back to the default");
});

Deno.test("a hand-edited settings file with a bad value fails clearly and can be fixed", async () => {
  await using dir = await tempConfig();
  const cfg = dir.path;
  await Deno.mkdir(cfg, { recursive: true });
  await Deno.writeTextFile(`${cfg}/settings.json`, JSON.stringify({ env: "qa" }));
  const failed = await cli(cfg, ["auth", "ls"]);
  assert.equal(failed.code, 1, describeRun(failed));
  assert.match(failed.stderr, /settings file .*settings\.json: unknown environment "qa"/);
  assert.match(failed.stderr, /axway config unset env/);
  assert.match((await ok(cfg, ["config", "list"])).stdout, /^env = qa$/m);
  await ok(cfg, ["config", "unset", "env"]);
  assert.equal((await ok(cfg, ["auth", "ls"])).stdout.trim(), "No authenticated accounts.");

  // Credentials never come from `set`, but a hand-edited file is masked wherever it is shown.
  await Deno.writeTextFile(
    `${cfg}/settings.json`,
    JSON.stringify({ "network.proxy": "http://joe:hunter2-pw@proxy.example:3128" }),
  );
  for (const args of [["list"], ["list", "--json"], ["get", "network.proxy"]]) {
    const shown = await cli(cfg, ["config", ...args]);
    assert.ok(shown.stdout.includes("***@proxy.example:3128"), describeRun(shown));
    assert.ok(!(shown.stdout + shown.stderr).includes("hunter2-pw"), describeRun(shown));
  }

  await Deno.writeTextFile(`${cfg}/settings.json`, "{ not json");
  const broken = await cli(cfg, ["config", "set", "env", "prod"]);
  assert.equal(broken.code, 1, describeRun(broken));
  assert.match(broken.stderr, /is not valid JSON/);
});

Deno.test("config set auth.keyStore re-encrypts the store and keeps every account", async () => {
  await using dir = await tempConfig();
  const cfg = dir.path;
  await seedStore(cfg);
  const original = await Deno.readFile(`${cfg}/accounts.enc`);
  const withPassphrase = { env: { AXWAY_AUTH_PASSPHRASE: PASSPHRASE } };

  const missing = await cli(cfg, ["config", "set", "auth.keyStore", "passphrase"]);
  assert.equal(missing.code, 2, describeRun(missing));
  assert.match(missing.stderr, /AXWAY_AUTH_PASSPHRASE/);
  assert.deepEqual(await Deno.readFile(`${cfg}/accounts.enc`), original, "store untouched");
  await assert.rejects(Deno.stat(`${cfg}/settings.json`), Deno.errors.NotFound);

  const moved = await ok(cfg, ["config", "set", "auth.keyStore", "passphrase"], withPassphrase);
  assert.match(moved.stdout, /^auth\.keyStore = passphrase$/m);
  assert.match(moved.stdout, /re-encrypted: passphrase \(AXWAY_AUTH_PASSPHRASE\)/);
  assert.equal((await storeHeader(cfg)).keySource, "passphrase");
  assert.equal((await settingsFile(cfg))["auth.keyStore"], "passphrase");
  assert.ok(
    !new TextDecoder().decode(await Deno.readFile(`${cfg}/accounts.enc`)).includes(PASSPHRASE),
  );

  const locked = await cli(cfg, ["auth", "ls", "--json"]);
  assert.equal(locked.code, 1, describeRun(locked));
  assert.equal(json<{ error: { code: string } }>(locked).error.code, "STORE_UNREADABLE");
  assert.deepEqual(await accountNames(cfg, ["--env", "staging"], withPassphrase), [
    "amplify-cli:sue@example.com",
  ]);
  const listed = json<{ keyStore: string }>(await ok(cfg, ["config", "list", "--json"]));
  assert.equal(listed.keyStore, "passphrase (AXWAY_AUTH_PASSPHRASE)");

  // Back to the key file: needs the passphrase to read the store first.
  const unreadable = await cli(cfg, ["config", "set", "auth.keyStore", "file"]);
  assert.equal(unreadable.code, 1, describeRun(unreadable));
  assert.match(unreadable.stderr, /passphrase/);
  assert.equal((await storeHeader(cfg)).keySource, "passphrase");
  assert.equal((await settingsFile(cfg))["auth.keyStore"], "passphrase");

  const back = json<Record<string, unknown>>(
    await ok(cfg, ["config", "set", "auth.keyStore", "file", "--json"], withPassphrase),
  );
  assert.deepEqual(back, {
    key: "auth.keyStore",
    value: "file",
    keyStore: `key file ${cfg}/store.key`,
    reencrypted: true,
  });
  assert.equal((await storeHeader(cfg)).keySource, "file");
  assert.deepEqual(await accountNames(cfg), ["amplify-cli:pat@example.com"]);
});

Deno.test("auth.keyStore chooses the key source of a new store, after AXWAY_KEY_STORE", async () => {
  await using dir = await tempConfig();
  const cfg = dir.path;
  const set = json<Record<string, unknown>>(
    await ok(cfg, ["config", "set", "auth.keyStore", "file", "--json"]),
  );
  assert.deepEqual(set, {
    key: "auth.keyStore",
    value: "file",
    keyStore: `key file ${cfg}/store.key`,
    reencrypted: false,
  });
  // No store yet, so nothing was created but the settings file.
  assert.deepEqual([...Deno.readDirSync(cfg)].map((entry) => entry.name), ["settings.json"]);
  const fromSettings = json<{ keyStore: string }>(await ok(cfg, ["config", "list", "--json"]));
  assert.equal(fromSettings.keyStore, `key file ${cfg}/store.key`);
  const fromVariable = json<{ keyStore: string; overriddenBy: Record<string, string> }>(
    await ok(cfg, ["config", "list", "--json"], {
      env: { AXWAY_KEY_STORE: "passphrase", AXWAY_AUTH_PASSPHRASE: PASSPHRASE },
    }),
  );
  assert.equal(fromVariable.keyStore, "passphrase (AXWAY_AUTH_PASSPHRASE)");
  assert.deepEqual(fromVariable.overriddenBy, { "auth.keyStore": "AXWAY_KEY_STORE" });
});
