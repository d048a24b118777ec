/**
 * Issue 4 §5: token renewal across processes, `auth token`, `auth whoami`, and `auth ls` staying
 * offline — against the bundled provider with short-lived tokens. Where waiting for a wall clock
 * would make a test slow or flaky, the stored expiry is moved through the store module instead.
 */

import assert from "node:assert/strict";
import { ACCOUNT_LOCKS_DIR } from "../../src/store/account_store.ts";
import { runCli } from "../support/cli.ts";
import { CLIENTS, ORGS, startIdp, type TestIdp, USERS } from "../support/idp.ts";
import {
  browserLogin,
  editAccount,
  expireAccessToken,
  idpEnv,
  openStore,
  personName,
  secretLogin,
  storedAccount,
  tempConfigDir,
} from "../support/accounts_helpers.ts";

const ALICE = personName(USERS.alice);
const BOB = personName(USERS.bob);
const NO_SANITIZERS = { sanitizeOps: false, sanitizeResources: false } as const;

/** Counter changes while `fn` runs. */
async function countDuring(idp: TestIdp, fn: () => Promise<void>) {
  const before = { ...idp.counters };
  const platformBefore = idp.platformRequests;
  await fn();
  return {
    refresh: idp.counters.refresh_token - before.refresh_token,
    clientCredentials: idp.counters.client_credentials - before.client_credentials,
    authorizationCode: idp.counters.authorization_code - before.authorization_code,
    any: Object.entries(idp.counters).reduce(
      (sum, [key, value]) => sum + value - before[key as keyof typeof before],
      0,
    ),
    platform: idp.platformRequests - platformBefore,
  };
}

/** Revokes a token at the provider's revocation endpoint (RFC 7009) as the CLI's public client. */
async function revoke(idp: TestIdp, token: string, hint: string): Promise<void> {
  const response = await fetch(idp.endpoints.revocation, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      client_id: CLIENTS.cli.clientId,
      token,
      token_type_hint: hint,
    }),
  });
  await response.body?.cancel();
  assert.equal(response.status, 200);
}

/**
 * Waits until `count` processes are blocked on the (only) account lock file of `configDir`, as
 * Linux shows in /proc/locks; elsewhere it waits a few seconds. Gives up when `done` settles
 * (the processes exited early) or after 30 s: the assertions that follow tell what went wrong.
 */
async function lockWaiters(configDir: string, count: number, done: Promise<unknown>) {
  let finished = false;
  done.then(() => finished = true);
  const dir = `${configDir}/${ACCOUNT_LOCKS_DIR}`;
  const [lock] = await Array.fromAsync(Deno.readDir(dir));
  const inode = (await Deno.stat(`${dir}/${lock.name}`)).ino;
  const deadline = Date.now() + 30_000;
  while (!finished && Date.now() < deadline) {
    let table: string;
    try {
      table = await Deno.readTextFile("/proc/locks");
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 3000));
      return;
    }
    const waiting = table.split("\n").filter((line) =>
      line.includes("->") && line.includes(`:${inode} `)
    );
    if (waiting.length >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The arguments after `axway auth login` in the command an error's hint line names. */
function loginArgs(stderr: string): string[] {
  const match = stderr.match(/^run: axway auth login (.*)$/m);
  assert.ok(match, `a hint naming the login command: ${stderr}`);
  return match[1].split(" ");
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`not JSON: ${text}`);
  }
}

/** Asserts the one-line "must sign in again" failure of `name`, with the command to run. */
function assertSignInAgain(stderr: string, name: string, idp: TestIdp, extra = ""): void {
  const lines = stderr.trimEnd().split("\n");
  assert.ok(lines.length <= 2, `error line and at most a hint line: ${stderr}`);
  assert.match(lines[0], new RegExp(`^error: account ${name} must sign in again`));
  assert.ok(
    stderr.includes(`axway auth login --base-url ${idp.baseUrl}${extra}`),
    `names the login command: ${stderr}`,
  );
}

