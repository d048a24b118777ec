/**
 * Integration tests of the service-account side of `axway auth` (issue 2 §9): the CLI runs as a
 * subprocess, with the compiled binary's permission list, against the bundled OpenID provider on
 * loopback. One provider serves the whole file (a second one stands for another environment and,
 * once closed, for a provider that is down).
 *
 * @module
 */

import type { AccountJson as AccountView } from "../../src/cli/accounts.ts";
import assert from "node:assert/strict";
import { CLIENTS, KEY_PASSPHRASE, startIdp } from "../support/idp.ts";
import { assertExit, type CliResult, stdoutJson } from "../support/cli.ts";
import { CliRecorder, closedPort, pemBody } from "../support/recorder.ts";
import { STORE_FILE_NAME } from "../../src/store/account_store.ts";
import type { StoredAccount } from "../../src/store/types.ts";
import denoJson from "../../deno.json" with { type: "json" };

const STORE_PASSPHRASE = "store-passphrase-7e1f0c";
const WRONG_STORE_PASSPHRASE = "wrong-store-passphrase-c3d9";
const WRONG_SECRET = "not-the-right-secret-9f2a";
const OLD_SECRET = "old-rotated-secret-5b7c";
const STAGING_ISSUER = "https://login.axwaytest.net/auth/realms/Broker";

const ACCOUNT_KEYS = ["auth", "default", "isPlatform", "name", "needsLogin"];
const AUTH_KEYS = ["authenticator", "baseUrl", "clientId", "env", "expires", "realm"];

/** An account as `--json` prints it; `logout --json` adds `revoked`. */
type AccountJson = AccountView & { revoked?: boolean };

/** The `{"error":{"code","message"}}` of a failed `--json` run, checked for shape. */
function jsonError(result: CliResult, exitCode: number): { code: string; message: string } {
  assertExit(result, exitCode);
  const body = stdoutJson<{ error: { code: string; message: string } }>(result);
  assert.deepEqual(Object.keys(body), ["error"]);
  assert.deepEqual(Object.keys(body.error).sort(), ["code", "message"]);
  assert.equal(typeof body.error.message, "string");
  assert.ok(body.error.message.length > 0);
  return body.error;
}

/** Checks an account object has exactly the contract's keys for a service account. */
function assertServiceAccountJson(
  account: AccountJson,
  expected: { name: string; authenticator: string; baseUrl: string; isDefault?: boolean },
): void {
  const { revoked: _revoked, ...rest } = account;
  assert.deepEqual(Object.keys(rest).sort(), ACCOUNT_KEYS);
  assert.deepEqual(Object.keys(account.auth).sort(), AUTH_KEYS);
  assert.deepEqual(Object.keys(account.auth.expires).sort(), ["access", "refresh"]);
  assert.equal(account.name, expected.name);
  assert.equal(account.isPlatform, false);
  assert.equal(account.needsLogin, false);
  assert.equal(account.auth.authenticator, expected.authenticator);
  assert.equal(account.auth.baseUrl, expected.baseUrl);
  assert.equal(account.auth.realm, "Broker");
  assert.equal(account.auth.env, "custom");
  assert.equal(account.auth.clientId, expected.name);
  assert.equal(account.auth.expires.refresh, null);
  assert.ok(account.auth.expires.access > Date.now() + 30 * 60_000, "access expiry ~1 h ahead");
  if (expected.isDefault !== undefined) assert.equal(account.default, expected.isDefault);
}

function storedAccount(accounts: StoredAccount[], name: string): StoredAccount {
  const account = accounts.find((a) => a.name === name);
  assert.ok(account, `no stored account ${name}`);
  return account;
}

async function fileBytes(path: string): Promise<Uint8Array> {
  return await Deno.readFile(path);
}

