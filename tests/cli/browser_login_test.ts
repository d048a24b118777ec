/**
 * Integration tests of the browser sign-in and `auth switch` (issue 3 §5): the CLI runs as a
 * subprocess against the bundled OpenID provider and platform stand-in; a fetch-based browser
 * (and once, a real headless Chromium) completes the provider's login form.
 *
 * @module
 */

import assert from "node:assert/strict";
import { BrowserDriver } from "../support/driver.ts";
import { CLIENTS, ORGS, PASSWORD, startIdp, type TestUser, USERS } from "../support/idp.ts";
import { assertExit, type CliRunOptions, stdoutJson } from "../support/cli.ts";
import { AUTHORIZATION_URL, type RunningCli } from "../support/login_flow.ts";
import { CliRecorder } from "../support/recorder.ts";
import type { AccountJson } from "../../src/cli/accounts.ts";

const CHROMIUM = "/usr/bin/chromium";
const ORG_SELECT_URL = /https?:\/\/\S+\/auth\/org\.select\?\S+/;
const ALICE = "amplify-cli:alice@example.com";
const BOB = "amplify-cli:bob@example.com";

interface OrgJson {
  guid: string;
  id: string;
  name: string;
  default?: boolean;
}

function orgOf(org: { guid: string; org_id: string; name: string }): OrgJson {
  return { guid: org.guid, id: org.org_id, name: org.name };
}

function hasIpv6Loopback(): boolean {
  try {
    Deno.listen({ hostname: "::1", port: 0 }).close();
    return true;
  } catch {
    return false;
  }
}

function hasChromium(): boolean {
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    return false;
  }
}

async function waitForFile(path: string, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const text = await Deno.readTextFile(path);
      if (text.endsWith("\n")) return text;
    } catch {
      // not written yet
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`${path} was not written within ${timeoutMs} ms`);
}

/** Kills a CLI still running after a failed step, so no process outlives the test. */
async function stop(cli: RunningCli): Promise<void> {
  cli.kill("SIGKILL");
  await cli.finish().catch(() => {});
}

const chromiumMissing = !hasChromium();
if (chromiumMissing) {
  console.log(`skipping the headless Chromium sign-in: ${CHROMIUM} is not installed`);
}