async function listJson(dir: string, env: Record<string, string>) {
  const result = await runCli(dir, ["auth", "ls", "--json"], { env });
  assert.equal(result.code, 0, result.stderr);
  return parseJson(result.stdout) as {
    name: string;
    needsLogin: boolean;
    default: boolean;
    auth: { authenticator: string; expires: { access: number; refresh: number | null } };
  }[];
}

/** The SIGN-IN NEEDED cell of `name` in the `auth ls` table. */
async function signInNeededCell(dir: string, env: Record<string, string>, name: string) {
  const result = await runCli(dir, ["auth", "ls"], { env });
  assert.equal(result.code, 0, result.stderr);
  const row = result.stdout.split("\n").find((line) => line.includes(name));
  assert.ok(row, `ls lists ${name}: ${result.stdout}`);
  return row.trim().split(/\s{2,}/).at(-1);
}

Deno.test({
  name: "token renewal, auth token and auth whoami",
  ...NO_SANITIZERS,
  async fn(t) {
    // Tokens live 30 s: fresh for the tests below with a 5 s skew, renewed with a 45 s skew.
    const idp = await startIdp({ ttl: { accessToken: 30, clientCredentials: 30 } });
    const env = idpEnv(idp, { AXWAY_REFRESH_SKEW: "5" });
    const step = (name: string, fn: () => Promise<void>) => t.step({ name, ...NO_SANITIZERS, fn });
    try {
      await step("browser account: an expired token is renewed with one refresh", async () => {
        await using dir = await tempConfigDir();
        await browserLogin(dir.path, env, USERS.alice);
        const before = await storedAccount(dir.path, ALICE);
        await expireAccessToken(dir.path, ALICE);
        let result!: Awaited<ReturnType<typeof runCli>>;
        const counted = await countDuring(idp, async () => {
          result = await runCli(dir.path, ["auth", "token"], { env });
        });
        assert.equal(result.code, 0, result.stderr);
        assert.equal(result.stderr, "");
        assert.equal(counted.refresh, 1);
        assert.equal(counted.any, 1);
        const after = await storedAccount(dir.path, ALICE);
        assert.equal(result.stdout, `${after.tokens.accessToken}\n`, "the token and nothing else");
        assert.notEqual(after.tokens.accessToken, before.tokens.accessToken);
        assert.notEqual(after.tokens.refreshToken, before.tokens.refreshToken, "rotated");
        assert.ok(after.tokens.accessExpires > Date.now() + 20_000);
        assert.equal(after.needsLogin, false);
        assert.equal((await idp.introspect(after.tokens.accessToken)).active, true);

        // Fresh now: the next command uses it without asking the provider.
        const again = await countDuring(idp, async () => {
          result = await runCli(dir.path, ["auth", "token"], { env });
        });
        assert.equal(result.stdout, `${after.tokens.accessToken}\n`);
        assert.equal(again.any, 0);
      });

      await step("service account: renewal is a new client_credentials grant", async () => {
        await using dir = await tempConfigDir();
        await secretLogin(dir.path, env, CLIENTS.basic.clientId, CLIENTS.basic.clientSecret);
        const before = await storedAccount(dir.path, CLIENTS.basic.clientId);
        await expireAccessToken(dir.path, CLIENTS.basic.clientId);
        let result!: Awaited<ReturnType<typeof runCli>>;
        const counted = await countDuring(idp, async () => {
          result = await runCli(dir.path, ["auth", "token", "--account", CLIENTS.basic.clientId], {
            env,
          });
        });
        assert.equal(result.code, 0, result.stderr);
        assert.deepEqual([counted.clientCredentials, counted.any], [1, 1]);
        const after = await storedAccount(dir.path, CLIENTS.basic.clientId);
        assert.equal(result.stdout, `${after.tokens.accessToken}\n`);
        assert.notEqual(after.tokens.accessToken, before.tokens.accessToken);
        assert.equal((await idp.introspect(after.tokens.accessToken)).active, true);
      });

      await step("key-file service account: each renewal signs a new assertion", async () => {
        await using dir = await tempConfigDir();
        const id = CLIENTS.rs256.clientId;
        const login = await runCli(
          dir.path,
          ["auth", "login", "--client-id", id, "--secret-file", idp.keyFiles.rsaPkcs8],
          { env },
        );
        assert.equal(login.code, 0, login.stderr);
        const seen = new Set([(await storedAccount(dir.path, id)).tokens.accessToken]);
        // Twice: a replayed assertion (same jti) would be refused by the provider.
        for (let i = 0; i < 2; i++) {
          await expireAccessToken(dir.path, id);
          let result!: Awaited<ReturnType<typeof runCli>>;
          const counted = await countDuring(idp, async () => {
            result = await runCli(dir.path, ["auth", "token"], { env });
          });
          assert.equal(result.code, 0, result.stderr);
          assert.deepEqual([counted.clientCredentials, counted.any], [1, 1]);
          const token = result.stdout.trim();
          assert.equal(token, (await storedAccount(dir.path, id)).tokens.accessToken);
          assert.ok(!seen.has(token), "a new token");
          seen.add(token);
        }
      });

      await step("renewal inside the skew margin (AXWAY_REFRESH_SKEW)", async () => {
        await using dir = await tempConfigDir();
        await browserLogin(dir.path, env, USERS.alice);
        const stored = await storedAccount(dir.path, ALICE);
        // The 30 s token is outside a 5 s margin: used as it is.
        let result!: Awaited<ReturnType<typeof runCli>>;
        const outside = await countDuring(idp, async () => {
          result = await runCli(dir.path, ["auth", "token"], {
            env: { ...env, AXWAY_REFRESH_SKEW: "5" },
          });
        });
        assert.equal(result.code, 0, result.stderr);
        assert.equal(result.stdout, `${stored.tokens.accessToken}\n`);
        assert.equal(outside.any, 0);
        // ... and inside a 45 s margin: renewed although it has not expired yet.
        const inside = await countDuring(idp, async () => {
          result = await runCli(dir.path, ["auth", "token"], {
            env: { ...env, AXWAY_REFRESH_SKEW: "45" },
          });
        });
        assert.equal(result.code, 0, result.stderr);
        assert.equal(inside.refresh, 1);
        const after = await storedAccount(dir.path, ALICE);
        assert.notEqual(after.tokens.accessToken, stored.tokens.accessToken);
        assert.equal(result.stdout, `${after.tokens.accessToken}\n`);
      });

      await step("12 processes at once on one expired account: one refresh request", async () => {
        await using dir = await tempConfigDir();
        await browserLogin(dir.path, env, USERS.alice);
        const before = await storedAccount(dir.path, ALICE);
        await expireAccessToken(dir.path, ALICE);
        // Started together, a renewal takes a few milliseconds: the processes could finish one
        // after the other without ever racing. Holding the account's renewal lock until all 12
        // have read the expired token and queue for the lock makes them race for sure.
        let running: Promise<Awaited<ReturnType<typeof runCli>>>[] = [];
        let results: Awaited<ReturnType<typeof runCli>>[] = [];
        const counted = await countDuring(idp, async () => {
          await openStore(dir.path).withAccountLock(before.issuer, ALICE, async () => {
            running = Array.from(
              { length: 12 },
              () => runCli(dir.path, ["auth", "token"], { env }),
            );
            await lockWaiters(dir.path, 12, Promise.allSettled(running));
          });
          results = await Promise.all(running);
        });
        for (const result of results) assert.equal(result.code, 0, result.stderr);
        assert.equal(counted.refresh, 1, "exactly one refresh_token request");
        assert.equal(counted.any, 1);
        const tokens = new Set(results.map((result) => result.stdout));
        assert.equal(tokens.size, 1, "every process printed the same token");
        const after = await storedAccount(dir.path, ALICE);
        assert.equal([...tokens][0], `${after.tokens.accessToken}\n`);
        assert.notEqual(after.tokens.accessToken, before.tokens.accessToken);
        assert.equal((await idp.introspect(after.tokens.accessToken)).active, true);
        // No replay happened: the rotated refresh token still works.
        await expireAccessToken(dir.path, ALICE);
        const next = await runCli(dir.path, ["auth", "token"], { env });
        assert.equal(next.code, 0, next.stderr);
        assert.notEqual(next.stdout, `${after.tokens.accessToken}\n`);
      });

      await step("revoked refresh token: exit 4, account kept and marked", async () => {
        await using dir = await tempConfigDir();
        await browserLogin(dir.path, env, USERS.alice);
        await browserLogin(dir.path, env, USERS.bob, ["--force"]); // another person, signed in
        const stored = await storedAccount(dir.path, ALICE);
        await revoke(idp, stored.tokens.refreshToken!, "refresh_token");
        await expireAccessToken(dir.path, ALICE);
        const token = ["auth", "token", "--account", ALICE];
        let result!: Awaited<ReturnType<typeof runCli>>;
        const counted = await countDuring(idp, async () => {
          result = await runCli(dir.path, token, { env });
        });
        assert.equal(result.code, 4, result.stderr);
        assert.equal(result.stdout, "");
        assert.equal(counted.refresh, 1);
        assertSignInAgain(result.stderr, ALICE, idp, ` --platform-url ${idp.platformUrl}`);
        const command = loginArgs(result.stderr);
        const listed = await listJson(dir.path, env);
        assert.deepEqual(listed.map((a) => [a.name, a.needsLogin]), [[ALICE, true], [BOB, false]]);
        assert.equal(await signInNeededCell(dir.path, env, ALICE), "now");

        // Marked: later commands fail the same way without asking the provider again.
        const whoami = await countDuring(idp, async () => {
          result = await runCli(dir.path, ["auth", "whoami", ALICE], { env });
        });
        assert.equal(result.code, 4);
        assertSignInAgain(result.stderr, ALICE, idp);
        assert.equal(whoami.any, 0);
        result = await runCli(dir.path, [...token, "--json"], { env });
        assert.equal(result.code, 4);
        const error = parseJson(result.stdout) as { error: { code: string; message: string } };
        assert.equal(error.error.code, "AUTH_REQUIRED");
        assert.match(error.error.message, new RegExp(ALICE));
        // The other account is not affected.
        result = await runCli(dir.path, ["auth", "token", "--account", BOB], { env });
        assert.equal(result.code, 0, result.stderr);

        // The command the error names signs the account in again, which clears the mark.
        await browserLogin(dir.path, env, USERS.alice, command);
        const relisted = await listJson(dir.path, env);
        assert.deepEqual(relisted.map((a) => [a.name, a.needsLogin]), [
          [ALICE, false],
          [BOB, false],
        ]);
        assert.notEqual(await signInNeededCell(dir.path, env, ALICE), "now");
        result = await runCli(dir.path, token, { env });
        assert.equal(result.code, 0, result.stderr);
      });

      await step("service account whose secret is rejected: exit 4, marked", async () => {
        await using dir = await tempConfigDir();
        const id = CLIENTS.basic.clientId;
        await secretLogin(dir.path, env, id, CLIENTS.basic.clientSecret);
        await editAccount(dir.path, id, (account) => {
          account.credentials = { clientSecret: "a-rotated-away-secret" };
          account.tokens.accessExpires = Date.now() - 1000;
        });
        let result = await runCli(dir.path, ["auth", "token"], { env });
        assert.equal(result.code, 4, result.stderr);
        assertSignInAgain(result.stderr, id, idp);
        assert.ok(result.stderr.includes(`--client-id ${id} --client-secret -`), result.stderr);
        assert.ok(!result.stderr.includes("a-rotated-away-secret"), "the secret is not shown");
        assert.equal((await listJson(dir.path, env))[0].needsLogin, true);
        // The command it names, with the right secret on stdin, clears the mark.
        result = await runCli(dir.path, ["auth", "login", ...loginArgs(result.stderr)], {
          env,
          stdin: CLIENTS.basic.clientSecret,
        });
        assert.equal(result.code, 0, result.stderr);
        assert.equal((await listJson(dir.path, env))[0].needsLogin, false);
        // `logout` removes a marked account as usual.
        await editAccount(dir.path, id, (account) => {
          account.needsLogin = true;
        });
        result = await runCli(dir.path, ["auth", "logout", id], { env });
        assert.equal(result.code, 0, result.stderr);
        assert.deepEqual(await listJson(dir.path, env), []);
      });

      await step(
        "auth token prints the token only; --json has account, token, expiry",
        async () => {
          await using dir = await tempConfigDir();
          await browserLogin(dir.path, env, USERS.alice);
          await secretLogin(dir.path, env, CLIENTS.basic.clientId, CLIENTS.basic.clientSecret);
          const alice = await storedAccount(dir.path, ALICE);
          const service = await storedAccount(dir.path, CLIENTS.basic.clientId);

          let result = await runCli(dir.path, ["auth", "token"], { env });
          assert.equal(result.code, 0, result.stderr);
          assert.equal(result.stdout, `${alice.tokens.accessToken}\n`, "one line: the token");
          assert.equal(result.stderr, "");

          result = await runCli(dir.path, ["auth", "token", "--json"], { env });
          assert.equal(result.code, 0, result.stderr);
          assert.deepEqual(parseJson(result.stdout), {
            account: ALICE,
            accessToken: alice.tokens.accessToken,
            expiresAt: alice.tokens.accessExpires,
          });

          result = await runCli(dir.path, [
            "auth",
            "token",
            "--account",
            CLIENTS.basic.clientId,
            "--json",
          ], { env });
          assert.equal(result.code, 0, result.stderr);
          assert.deepEqual(parseJson(result.stdout), {
            account: CLIENTS.basic.clientId,
            accessToken: service.tokens.accessToken,
            expiresAt: service.tokens.accessExpires,
          });

          result = await runCli(dir.path, ["auth", "token", "--account", "nobody"], { env });
          assert.equal(result.code, 1);
          assert.equal(result.stdout, "");
          assert.match(result.stderr, /nobody/);
        },
      );

      await step("auth token without an account: exit 4 saying how to sign in", async () => {
        await using dir = await tempConfigDir();
        let result = await runCli(dir.path, ["auth", "token"], { env });
        assert.equal(result.code, 4);
        assert.equal(result.stdout, "");
        assert.match(result.stderr, /axway auth login/);
        result = await runCli(dir.path, ["auth", "token", "--json"], { env });
        assert.equal(result.code, 4);
        const body = parseJson(result.stdout) as { error: { code: string } };
        assert.equal(body.error.code, "AUTH_REQUIRED");
      });

      await step("auth whoami: text and JSON, renewing when needed", async () => {
        await using dir = await tempConfigDir();
        let result = await runCli(dir.path, ["auth", "whoami"], { env });
        assert.equal(result.code, 4);
        assert.match(result.stderr, /You are not logged in\./);
        result = await runCli(dir.path, ["auth", "whoami", "--json"], { env });
        assert.equal(result.code, 4);
        assert.deepEqual(parseJson(result.stdout), []);

        await browserLogin(dir.path, env, USERS.alice);
        await secretLogin(dir.path, env, CLIENTS.basic.clientId, CLIENTS.basic.clientSecret);
        await expireAccessToken(dir.path, ALICE);
        const counted = await countDuring(idp, async () => {
          result = await runCli(dir.path, ["auth", "whoami"], { env });
        });
        assert.equal(result.code, 0, result.stderr);
        assert.equal(counted.refresh, 1, "renewed the expired token");
        const alice = await storedAccount(dir.path, ALICE);
        assert.ok(alice.tokens.accessExpires > Date.now());
        assert.match(result.stdout, /You are signed in as Alice Anders <alice@example\.com>\./);
        assert.match(result.stdout, new RegExp(`Account: +${ALICE} \\(default\\)`));
        assert.match(result.stdout, /Type: +Platform/);
        assert.match(
          result.stdout,
          new RegExp(`Organization: +${ORGS.acme.name} \\(id ${ORGS.acme.org_id}`),
        );
        assert.match(result.stdout, /Access token: +expires \S/);
        assert.ok(!result.stdout.includes(alice.tokens.accessToken), "no token in the output");

        result = await runCli(dir.path, ["auth", "whoami", "--json"], { env });
        assert.equal(result.code, 0, result.stderr);
        const [me, ...rest] = parseJson(result.stdout) as Record<string, unknown>[];
        assert.equal(rest.length, 0);
        assert.equal(me.name, ALICE);
        assert.equal(me.default, true);
        assert.equal(me.needsLogin, false);
        assert.deepEqual(me.org, {
          guid: ORGS.acme.guid,
          id: ORGS.acme.org_id,
          name: ORGS.acme.name,
        });
        assert.equal((me.user as { email: string }).email, USERS.alice.email);
        assert.ok(!result.stdout.includes(alice.tokens.accessToken), "no token in the JSON");

        result = await runCli(dir.path, ["auth", "whoami", CLIENTS.basic.clientId], { env });
        assert.equal(result.code, 0, result.stderr);
        assert.match(result.stdout, new RegExp(`Account: +${CLIENTS.basic.clientId}\\n`));
        assert.match(result.stdout, /Type: +Service/);
        // A named account that does not exist is "not found" (exit 1), like `auth token --account`.
        result = await runCli(dir.path, ["auth", "whoami", "--json", "nobody"], { env });
        assert.equal(result.code, 1);
        assert.deepEqual(parseJson(result.stdout), []);
        result = await runCli(dir.path, ["auth", "whoami", "nobody"], { env });
        assert.equal(result.code, 1);
        assert.match(result.stderr, /^error: no account named "nobody"/);
      });

      await step("auth ls makes no network request, even with expired tokens", async () => {
        await using dir = await tempConfigDir();
        await browserLogin(dir.path, env, USERS.alice);
        await secretLogin(dir.path, env, CLIENTS.basic.clientId, CLIENTS.basic.clientSecret);
        await expireAccessToken(dir.path, ALICE);
        await expireAccessToken(dir.path, CLIENTS.basic.clientId);
        const bytes = await Deno.readFile(openStore(dir.path).path);
        let text!: Awaited<ReturnType<typeof runCli>>;
        let json!: Awaited<ReturnType<typeof runCli>>;
        const counted = await countDuring(idp, async () => {
          text = await runCli(dir.path, ["auth", "ls"], { env });
          json = await runCli(dir.path, ["auth", "ls", "--json"], { env });
        });
        assert.equal(text.code, 0, text.stderr);
        assert.equal(json.code, 0, json.stderr);
        assert.deepEqual(counted, {
          refresh: 0,
          clientCredentials: 0,
          authorizationCode: 0,
          any: 0,
          platform: 0,
        });
        assert.ok(text.stdout.includes(ALICE) && text.stdout.includes(CLIENTS.basic.clientId));
        const names = (parseJson(json.stdout) as { name: string }[]).map((a) => a.name);
        assert.deepEqual(names, [ALICE, CLIENTS.basic.clientId]);
        assert.deepEqual(await Deno.readFile(openStore(dir.path).path), bytes, "not renewed");
      });
    } finally {
      await idp.close();
    }
  },
});