Deno.test({
  name: "service accounts: login, ls, switch, logout, errors, store, no secret anywhere",
  sanitizeOps: false,
  sanitizeResources: false,
}, async (t) => {
  const [idp, other] = await Promise.all([
    startIdp({ platform: false, device: false }),
    startIdp({ platform: false, device: false }),
  ]);
  const rec = new CliRecorder();
  rec.secret("svc-basic client secret", CLIENTS.basic.clientSecret);
  rec.secret("svc-post client secret", CLIENTS.post.clientSecret);
  rec.secret("wrong client secret", WRONG_SECRET);
  rec.secret("rotated-out client secret", OLD_SECRET);
  rec.secret("key file passphrase", KEY_PASSPHRASE);
  rec.secret("store passphrase", STORE_PASSPHRASE);
  rec.secret("wrong store passphrase", WRONG_STORE_PASSPHRASE);
  for (const [label, path] of Object.entries(idp.keyFiles)) {
    const { joined, lines } = await pemBody(path);
    rec.secret(`PEM body of ${label}`, joined);
    lines.forEach((line, index) => rec.secret(`PEM line ${index} of ${label}`, line));
  }

  const here = ["--base-url", idp.baseUrl];
  const there = ["--base-url", other.baseUrl];
  const secretLogin = (clientId: string, secret: string, at: string[] = here) => [
    "auth",
    "login",
    "--client-id",
    clientId,
    "--client-secret",
    secret,
    ...at,
  ];
  const keyLogin = (clientId: string, path: string) => [
    "auth",
    "login",
    "--client-id",
    clientId,
    "--secret-file",
    path,
    ...here,
  ];
  const list = async (dir: string, args: string[] = here, env?: Record<string, string>) => {
    const result = await rec.run(dir, ["auth", "ls", "--json", ...args], { env });
    assertExit(result, 0);
    return stdoutJson<AccountJson[]>(result);
  };
  const names = (accounts: AccountJson[]) => accounts.map((account) => account.name);

  // The main config dir: every login kind ends up here, in an order that is not alphabetical.
  const main = await rec.configDir();

  try {
    await t.step("--version, --help and auth --help exit 0", async () => {
      const version = await rec.run(main, ["--version"]);
      assertExit(version, 0);
      assert.equal(version.stdout.trim(), denoJson.version);
      const help = await rec.run(main, ["--help"]);
      assertExit(help, 0);
      assert.match(help.stdout, /Usage: axway/);
      assert.match(help.stdout, /auth/);
      const authHelp = await rec.run(main, ["auth", "--help"]);
      assertExit(authHelp, 0);
      for (const command of ["login", "logout", "switch", "list|ls"]) {
        assert.ok(authHelp.stdout.includes(command), `auth --help lists ${command}`);
      }
    });

    await t.step("ls with no account: text and []", async () => {
      const text = await rec.run(main, ["auth", "ls", ...here]);
      assertExit(text, 0);
      assert.equal(text.stdout, "No authenticated accounts.\n");
      const json = await rec.run(main, ["auth", "ls", "--json", ...here]);
      assertExit(json, 0);
      assert.equal(json.stdout.trim(), "[]");
      assert.deepEqual(stdoutJson(json), []);
    });

    await t.step(
      "client secret from stdin (--client-secret -), client_secret_post client",
      async () => {
        const before = idp.counters.client_credentials;
        const result = await rec.run(
          main,
          ["auth", "login", "--client-id", "svc-post", "--client-secret", "-", "--json", ...here],
          { stdin: `${CLIENTS.post.clientSecret}\n` },
        );
        assertExit(result, 0);
        assertServiceAccountJson(stdoutJson(result), {
          name: "svc-post",
          authenticator: "ClientSecret",
          baseUrl: idp.baseUrl,
          isDefault: true,
        });
        assert.equal(idp.counters.client_credentials, before + 1);
        const stored = storedAccount((await rec.readStore(main)).accounts, "svc-post");
        assert.equal(
          stored.credentials?.clientSecret,
          CLIENTS.post.clientSecret,
          "newline stripped",
        );
        assert.equal((await idp.introspect(stored.tokens.accessToken)).active, true);
      },
    );

    await t.step("RS256 key files: PKCS#8, PKCS#1, encrypted PKCS#8 with passphrase", async () => {
      const before = idp.counters.client_credentials;
      const pkcs8 = await rec.run(main, keyLogin("svc-rs256", idp.keyFiles.rsaPkcs8));
      assertExit(pkcs8, 0);
      assert.match(pkcs8.stdout, /Signed in as service account svc-rs256 \(signed JWT\)/);
      assert.match(pkcs8.stdout, /To make it the default account, run: axway auth switch/);

      const pkcs1 = await rec.run(main, [
        ...keyLogin("svc-rs256", idp.keyFiles.rsaPkcs1),
        "--force",
      ]);
      assertExit(pkcs1, 0);
      assert.match(pkcs1.stdout, /Signed in as service account svc-rs256/);

      const encrypted = await rec.run(
        main,
        [...keyLogin("svc-rs256", idp.keyFiles.rsaEncrypted), "--force", "--json"],
        { env: { AXWAY_SECRET_FILE_PASSPHRASE: KEY_PASSPHRASE } },
      );
      assertExit(encrypted, 0);
      assertServiceAccountJson(stdoutJson(encrypted), {
        name: "svc-rs256",
        authenticator: "SignedJWT",
        baseUrl: idp.baseUrl,
        isDefault: false,
      });
      assert.equal(idp.counters.client_credentials, before + 3);

      const stored = storedAccount((await rec.readStore(main)).accounts, "svc-rs256");
      assert.equal(stored.credentials?.privateKey?.alg, "RS256");
      assert.equal(stored.credentials?.clientSecret, undefined);
      // The decrypted key itself is kept (as PKCS#8), not the file's path or its passphrase.
      assert.equal(
        stored.credentials?.privateKey?.pkcs8,
        (await pemBody(idp.keyFiles.rsaPkcs8)).joined,
      );
      const serialised = JSON.stringify(stored);
      assert.ok(!serialised.includes(idp.keyFiles.rsaEncrypted), "no key file path stored");
      assert.ok(!serialised.includes(KEY_PASSPHRASE), "no PEM passphrase stored");
    });

    await t.step(
      "encrypted key with a wrong or missing passphrase: KEY_FILE, no token request",
      async () => {
        const before = idp.counters.client_credentials;
        const wrong = await rec.run(
          main,
          [...keyLogin("svc-rs256", idp.keyFiles.rsaEncrypted), "--force", "--json"],
          { env: { AXWAY_SECRET_FILE_PASSPHRASE: "not-the-key-passphrase" } },
        );
        assert.equal(jsonError(wrong, 1).code, "KEY_FILE");
        const missing = await rec.run(
          main,
          [...keyLogin("svc-rs256", idp.keyFiles.rsaEncrypted), "--force"],
        );
        assertExit(missing, 1);
        assert.match(missing.stderr, /^error: .*passphrase/m);
        assert.match(missing.stderr, /AXWAY_SECRET_FILE_PASSPHRASE/);
        assert.equal(idp.counters.client_credentials, before);
      },
    );

    await t.step("ES256 key files: PKCS#8 and SEC1", async () => {
      const before = idp.counters.client_credentials;
      const pkcs8 = await rec.run(main, [...keyLogin("svc-es256", idp.keyFiles.ecPkcs8), "--json"]);
      assertExit(pkcs8, 0);
      assertServiceAccountJson(stdoutJson(pkcs8), {
        name: "svc-es256",
        authenticator: "SignedJWT",
        baseUrl: idp.baseUrl,
        isDefault: false,
      });
      const sec1 = await rec.run(main, [...keyLogin("svc-es256", idp.keyFiles.ecSec1), "--force"]);
      assertExit(sec1, 0);
      assert.match(sec1.stdout, /Signed in as service account svc-es256 \(signed JWT\)/);
      assert.equal(idp.counters.client_credentials, before + 2);
      const stored = storedAccount((await rec.readStore(main)).accounts, "svc-es256");
      assert.equal(stored.credentials?.privateKey?.alg, "ES256");
      assert.equal((await idp.introspect(stored.tokens.accessToken)).active, true);
    });

    await t.step("client_secret_basic client with --client-secret", async () => {
      const result = await rec.run(main, secretLogin("svc-basic", CLIENTS.basic.clientSecret));
      assertExit(result, 0);
      assert.match(result.stdout, /Signed in as service account svc-basic \(client secret\)/);
      assert.match(result.stdout, /axway auth switch --account svc-basic/);
      assert.equal(result.stderr, "");
      await rec.readStore(main);
    });

    await t.step("secret and client ID from AXWAY_CLIENT_ID / AXWAY_CLIENT_SECRET", async () => {
      const dir = await rec.configDir();
      const result = await rec.run(dir, ["auth", "login", ...here], {
        env: { AXWAY_CLIENT_ID: "svc-basic", AXWAY_CLIENT_SECRET: CLIENTS.basic.clientSecret },
      });
      assertExit(result, 0);
      assert.match(result.stdout, /Signed in as service account svc-basic/);
      assert.match(result.stdout, /It is the default account\./);
      const stored = storedAccount((await rec.readStore(dir)).accounts, "svc-basic");
      assert.equal(stored.authenticator, "ClientSecret");
      assert.equal(stored.credentials?.clientSecret, CLIENTS.basic.clientSecret);
    });

    await t.step("two logins at the same moment both end up stored", async () => {
      const dir = await rec.configDir();
      const [basic, post] = await Promise.all([
        rec.run(dir, secretLogin("svc-basic", CLIENTS.basic.clientSecret)),
        rec.run(dir, secretLogin("svc-post", CLIENTS.post.clientSecret)),
      ]);
      assertExit(basic, 0);
      assertExit(post, 0);
      const accounts = await list(dir);
      assert.deepEqual(names(accounts), ["svc-basic", "svc-post"]);
      assert.equal(accounts.filter((a) => a.default).length, 1);
      await rec.readStore(dir);
    });

    await t.step("ls: text table and JSON sorted by name, one default", async () => {
      const accounts = await list(main);
      assert.deepEqual(names(accounts), ["svc-basic", "svc-es256", "svc-post", "svc-rs256"]);
      const authenticators = Object.fromEntries(
        accounts.map((a) => [a.name, a.auth.authenticator]),
      );
      assert.deepEqual(authenticators, {
        "svc-basic": "ClientSecret",
        "svc-es256": "SignedJWT",
        "svc-post": "ClientSecret",
        "svc-rs256": "SignedJWT",
      });
      for (const account of accounts) {
        assertServiceAccountJson(account, {
          name: account.name,
          authenticator: account.auth.authenticator,
          baseUrl: idp.baseUrl,
          isDefault: account.name === "svc-post",
        });
      }

      const text = await rec.run(main, ["auth", "ls", ...here]);
      assertExit(text, 0);
      const lines = text.stdout.split("\n");
      assert.match(lines[0], /^ACCOUNT NAME\s+TYPE\s+ORGANIZATION\s+SIGN-IN NEEDED$/);
      assert.match(lines[1], /^ {2}svc-basic\s+Service\s+—\s+—$/);
      assert.match(lines[2], /^ {2}svc-es256\s+Service\s+—\s+—$/);
      assert.match(lines[3], /^\* svc-post\s+Service\s+—\s+—$/);
      assert.match(lines[4], /^ {2}svc-rs256\s+Service\s+—\s+—$/);
      assert.ok(text.stdout.includes(idp.issuer), "the footer names the environment");
    });

    await t.step("logging in again while valid: already signed in, no token request", async () => {
      const before = idp.counters.client_credentials;
      const tokenBefore = storedAccount((await rec.readStore(main)).accounts, "svc-basic").tokens;
      const again = await rec.run(main, secretLogin("svc-basic", CLIENTS.basic.clientSecret));
      assertExit(again, 0);
      assert.match(again.stdout, /Already signed in as service account svc-basic/);
      const key = await rec.run(main, keyLogin("svc-es256", idp.keyFiles.ecSec1));
      assertExit(key, 0);
      assert.match(key.stdout, /Already signed in as service account svc-es256/);
      const json = await rec.run(main, [...keyLogin("svc-rs256", idp.keyFiles.rsaPkcs1), "--json"]);
      assertExit(json, 0);
      assert.equal(stdoutJson<AccountJson>(json).name, "svc-rs256");
      assert.equal(idp.counters.client_credentials, before, "no token request");
      const tokenAfter = storedAccount((await rec.readStore(main)).accounts, "svc-basic").tokens;
      assert.equal(tokenAfter.accessToken, tokenBefore.accessToken);
    });

    await t.step("--force fetches a new token", async () => {
      const before = idp.counters.client_credentials;
      const old = storedAccount((await rec.readStore(main)).accounts, "svc-basic").tokens;
      const forced = await rec.run(main, [
        ...secretLogin("svc-basic", CLIENTS.basic.clientSecret),
        "--force",
      ]);
      assertExit(forced, 0);
      assert.match(forced.stdout, /Signed in as service account svc-basic/);
      assert.equal(idp.counters.client_credentials, before + 1);
      const fresh = storedAccount((await rec.readStore(main)).accounts, "svc-basic").tokens;
      assert.notEqual(fresh.accessToken, old.accessToken);
      assert.equal((await idp.introspect(fresh.accessToken)).active, true);
    });

    await t.step("a rotated secret or key replaces the stored credentials", async () => {
      // The store still holds the credentials from before the rotation.
      const { privateKey } = await crypto.subtle.generateKey(
        {
          name: "RSASSA-PKCS1-v1_5",
          modulusLength: 2048,
          publicExponent: new Uint8Array([1, 0, 1]),
          hash: "SHA-256",
        },
        true,
        ["sign", "verify"],
      );
      const oldKey = new Uint8Array(await crypto.subtle.exportKey("pkcs8", privateKey)).toBase64();
      rec.secret("rotated-out private key", oldKey);
      await rec.editStore(main, (doc) => {
        storedAccount(doc.accounts, "svc-basic").credentials = { clientSecret: OLD_SECRET };
        storedAccount(doc.accounts, "svc-rs256").credentials = {
          privateKey: { pkcs8: oldKey, alg: "RS256" },
        };
      });
      const before = idp.counters.client_credentials;
      const oldTokens = (await rec.readStore(main)).accounts.map((a) => a.tokens.accessToken);

      const secret = await rec.run(main, secretLogin("svc-basic", CLIENTS.basic.clientSecret));
      assertExit(secret, 0);
      assert.match(secret.stdout, /Signed in as service account svc-basic/);
      const key = await rec.run(main, keyLogin("svc-rs256", idp.keyFiles.rsaPkcs8));
      assertExit(key, 0);
      assert.match(key.stdout, /Signed in as service account svc-rs256/);
      assert.equal(idp.counters.client_credentials, before + 2, "new tokens were fetched");

      const accounts = (await rec.readStore(main)).accounts;
      const basic = storedAccount(accounts, "svc-basic");
      assert.deepEqual(basic.credentials, { clientSecret: CLIENTS.basic.clientSecret });
      assert.ok(!oldTokens.includes(basic.tokens.accessToken));
      const rs256 = storedAccount(accounts, "svc-rs256");
      assert.equal(
        rs256.credentials?.privateKey?.pkcs8,
        (await pemBody(idp.keyFiles.rsaPkcs8)).joined,
      );
      assert.ok(!oldTokens.includes(rs256.tokens.accessToken));
    });

    await t.step("a wrong secret: INVALID_CLIENT, exit 1, stored account untouched", async () => {
      const storePath = `${main}/${STORE_FILE_NAME}`;
      const bytes = await fileBytes(storePath);
      const text = await rec.run(main, [...secretLogin("svc-basic", WRONG_SECRET), "--force"]);
      assertExit(text, 1);
      assert.match(text.stderr, /^error: client authentication failed for client ID "svc-basic"/);
      assert.match(text.stderr, /check the client ID and its secret or key/);
      assert.equal(text.stdout, "");
      const json = await rec.run(main, [...secretLogin("svc-basic", WRONG_SECRET), "--json"]);
      const error = jsonError(json, 1);
      assert.equal(error.code, "INVALID_CLIENT");
      assert.match(error.message, /svc-basic/);
      assert.deepEqual(await fileBytes(storePath), bytes, "store unchanged");
      const fresh = await rec.configDir();
      const none = await rec.run(fresh, [...secretLogin("svc-post", WRONG_SECRET), "--json"]);
      assert.equal(jsonError(none, 1).code, "INVALID_CLIENT");
      assert.deepEqual(await list(fresh), []);
    });

    await t.step("auth token prints the stored access token (and only it)", async () => {
      const stored = storedAccount((await rec.readStore(main)).accounts, "svc-post");
      const result = await rec.run(main, ["auth", "token", ...here], { printsToken: true });
      assertExit(result, 0);
      assert.equal(result.stdout, `${stored.tokens.accessToken}\n`);
      // The scan would catch this token anywhere else: the exemption is what lets it pass.
      assert.ok(rec.secretCount > 0);
    });

    await t.step("switch --account sets the default; unknown account exits 1", async () => {
      const result = await rec.run(main, ["auth", "switch", "--account", "svc-basic", ...here]);
      assertExit(result, 0);
      assert.match(result.stdout, /Default account set to svc-basic\./);
      const accounts = await list(main);
      assert.deepEqual(accounts.filter((a) => a.default).map((a) => a.name), ["svc-basic"]);

      const json = await rec.run(main, [
        "auth",
        "switch",
        "--account",
        "svc-rs256",
        "--json",
        ...here,
      ]);
      assertExit(json, 0);
      const switched = stdoutJson<AccountJson>(json);
      assert.equal(switched.name, "svc-rs256");
      assert.equal(switched.default, true);
      const back = await rec.run(main, ["auth", "switch", "--account", "svc-basic", ...here]);
      assertExit(back, 0);

      const unknown = await rec.run(main, ["auth", "switch", "--account", "nobody", ...here]);
      assertExit(unknown, 1);
      assert.match(unknown.stderr, /^error: .*"nobody"/);
      const unknownJson = await rec.run(main, [
        "auth",
        "switch",
        "--account",
        "nobody",
        "--json",
        ...here,
      ]);
      assert.equal(jsonError(unknownJson, 1).code, "NOT_FOUND");
      assert.deepEqual((await list(main)).filter((a) => a.default).map((a) => a.name), [
        "svc-basic",
      ]);
    });

    await t.step("logout of an unknown name: exit 1, nothing removed", async () => {
      const storePath = `${main}/${STORE_FILE_NAME}`;
      const bytes = await fileBytes(storePath);
      const revocations = idp.counters.revocation;
      const unknown = await rec.run(main, ["auth", "logout", "nobody", ...here]);
      assertExit(unknown, 1);
      assert.match(unknown.stderr, /^error: .*"nobody"/);
      const mixed = await rec.run(main, [
        "auth",
        "logout",
        "svc-post",
        "nobody",
        "--json",
        ...here,
      ]);
      const error = jsonError(mixed, 1);
      assert.equal(error.code, "NOT_FOUND");
      assert.match(error.message, /nobody/);
      assert.deepEqual(await fileBytes(storePath), bytes);
      assert.equal(idp.counters.revocation, revocations, "nothing revoked");
      assert.deepEqual(names(await list(main)), [
        "svc-basic",
        "svc-es256",
        "svc-post",
        "svc-rs256",
      ]);
    });

    await t.step("logout revokes at the provider (checked by introspection)", async () => {
      const post = storedAccount((await rec.readStore(main)).accounts, "svc-post");
      assert.equal((await idp.introspect(post.tokens.accessToken)).active, true);
      const result = await rec.run(main, ["auth", "logout", "svc-post", ...here]);
      assertExit(result, 0);
      assert.match(result.stdout, /Signed out svc-post; its tokens were revoked\./);
      assert.doesNotMatch(result.stdout, /default/, "svc-post was not the default");
      assert.equal((await idp.introspect(post.tokens.accessToken)).active, false);
      assert.deepEqual(names(await list(main)), ["svc-basic", "svc-es256", "svc-rs256"]);
    });

    await t.step(
      "logout of the default: the next by name becomes default, output says so",
      async () => {
        const accounts = (await rec.readStore(main)).accounts;
        const basic = storedAccount(accounts, "svc-basic");
        const text = await rec.run(main, ["auth", "revoke", "svc-basic", ...here]);
        assertExit(text, 0);
        assert.match(text.stdout, /Signed out svc-basic; its tokens were revoked\./);
        assert.match(text.stdout, /svc-es256 is now the default account\./);
        assert.equal((await idp.introspect(basic.tokens.accessToken)).active, false);
        const remaining = await list(main);
        assert.deepEqual(names(remaining), ["svc-es256", "svc-rs256"]);
        assert.deepEqual(remaining.filter((a) => a.default).map((a) => a.name), ["svc-es256"]);

        const es256 = storedAccount(accounts, "svc-es256");
        const json = await rec.run(main, ["auth", "logout", "svc-es256", "--json", ...here]);
        assertExit(json, 0);
        const out = stdoutJson<AccountJson[]>(json);
        assert.equal(out.length, 1);
        assertServiceAccountJson(out[0], {
          name: "svc-es256",
          authenticator: "SignedJWT",
          baseUrl: idp.baseUrl,
          isDefault: true,
        });
        assert.equal(out[0].revoked, true);
        assert.equal((await idp.introspect(es256.tokens.accessToken)).active, false);
        const last = await list(main);
        assert.deepEqual(names(last), ["svc-rs256"]);
        assert.equal(last[0].default, true);
      },
    );

    await t.step("logout --all with --json, then nothing left", async () => {
      const rs256 = storedAccount((await rec.readStore(main)).accounts, "svc-rs256");
      const result = await rec.run(main, ["auth", "logout", "--all", "--json", ...here]);
      assertExit(result, 0);
      const out = stdoutJson<AccountJson[]>(result);
      assert.deepEqual(out.map((a) => [a.name, a.revoked]), [["svc-rs256", true]]);
      assert.equal((await idp.introspect(rs256.tokens.accessToken)).active, false);
      assert.deepEqual(await list(main), []);
      const again = await rec.run(main, ["auth", "logout", "--json", ...here]);
      assertExit(again, 0);
      assert.deepEqual(stdoutJson(again), []);
    });

    await t.step("--env precedence: AXWAY_BASE_URL vs --env vs --base-url", async () => {
      const dir = await rec.configDir();
      assertExit(await rec.run(dir, secretLogin("svc-basic", CLIENTS.basic.clientSecret)), 0);
      assertExit(
        await rec.run(dir, secretLogin("svc-post", CLIENTS.post.clientSecret, there)),
        0,
      );
      await rec.readStore(dir);
      // An account of the staging environment, written as a staging login would have.
      await rec.editStore(dir, (doc) => {
        doc.accounts.push({
          name: "svc-staging",
          issuer: STAGING_ISSUER,
          env: "staging",
          baseUrl: "https://login.axwaytest.net",
          realm: "Broker",
          platformUrl: "https://platform.axwaytest.net",
          clientId: "svc-staging",
          authenticator: "ClientSecret",
          tokens: {
            accessToken: "staging-access-token-0000",
            accessExpires: Date.now() + 3600_000,
            refreshExpires: null,
          },
          credentials: { clientSecret: "staging-secret-0000" },
          isPlatform: false,
          needsLogin: false,
        });
        doc.defaults[STAGING_ISSUER] = { account: "svc-staging" };
      });
      await rec.readStore(dir);

      const viaVariable = { AXWAY_BASE_URL: idp.baseUrl };
      assert.deepEqual(names(await list(dir, [], viaVariable)), ["svc-basic"]);
      assert.deepEqual(names(await list(dir, there, viaVariable)), ["svc-post"], "flag wins");
      const staging = await list(dir, ["--env", "staging"], viaVariable);
      assert.deepEqual(names(staging), ["svc-staging"], "--env replaces AXWAY_BASE_URL");
      assert.equal(staging[0].auth.env, "staging");
      assert.deepEqual(names(await list(dir, ["--env", "test"], viaVariable)), ["svc-staging"]);
      assert.deepEqual(names(await list(dir, [], { AXWAY_ENV: "staging" })), ["svc-staging"]);
      assert.deepEqual(names(await list(dir, here, { AXWAY_ENV: "staging" })), ["svc-basic"]);
      assert.deepEqual(await list(dir, [], {}), [], "prod by default");
      assert.deepEqual(await list(dir, ["--env", "production"], viaVariable), []);

      // Each environment has its own default, and commands act on the selected one only.
      assert.equal((await list(dir, here))[0].default, true);
      assert.equal((await list(dir, there))[0].default, true);
      const logout = await rec.run(dir, ["auth", "logout", "--json"], { env: viaVariable });
      assertExit(logout, 0);
      assert.deepEqual(stdoutJson<AccountJson[]>(logout).map((a) => a.name), ["svc-basic"]);
      assert.deepEqual(await list(dir, here), []);
      assert.deepEqual(names(await list(dir, there)), ["svc-post"]);
      assert.deepEqual(names(await list(dir, ["--env", "staging"])), ["svc-staging"]);
    });

    await t.step("usage errors exit 2 with a message saying what to add", async () => {
      const dir = await rec.configDir();
      const cases: [string[], RegExp][] = [
        [["auth", "login", "--client-secret", "x-secret-x", ...here], /--client-id/],
        [["auth", "login", "-c", "x-secret-x", ...here], /--client-id/],
        [["auth", "login", "--secret-file", idp.keyFiles.rsaPkcs8, ...here], /--client-id/],
        [
          [
            "auth",
            "login",
            "--client-id",
            "svc-basic",
            "--client-secret",
            "x-secret-x",
            "--secret-file",
            idp.keyFiles.rsaPkcs8,
            ...here,
          ],
          /not both/,
        ],
        [["auth", "login", "--service", ...here], /--client-secret .*--secret-file/],
        [["auth", "login", "--client-id", "svc-basic", "--service", ...here], /--client-secret/],
        [["auth", "ls", "--bogus"], /unknown option '--bogus'/],
        [["auth", "bogus"], /unknown command 'bogus'/],
        [["bogus"], /unknown command 'bogus'/],
        [["auth", "ls", "--base-url", "http://login.example.com"], /https/],
        [["auth", "login", "--base-url", "http://login.example.com"], /loopback/],
        [["auth", "ls", "--env", "nowhere"], /unknown environment "nowhere"/],
      ];
      for (const [args, message] of cases) {
        const result = await rec.run(dir, args);
        assertExit(result, 2);
        assert.match(result.stderr, /^error: /, `one error line for ${args.join(" ")}`);
        assert.match(result.stderr, message, args.join(" "));
        assert.equal(result.stdout, "", `nothing on stdout for ${args.join(" ")}`);
      }
      const badEnv = await rec.run(dir, ["auth", "ls"], { env: { AXWAY_ENV: "nowhere" } });
      assertExit(badEnv, 2);
      assert.match(badEnv.stderr, /^error: unknown environment "nowhere"/);
      const env = await rec.run(dir, ["auth", "login", ...here], {
        env: { AXWAY_CLIENT_SECRET: "x-secret-x" },
      });
      assertExit(env, 2);
      assert.match(env.stderr, /AXWAY_CLIENT_ID/);
      assert.deepEqual(await list(dir), []);
    });

    await t.step("JSON errors on stdout: USAGE 2, NETWORK_ERROR 1, AUTH_REQUIRED 4", async () => {
      const dir = await rec.configDir();
      const usage = jsonError(
        await rec.run(dir, ["auth", "login", "--client-secret", "x-secret-x", "--json", ...here]),
        2,
      );
      assert.equal(usage.code, "USAGE");
      assert.match(usage.message, /--client-id/);
      assert.equal(
        jsonError(await rec.run(dir, ["auth", "ls", "--json", "--bogus"]), 2).code,
        "USAGE",
      );
      assert.equal(
        jsonError(await rec.run(dir, ["auth", "ls", "--json", "--env", "nowhere"]), 2).code,
        "USAGE",
      );

      const port = closedPort();
      const offline = jsonError(
        await rec.run(dir, [
          ...secretLogin("svc-basic", CLIENTS.basic.clientSecret, [
            "--base-url",
            `http://127.0.0.1:${port}`,
          ]),
          "--json",
        ]),
        1,
      );
      assert.equal(offline.code, "NETWORK_ERROR");
      assert.ok(offline.message.includes(`127.0.0.1:${port}`), offline.message);
      const offlineText = await rec.run(
        dir,
        secretLogin("svc-basic", CLIENTS.basic.clientSecret, [
          "--base-url",
          `http://127.0.0.1:${port}`,
        ]),
      );
      assertExit(offlineText, 1);
      assert.match(offlineText.stderr, /^error: cannot reach http:\/\/127\.0\.0\.1:\d+\//);
      assert.doesNotMatch(offlineText.stderr, /\n\s+at /, "no stack trace");

      // A provider behind a proxy that answers with an HTML error page: URL and status named.
      const proxy = Deno.serve(
        { hostname: "127.0.0.1", port: 0, onListen() {} },
        () =>
          new Response("<h1>Bad gateway</h1>", {
            status: 502,
            headers: { "content-type": "text/html" },
          }),
      );
      try {
        const broken = jsonError(
          await rec.run(dir, [
            ...secretLogin("svc-basic", CLIENTS.basic.clientSecret, [
              "--base-url",
              `http://127.0.0.1:${proxy.addr.port}`,
            ]),
            "--json",
          ]),
          1,
        );
        assert.equal(broken.code, "PROVIDER_ERROR");
        assert.ok(broken.message.includes(`127.0.0.1:${proxy.addr.port}`), broken.message);
        assert.match(broken.message, /HTTP 502/);
      } finally {
        await proxy.shutdown();
      }

      const token = jsonError(await rec.run(dir, ["auth", "token", "--json", ...here]), 4);
      assert.equal(token.code, "AUTH_REQUIRED");
      const tokenText = await rec.run(dir, ["auth", "token", ...here], { printsToken: true });
      assertExit(tokenText, 4);
      assert.equal(tokenText.stdout, "");
      assert.match(tokenText.stderr, /^error: not signed in/);
    });

    await t.step("tampered store: STORE_UNREADABLE, exit 1, file byte-identical", async () => {
      const dir = await rec.configDir();
      assertExit(await rec.run(dir, secretLogin("svc-basic", CLIENTS.basic.clientSecret)), 0);
      await rec.readStore(dir);
      const path = `${dir}/${STORE_FILE_NAME}`;
      const bytes = await fileBytes(path);
      const index = bytes.length - 40; // inside the ciphertext, past the header
      bytes[index] ^= 0x01;
      await Deno.writeFile(path, bytes);
      const tokensBefore = idp.counters.client_credentials;

      const ls = await rec.run(dir, ["auth", "ls", "--json", ...here]);
      const error = jsonError(ls, 1);
      assert.equal(error.code, "STORE_UNREADABLE");
      assert.ok(error.message.includes(path), "the message names the file");
      assert.deepEqual(await fileBytes(path), bytes);

      const text = await rec.run(dir, ["auth", "ls", ...here]);
      assertExit(text, 1);
      assert.match(text.stderr, /^error: .*accounts\.enc/);
      assert.ok(text.stderr.trimEnd().split("\n").length <= 2, "one line and a hint at most");

      for (
        const args of [
          secretLogin("svc-post", CLIENTS.post.clientSecret),
          [...secretLogin("svc-basic", CLIENTS.basic.clientSecret), "--force"],
          ["auth", "logout", "--all", ...here],
          ["auth", "switch", "--account", "svc-basic", ...here],
        ]
      ) {
        const result = await rec.run(dir, [...args, "--json"]);
        assert.equal(jsonError(result, 1).code, "STORE_UNREADABLE", args.join(" "));
        assert.deepEqual(await fileBytes(path), bytes, `file untouched by ${args.join(" ")}`);
      }
      assert.equal(idp.counters.client_credentials, tokensBefore, "no login went ahead");
    });

    await t.step("passphrase store: a wrong AXWAY_AUTH_PASSPHRASE exits 1", async () => {
      const dir = await rec.configDir();
      // "auto" (the default) picks the passphrase when one is set.
      const right = { AXWAY_KEY_STORE: "auto", AXWAY_AUTH_PASSPHRASE: STORE_PASSPHRASE };
      const wrong = { AXWAY_KEY_STORE: "auto", AXWAY_AUTH_PASSPHRASE: WRONG_STORE_PASSPHRASE };
      assertExit(
        await rec.run(dir, secretLogin("svc-basic", CLIENTS.basic.clientSecret), { env: right }),
        0,
      );
      await rec.readStore(dir, { requested: "passphrase", passphrase: STORE_PASSPHRASE });
      const path = `${dir}/${STORE_FILE_NAME}`;
      const bytes = await fileBytes(path);

      const ls = await rec.run(dir, ["auth", "ls", "--json", ...here], { env: wrong });
      const error = jsonError(ls, 1);
      assert.equal(error.code, "STORE_UNREADABLE");
      assert.ok(error.message.includes(path), error.message);
      const login = await rec.run(dir, secretLogin("svc-post", CLIENTS.post.clientSecret), {
        env: wrong,
      });
      assertExit(login, 1);
      assert.match(login.stderr, /^error: /);
      const missing = await rec.run(dir, ["auth", "ls", ...here]);
      assertExit(missing, 1);
      assert.match(missing.stderr, /AXWAY_AUTH_PASSPHRASE/);
      assert.deepEqual(await fileBytes(path), bytes, "the store is never rewritten");
      assert.deepEqual(names(await list(dir, here, right)), ["svc-basic"]);
    });

    await t.step(
      "logout when the provider is down: removed, revoked false, text says so",
      async () => {
        const dir = await rec.configDir();
        const basic = secretLogin("svc-basic", CLIENTS.basic.clientSecret, there);
        assertExit(await rec.run(dir, basic), 0);
        const post = secretLogin("svc-post", CLIENTS.post.clientSecret, there);
        assertExit(await rec.run(dir, post), 0);
        const stored = (await rec.readStore(dir)).accounts;
        assert.equal(stored.length, 2);
        await other.close();

        const text = await rec.run(dir, ["auth", "logout", "svc-post", ...there]);
        assertExit(text, 0);
        assert.match(text.stdout, /Signed out svc-post, but its tokens could not be revoked/);
        assert.match(text.stdout, /connection refused|cannot reach/);
        const json = await rec.run(dir, ["auth", "logout", "svc-basic", "--json", ...there]);
        assertExit(json, 0);
        const out = stdoutJson<AccountJson[]>(json);
        assert.deepEqual(out.map((a) => [a.name, a.revoked]), [["svc-basic", false]]);
        assert.deepEqual(await list(dir, there), []);
      },
    );

    await t.step("no secret in any output or any file under the config dirs", async () => {
      assert.ok(rec.runs.length > 50, `${rec.runs.length} runs recorded`);
      assert.ok(rec.secretCount > 30, `${rec.secretCount} secrets tracked`);
      await rec.assertNoSecrets();
      // The check would see one: `auth token`'s output is the only exemption.
      const exempt = rec.runs.filter((run) => run.printsToken && run.result.code === 0);
      assert.equal(exempt.length, 1);
      assert.ok(exempt[0].result.stdout.trim().length >= 20);
    });
  } finally {
    await Promise.all([idp.close(), other.close()]);
    await rec.cleanup();
  }
});