Deno.test({
  name: "browser sign-in, platform accounts and auth switch",
  sanitizeOps: false,
  sanitizeResources: false,
}, async (t) => {
  const idp = await startIdp({ device: false });
  const rec = new CliRecorder();
  rec.secret("svc-basic client secret", CLIENTS.basic.clientSecret);
  const base = ["--base-url", idp.baseUrl, "--platform-url", idp.platformUrl];
  const ipv6 = hasIpv6Loopback();

  const list = async (dir: string) => {
    const result = await rec.run(dir, ["auth", "ls", "--json", ...base]);
    assertExit(result, 0);
    return stdoutJson<AccountJson[]>(result);
  };
  const account = async (dir: string, name: string) => {
    const found = (await list(dir)).find((a) => a.name === name);
    assert.ok(found, `no account ${name}`);
    return found;
  };

  /** Runs `auth login` and completes the provider's form in `browser` as `user`. */
  const browserLogin = async (
    dir: string,
    browser: BrowserDriver,
    user: TestUser,
    args: string[] = [],
    options: CliRunOptions = {},
  ) => {
    const cli = rec.start(dir, ["auth", "login", "--no-launch-browser", ...args, ...base], options);
    try {
      const [url] = await cli.waitFor(AUTHORIZATION_URL);
      const { response } = await browser.completeBrowserLogin(url, { user });
      const result = await cli.finish();
      await rec.readStore(dir);
      return { url: new URL(url), page: response, result };
    } catch (error) {
      await stop(cli);
      throw error;
    }
  };

  /** Runs `auth switch` and visits the platform's org.select URL it prints in `browser`. */
  const switchWithBrowser = async (dir: string, browser: BrowserDriver, args: string[]) => {
    const cli = rec.start(dir, ["auth", "switch", "--no-launch-browser", ...args, ...base]);
    try {
      const [url] = await cli.waitFor(ORG_SELECT_URL);
      const page = await browser.visit(url);
      const result = await cli.finish();
      await rec.readStore(dir);
      return { url: new URL(url), page, result };
    } catch (error) {
      await stop(cli);
      throw error;
    }
  };

  // Alice's browser: the platform finds the user of an org switch by the provider's session
  // cookie, so her switches must go through the browser she signed in with.
  const aliceBrowser = new BrowserDriver();
  const bobBrowser = new BrowserDriver();
  const main = await rec.configDir();

  try {
    await t.step("--no-launch-browser: URL printed, driven to a platform account", async () => {
      const before = idp.counters.authorization_code;
      const { url, page, result } = await browserLogin(main, aliceBrowser, USERS.alice);
      assertExit(result, 0);
      assert.equal(idp.counters.authorization_code, before + 1);

      // The request: PKCE S256, state, nonce, the CLI's scopes, a loopback redirect URI.
      assert.equal(url.origin + url.pathname, idp.endpoints.authorization);
      const params = url.searchParams;
      assert.equal(params.get("client_id"), CLIENTS.cli.clientId);
      assert.equal(params.get("response_type"), "code");
      assert.equal(params.get("scope"), "openid email profile");
      assert.equal(params.get("code_challenge_method"), "S256");
      assert.match(params.get("code_challenge") ?? "", /^[\w-]{43}$/);
      assert.ok((params.get("state") ?? "").length >= 16, "state");
      assert.ok((params.get("nonce") ?? "").length >= 16, "nonce");
      assert.equal(params.get("prompt"), null, "no prompt=login without --force");
      assert.match(params.get("redirect_uri") ?? "", /^http:\/\/localhost:\d+\/callback\/[\w-]+$/);

      assert.equal(page.status, 200);
      assert.match(page.body, /Signed in/);
      assert.match(result.stdout, /Open this URL in a browser to sign in:/);
      assert.ok(result.stdout.includes(url.href), "the URL is printed");
      assert.match(
        result.stdout,
        /Signed in as alice@example\.com in organization Acme \(100001\)\./,
      );
      assert.match(result.stdout, /Account name: amplify-cli:alice@example\.com/);
      assert.match(result.stdout, /It is the default account\./);
      assert.equal(result.stderr, "");

      const [alice, ...others] = await list(main);
      assert.equal(others.length, 0);
      assert.deepEqual(Object.keys(alice).sort(), [
        "auth",
        "default",
        "isPlatform",
        "name",
        "needsLogin",
        "org",
        "orgs",
        "user",
      ]);
      assert.equal(alice.name, ALICE);
      assert.equal(alice.default, true);
      assert.equal(alice.isPlatform, true);
      assert.equal(alice.needsLogin, false);
      assert.equal(alice.auth.authenticator, "PKCE");
      assert.equal(alice.auth.clientId, "amplify-cli");
      assert.equal(alice.auth.baseUrl, idp.baseUrl);
      assert.equal(alice.auth.env, "custom");
      assert.ok(alice.auth.expires.access > Date.now());
      assert.ok((alice.auth.expires.refresh ?? 0) > Date.now() + 13 * 86400_000, "refresh expiry");
      assert.deepEqual(alice.user, {
        guid: USERS.alice.sub,
        email: "alice@example.com",
        firstName: "Alice",
        lastName: "Anders",
      });
      assert.deepEqual(alice.org, orgOf(ORGS.acme));
      assert.deepEqual(alice.orgs, [
        { ...orgOf(ORGS.acme), default: true },
        { ...orgOf(ORGS.beta), default: false },
      ]);

      const text = await rec.run(main, ["auth", "ls", ...base]);
      assertExit(text, 0);
      assert.match(
        text.stdout,
        /^\* amplify-cli:alice@example\.com\s+Platform\s+Acme \(100001\)\s+in 1[34]d$/m,
      );
    });

    await t.step("signed in already: exit 0, says who, no browser round trip", async () => {
      const before = idp.counters.authorization_code;
      const result = await rec.run(main, ["auth", "login", "--no-launch-browser", ...base], {
        signal: AbortSignal.timeout(15_000),
      });
      assertExit(result, 0);
      assert.match(result.stdout, /Already signed in as amplify-cli:alice@example\.com\./);
      assert.match(result.stdout, /axway auth login --force/);
      assert.doesNotMatch(result.stdout + result.stderr, AUTHORIZATION_URL);
      const json = await rec.run(main, ["auth", "login", "--json", ...base], {
        signal: AbortSignal.timeout(15_000),
      });
      assertExit(json, 0);
      assert.equal(stdoutJson<AccountJson>(json).name, ALICE);
      assert.equal(json.stderr, "");
      assert.equal(idp.counters.authorization_code, before);
    });

    await t.step("--force: a second person signs in next to the first", async () => {
      const { url, result } = await browserLogin(main, bobBrowser, USERS.bob, ["--force"]);
      assertExit(result, 0);
      assert.equal(url.searchParams.get("prompt"), "login");
      assert.match(
        result.stdout,
        /Signed in as bob@example\.com in organization Acme \(100001\)\./,
      );
      assert.match(
        result.stdout,
        /To make it the default account, run: axway auth switch --account amplify-cli:bob@example\.com/,
      );
      const accounts = await list(main);
      assert.deepEqual(accounts.map((a) => [a.name, a.default, a.isPlatform]), [
        [ALICE, true, true],
        [BOB, false, true],
      ]);
      assert.deepEqual(accounts[1].orgs, [{ ...orgOf(ORGS.acme), default: true }]);
    });

    await t.step(
      "switch without a terminal: exit 2 naming --account; --json never prompts",
      async () => {
        const text = await rec.run(main, ["auth", "switch", ...base], {
          signal: AbortSignal.timeout(15_000),
        });
        assertExit(text, 2);
        assert.match(text.stderr, /^error: --account <name> is required/);
        const json = await rec.run(main, ["auth", "switch", "--json", ...base], {
          signal: AbortSignal.timeout(15_000),
        });
        assertExit(json, 2);
        const body = stdoutJson<{ error: { code: string; message: string } }>(json);
        assert.equal(body.error.code, "USAGE");
        assert.match(body.error.message, /--account/);
      },
    );

    await t.step("switch --org to an unknown org: exit 1 listing the orgs", async () => {
      const result = await rec.run(main, ["auth", "switch", "--org", "Nowhere Inc", ...base]);
      assertExit(result, 1);
      assert.match(result.stderr, /^error: .*"Nowhere Inc"/);
      assert.match(result.stderr, /Acme \(100001\)/);
      assert.match(result.stderr, /Beta Corp \(100002\)/);
      const json = await rec.run(main, [
        "auth",
        "switch",
        "--org",
        "Nowhere Inc",
        "--json",
        ...base,
      ]);
      assertExit(json, 1);
      assert.equal(stdoutJson<{ error: { code: string } }>(json).error.code, "NOT_FOUND");
    });

    await t.step("switch --org to the current org: no round trip", async () => {
      idp.resetCounters();
      const result = await rec.run(main, ["auth", "switch", "--org", "ACME", ...base], {
        signal: AbortSignal.timeout(15_000),
      });
      assertExit(result, 0);
      assert.match(
        result.stdout,
        /Default account set to amplify-cli:alice@example\.com in organization Acme \(100001\)\./,
      );
      assert.doesNotMatch(result.stdout + result.stderr, /org\.select|https?:\/\//);
      assert.deepEqual(idp.platformRequestLog, []);
      assert.equal(idp.counters.refresh_token, 0);
    });

    await t.step("switch --org by name (case-insensitive) through the platform", async () => {
      idp.resetCounters();
      const { url, page, result } = await switchWithBrowser(main, aliceBrowser, [
        "--org",
        "beta corp",
      ]);
      assertExit(result, 0);
      assert.equal(url.origin, idp.platformUrl);
      assert.equal(url.searchParams.get("org_hint"), "100002");
      assert.match(
        url.searchParams.get("redirect") ?? "",
        /^http:\/\/localhost:\d+\/callback\/[\w-]+$/,
      );
      assert.equal(page.status, 200, page.body);
      assert.match(page.body, /Beta Corp/);
      assert.match(result.stdout, /in organization Beta Corp \(100002\)\./);
      assert.equal(idp.currentOrg(USERS.alice.sub)?.name, "Beta Corp");
      assert.ok(idp.platformRequestLog.some((path) => path.startsWith("/auth/org.select")));
      assert.equal(idp.counters.refresh_token, 1, "the token was renewed after the switch");

      const alice = await account(main, ALICE);
      assert.deepEqual(alice.org, orgOf(ORGS.beta));
      assert.deepEqual(alice.orgs?.map((org) => [org.name, org.default]), [
        ["Acme", false],
        ["Beta Corp", true],
      ]);
      const text = await rec.run(main, ["auth", "ls", ...base]);
      assert.match(
        text.stdout,
        /^\* amplify-cli:alice@example\.com\s+Platform\s+Beta Corp \(100002\)/m,
      );
    });

    await t.step("switch --org by id with --json: URL on stderr, account on stdout", async () => {
      const { result } = await switchWithBrowser(main, aliceBrowser, ["--org", "100001", "--json"]);
      assertExit(result, 0);
      assert.match(result.stderr, ORG_SELECT_URL);
      assert.doesNotMatch(result.stdout, /org\.select/);
      const alice = stdoutJson<AccountJson>(result);
      assert.equal(alice.name, ALICE);
      assert.equal(alice.default, true);
      assert.deepEqual(alice.org, orgOf(ORGS.acme));
      assert.equal(idp.currentOrg(USERS.alice.sub)?.name, "Acme");
      assert.deepEqual((await account(main, ALICE)).org, orgOf(ORGS.acme));
    });

    await t.step("switch --account and --org by guid", async () => {
      const { result } = await switchWithBrowser(main, aliceBrowser, [
        "--account",
        ALICE,
        "--org",
        ORGS.beta.guid,
      ]);
      assertExit(result, 0);
      assert.match(result.stdout, /in organization Beta Corp \(100002\)\./);
      assert.equal(idp.currentOrg(USERS.alice.sub)?.guid, ORGS.beta.guid);
      assert.deepEqual((await account(main, ALICE)).org, orgOf(ORGS.beta));
    });

    await t.step("switch --account alone keeps the account's org, no round trip", async () => {
      idp.resetCounters();
      const toBob = await rec.run(main, ["auth", "switch", "--account", BOB, ...base]);
      assertExit(toBob, 0);
      assert.match(
        toBob.stdout,
        /Default account set to amplify-cli:bob@example\.com in organization Acme/,
      );
      const toAlice = await rec.run(main, [
        "auth",
        "switch",
        "--account",
        ALICE,
        "--json",
        ...base,
      ]);
      assertExit(toAlice, 0);
      assert.deepEqual(stdoutJson<AccountJson>(toAlice).org, orgOf(ORGS.beta));
      assert.deepEqual(idp.platformRequestLog, []);
      const accounts = await list(main);
      assert.deepEqual(accounts.map((a) => [a.name, a.default, a.org?.name]), [
        [ALICE, true, "Beta Corp"],
        [BOB, false, "Acme"],
      ]);
    });

    await t.step("the org switch gives up after AXWAY_LOGIN_TIMEOUT", async () => {
      const result = await rec.run(
        main,
        ["auth", "switch", "--org", "acme", "--no-launch-browser", "--json", ...base],
        { env: { AXWAY_LOGIN_TIMEOUT: "1" }, signal: AbortSignal.timeout(20_000) },
      );
      assertExit(result, 1);
      assert.equal(stdoutJson<{ error: { code: string } }>(result).error.code, "TIMEOUT");
      assert.match(result.stderr, ORG_SELECT_URL);
      assert.equal(idp.currentOrg(USERS.alice.sub)?.name, "Beta Corp");
      assert.deepEqual((await account(main, ALICE)).org, orgOf(ORGS.beta));
    });

    await t.step("--org with a service account: usage error", async () => {
      const login = await rec.run(main, [
        "auth",
        "login",
        "--client-id",
        CLIENTS.basic.clientId,
        "--client-secret",
        "-",
        ...base,
      ], { stdin: CLIENTS.basic.clientSecret });
      assertExit(login, 0);
      await rec.readStore(main);
      const text = await rec.run(main, [
        "auth",
        "switch",
        "--account",
        "svc-basic",
        "--org",
        "acme",
        ...base,
      ]);
      assertExit(text, 2);
      assert.match(text.stderr, /^error: svc-basic is a service account/);
      assert.match(text.stderr, /have no organizations/);
      const json = await rec.run(main, [
        "auth",
        "switch",
        "--account",
        "svc-basic",
        "--org",
        "acme",
        "--json",
        ...base,
      ]);
      assertExit(json, 2);
      assert.equal(stdoutJson<{ error: { code: string } }>(json).error.code, "USAGE");
      const ls = await rec.run(main, ["auth", "ls", ...base]);
      assert.match(ls.stdout, /^ {2}svc-basic\s+Service\s+—\s+—$/m);
    });

    await t.step("logout of a person revokes the refresh and access tokens", async () => {
      const doc = await rec.readStore(main);
      const bob = doc.accounts.find((a) => a.name === BOB);
      assert.ok(bob?.tokens.refreshToken);
      assert.equal((await idp.introspect(bob.tokens.refreshToken)).active, true);
      const result = await rec.run(main, ["auth", "logout", BOB, ...base]);
      assertExit(result, 0);
      assert.match(
        result.stdout,
        /Signed out amplify-cli:bob@example\.com; its tokens were revoked\./,
      );
      assert.equal((await idp.introspect(bob.tokens.refreshToken)).active, false);
      assert.equal((await idp.introspect(bob.tokens.accessToken)).active, false);
      assert.deepEqual((await list(main)).map((a) => a.name), [ALICE, "svc-basic"]);
    });

    // A config dir holding one platform account (alice, two orgs).
    let aliceOnly = "";

    await t.step("BROWSER opener: launched with the URL, which is printed as well", async () => {
      const dir = aliceOnly = await rec.configDir();
      const tools = await Deno.makeTempDir({ prefix: "axway-opener-" });
      const opened = `${tools}/opened.txt`;
      const opener = `${tools}/opener.sh`;
      await Deno.writeTextFile(opener, `#!/bin/sh\nprintf '%s\\n' "$1" >> '${opened}'\n`);
      await Deno.chmod(opener, 0o755);
      const cli = rec.start(dir, ["auth", "login", ...base], { env: { BROWSER: opener } });
      try {
        const url = (await waitForFile(opened)).trim();
        assert.match(url, AUTHORIZATION_URL);
        const { response } = await new BrowserDriver().completeBrowserLogin(url, {
          user: USERS.alice,
        });
        assert.equal(response.status, 200);
        const result = await cli.finish();
        assertExit(result, 0);
        assert.match(result.stdout, /Opened your browser to sign in\. If it did not open, visit:/);
        assert.ok(result.stdout.includes(url), "the opened URL is printed too");
        assert.match(result.stdout, /Signed in as alice@example\.com/);
        assert.equal((await Deno.readTextFile(opened)).trim().split("\n").length, 1);
        await rec.readStore(dir);
      } catch (error) {
        await stop(cli);
        throw error;
      } finally {
        await Deno.remove(tools, { recursive: true });
      }
    });

    await t.step("one account, two orgs, no terminal: switch exits 2 naming --org", async () => {
      const text = await rec.run(aliceOnly, ["auth", "switch", ...base], {
        signal: AbortSignal.timeout(15_000),
      });
      assertExit(text, 2);
      assert.match(text.stderr, /^error: --org <id\|guid\|name> is required/);
      const json = await rec.run(aliceOnly, ["auth", "switch", "--json", ...base], {
        signal: AbortSignal.timeout(15_000),
      });
      assertExit(json, 2);
      assert.match(stdoutJson<{ error: { message: string } }>(json).error.message, /--org/);
    });

    await t.step("a wrong state is refused (400) while the sign-in goes on; --json", async () => {
      const dir = await rec.configDir();
      const cli = rec.start(dir, ["auth", "login", "--no-launch-browser", "--json", ...base]);
      try {
        const [url] = await cli.waitFor(AUTHORIZATION_URL);
        const redirect = new URL(new URL(url).searchParams.get("redirect_uri")!);
        const hosts = ipv6 ? ["127.0.0.1", "[::1]"] : ["127.0.0.1"];
        if (!ipv6) console.log("no IPv6 loopback here: the ::1 callback check is skipped");
        for (const host of hosts) {
          for (
            const query of ["code=stolen&state=wrong", "code=stolen", "error=access_denied&state=x"]
          ) {
            const stale = `http://${host}:${redirect.port}${redirect.pathname}?${query}`;
            const response = await fetch(stale);
            const body = await response.text();
            assert.equal(response.status, 400, `${stale}: ${body}`);
            assert.match(body, /not accepted/);
          }
        }
        const elsewhere = await fetch(`http://127.0.0.1:${redirect.port}/callback/other?state=x`);
        await elsewhere.body?.cancel();
        assert.equal(elsewhere.status, 404);

        const { response } = await new BrowserDriver().completeBrowserLogin(url, {
          user: USERS.alice,
        });
        assert.equal(response.status, 200);
        const result = await cli.finish();
        assertExit(result, 0);
        const alice = stdoutJson<AccountJson>(result);
        assert.equal(alice.name, ALICE);
        assert.equal(alice.isPlatform, true);
        assert.ok(result.stderr.includes(url), "the URL goes to stderr in JSON mode");
        assert.doesNotMatch(result.stdout, AUTHORIZATION_URL);
        await rec.readStore(dir);
      } catch (error) {
        await stop(cli);
        throw error;
      }
    });

    await t.step("access_denied ends the sign-in promptly with exit 1", async () => {
      const dir = await rec.configDir();
      const cli = rec.start(dir, ["auth", "login", "--no-launch-browser", ...base]);
      try {
        const [url] = await cli.waitFor(AUTHORIZATION_URL);
        const { response } = await new BrowserDriver().completeBrowserLogin(url, {
          user: USERS.alice,
          deny: true,
        });
        const denied = Date.now();
        assert.equal(response.status, 400);
        assert.match(response.body, /Sign-in failed/);
        assert.match(response.body, /refused|access_denied/);
        const result = await cli.finish();
        assert.ok(Date.now() - denied < 5000, "the CLI ended at once");
        assertExit(result, 1);
        assert.match(result.stderr, /^error: sign-in was refused/m);
        assert.deepEqual(await list(dir), []);
      } catch (error) {
        await stop(cli);
        throw error;
      }
    });

    await t.step("AXWAY_LOGIN_TIMEOUT: exit 1, TIMEOUT in JSON mode", async () => {
      const dir = await rec.configDir();
      const started = Date.now();
      const result = await rec.run(
        dir,
        ["auth", "login", "--no-launch-browser", "--json", ...base],
        {
          env: { AXWAY_LOGIN_TIMEOUT: "2" },
          signal: AbortSignal.timeout(20_000),
        },
      );
      const elapsed = Date.now() - started;
      assertExit(result, 1);
      const body = stdoutJson<{ error: { code: string; message: string } }>(result);
      assert.equal(body.error.code, "TIMEOUT");
      assert.ok(elapsed >= 2000 && elapsed < 15_000, `${elapsed} ms`);
      assert.match(result.stderr, AUTHORIZATION_URL);
    });

    await t.step("Ctrl-C while waiting: exit 130, the loopback server stops", async () => {
      const dir = await rec.configDir();
      const cli = rec.start(dir, ["auth", "login", "--no-launch-browser", ...base]);
      try {
        const [url] = await cli.waitFor(AUTHORIZATION_URL);
        const redirect = new URL(new URL(url).searchParams.get("redirect_uri")!);
        cli.kill("SIGINT");
        const result = await cli.finish();
        assertExit(result, 130);
        assert.match(result.stderr, /^error: .*cancelled/m);
        await assert.rejects(fetch(`http://127.0.0.1:${redirect.port}${redirect.pathname}`));
        assert.deepEqual(await list(dir), []);
      } catch (error) {
        await stop(cli);
        throw error;
      }
    });

    await t.step("AXWAY_CALLBACK_PORT taken: exit 1 with a clear message", async () => {
      const dir = await rec.configDir();
      const holder = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      try {
        const port = holder.addr.port;
        const result = await rec.run(dir, ["auth", "login", "--no-launch-browser", ...base], {
          env: { AXWAY_CALLBACK_PORT: String(port) },
          signal: AbortSignal.timeout(15_000),
        });
        assertExit(result, 1);
        assert.match(
          result.stderr,
          new RegExp(`^error: port ${port} \\(AXWAY_CALLBACK_PORT\\) is already in use`),
        );
        assert.doesNotMatch(result.stdout + result.stderr, AUTHORIZATION_URL);
      } finally {
        holder.close();
      }
    });

    await t.step("AXWAY_CALLBACK_PORT free and AXWAY_REDIRECT_HOST: used as given", async () => {
      const dir = await rec.configDir();
      const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const port = probe.addr.port;
      probe.close();
      const { url, result } = await browserLogin(dir, new BrowserDriver(), USERS.bob, [], {
        env: { AXWAY_CALLBACK_PORT: String(port), AXWAY_REDIRECT_HOST: "127.0.0.1" },
      });
      assertExit(result, 0);
      assert.match(
        url.searchParams.get("redirect_uri") ?? "",
        new RegExp(`^http://127\\.0\\.0\\.1:${port}/callback/[\\w-]+$`),
      );
    });

    await t.step("platform down during sign-in: a User account from the ID token", async () => {
      const dir = await rec.configDir();
      idp.setPlatformDown(true);
      try {
        const { result } = await browserLogin(dir, new BrowserDriver(), USERS.alice);
        assertExit(result, 0);
        assert.match(result.stderr, /^note: platform details unavailable \(.*503.*\)/m);
        assert.equal(result.stderr.trim().split("\n").length, 1, "said once");
        assert.match(result.stdout, /Signed in as alice@example\.com\./);
      } finally {
        idp.setPlatformDown(false);
      }
      const [alice, ...others] = await list(dir);
      assert.equal(others.length, 0);
      assert.equal(alice.name, ALICE);
      assert.equal(alice.isPlatform, false);
      assert.equal(alice.auth.authenticator, "PKCE");
      assert.equal(alice.org, undefined);
      assert.equal(alice.orgs, undefined);
      assert.equal(alice.user?.email, "alice@example.com");
      const text = await rec.run(dir, ["auth", "ls", ...base]);
      assert.match(text.stdout, /^\* amplify-cli:alice@example\.com\s+User\s+—\s+in 1[34]d$/m);
    });

    await t.step("no platform URL: no platform call at all, a User account", async () => {
      const dir = await rec.configDir();
      idp.resetCounters();
      const cli = rec.start(dir, [
        "auth",
        "login",
        "--no-launch-browser",
        "--base-url",
        idp.baseUrl,
      ]);
      try {
        const [url] = await cli.waitFor(AUTHORIZATION_URL);
        await new BrowserDriver().completeBrowserLogin(url, { user: USERS.bob });
        const result = await cli.finish();
        assertExit(result, 0);
        assert.match(result.stderr, /^note: platform details unavailable \(no platform URL/m);
        await rec.readStore(dir);
      } catch (error) {
        await stop(cli);
        throw error;
      }
      assert.equal(idp.platformRequests, 0, "no token was sent to any platform");
      const ls = await rec.run(dir, ["auth", "ls", "--json", "--base-url", idp.baseUrl]);
      const [bob] = stdoutJson<AccountJson[]>(ls);
      assert.equal(bob.name, BOB);
      assert.equal(bob.isPlatform, false);
      assert.equal(bob.user?.email, "bob@example.com");
      const org = await rec.run(dir, [
        "auth",
        "switch",
        "--org",
        "acme",
        "--base-url",
        idp.baseUrl,
      ]);
      assertExit(org, 2);
      assert.match(org.stderr, /without platform organizations/);
    });

    await t.step({
      name: "real headless Chromium completes the sign-in",
      ignore: chromiumMissing,
      fn: async () => {
        const { chromium } = await import("playwright-core");
        const dir = await rec.configDir();
        const profile = await Deno.makeTempDir({ prefix: "axway-chromium-" });
        const cli = rec.start(dir, ["auth", "login", "--no-launch-browser", ...base]);
        const context = await chromium.launchPersistentContext(profile, {
          executablePath: CHROMIUM,
          headless: true,
          args: [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
          ],
        });
        try {
          const [url] = await cli.waitFor(AUTHORIZATION_URL);
          const page = context.pages()[0] ?? await context.newPage();
          await page.goto(url, { waitUntil: "domcontentloaded" });
          await page.fill("input[name=username]", USERS.alice.email);
          await page.fill("input[name=password]", PASSWORD);
          await page.click("#kc-login");
          await page.waitForSelector("h1:has-text('Signed in')", { timeout: 15_000 });
          assert.match(await page.textContent("body") ?? "", /You can close this tab/);
          const result = await cli.finish();
          assertExit(result, 0);
          assert.match(result.stdout, /Signed in as alice@example\.com/);
          assert.equal((await list(dir))[0]?.name, ALICE);
          await rec.readStore(dir);
        } catch (error) {
          await stop(cli);
          throw error;
        } finally {
          await context.close();
          await Deno.remove(profile, { recursive: true }).catch(() => {});
        }
      },
    });

    await t.step("no token in any output or file under the config dirs", async () => {
      assert.ok(rec.secretCount >= 10, `${rec.secretCount} secrets tracked`);
      await rec.assertNoSecrets();
    });
  } finally {
    aliceBrowser.close();
    bobBrowser.close();
    await idp.close();
    await rec.cleanup();
  }
});