Deno.test({
  name: "renewal when the refresh token has expired (short-lived provider)",
  ...NO_SANITIZERS,
  async fn() {
    // Access tokens live 1 s and refresh tokens 3 s: the sign-in really lapses at the provider.
    const idp = await startIdp({ ttl: { accessToken: 1, refreshToken: 3 } });
    const env = idpEnv(idp, { AXWAY_REFRESH_SKEW: "0" });
    try {
      await using known = await tempConfigDir(); // the store knows the refresh expiry
      await using unknown = await tempConfigDir(); // it does not: the provider refuses
      await Promise.all([
        browserLogin(known.path, env, USERS.alice),
        browserLogin(unknown.path, env, USERS.alice),
      ]);
      const expiries = await Promise.all(
        [known.path, unknown.path].map(async (dir) =>
          (await storedAccount(dir, ALICE)).tokens.refreshExpires
        ),
      );
      assert.ok(expiries.every((expiry) => expiry !== null && expiry - Date.now() < 3_500));
      await editAccount(unknown.path, ALICE, (account) => {
        account.tokens.refreshExpires = null;
      });
      const lapsed = Math.max(...expiries as number[]) + 700;
      await new Promise((resolve) => setTimeout(resolve, lapsed - Date.now()));

      for (const [dir, requests] of [[known.path, 0], [unknown.path, 1]] as const) {
        let result!: Awaited<ReturnType<typeof runCli>>;
        const before = idp.counters.refresh_token;
        result = await runCli(dir, ["auth", "token"], { env });
        assert.equal(result.code, 4, result.stderr);
        assert.equal(result.stdout, "");
        assert.equal(idp.counters.refresh_token - before, requests);
        assertSignInAgain(result.stderr, ALICE, idp);
        const [listed] = await listJson(dir, env);
        assert.equal(listed.name, ALICE, "the account is kept");
        assert.equal(listed.needsLogin, true);
        assert.equal(await signInNeededCell(dir, env, ALICE), "now");
        result = await runCli(dir, ["auth", "whoami", "--json"], { env });
        assert.equal(result.code, 4);
      }

      // Signing in again clears the mark.
      await browserLogin(known.path, env, USERS.alice);
      const [listed] = await listJson(known.path, env);
      assert.equal(listed.needsLogin, false);
    } finally {
      await idp.close();
    }
  },
});

Deno.test({
  name: "provider down during renewal: exit 1 naming the URL, store unchanged; ls still works",
  ...NO_SANITIZERS,
  async fn() {
    const idp = await startIdp();
    const env = idpEnv(idp);
    await using dir = await tempConfigDir();
    try {
      await browserLogin(dir.path, env, USERS.alice);
      await expireAccessToken(dir.path, ALICE);
    } finally {
      await idp.close();
    }
    const path = openStore(dir.path).path;
    const bytes = await Deno.readFile(path);

    let result = await runCli(dir.path, ["auth", "token"], { env });
    assert.equal(result.code, 1, result.stderr);
    assert.equal(result.stdout, "");
    assert.ok(result.stderr.includes(idp.issuer), `names the URL: ${result.stderr}`);
    assert.deepEqual(await Deno.readFile(path), bytes, "store byte-identical");

    result = await runCli(dir.path, ["auth", "whoami", "--json"], { env });
    assert.equal(result.code, 1);
    const error = parseJson(result.stdout) as { error: { code: string; message: string } };
    assert.equal(error.error.code, "NETWORK_ERROR");
    assert.ok(error.error.message.includes(idp.issuer));
    assert.deepEqual(await Deno.readFile(path), bytes, "store byte-identical");

    result = await runCli(dir.path, ["auth", "ls"], { env });
    assert.equal(result.code, 0, result.stderr);
    assert.ok(result.stdout.includes(ALICE));
    assert.equal((await listJson(dir.path, env))[0].needsLogin, false);
  },
});
