/**
 * Issue 7 §5, device flow: `axway auth login --device` against the bundled provider — success,
 * `slow_down` honoured, denial, expiry, and a provider without the device endpoint. The provider
 * announces a 1 s polling interval so that the flow takes seconds, not RFC 8628's default 5 s.
 */

import assert from "node:assert/strict";
import { runCli } from "../support/cli.ts";
import { approveDeviceCode } from "../support/driver.ts";
import { CLIENTS, ORGS, startIdp, type TestIdp, USERS } from "../support/idp.ts";
import { AUTHORIZATION_URL, type RunningCli, startCli } from "../support/login_flow.ts";
import { idpEnv, personName, tempConfigDir } from "../support/accounts_helpers.ts";

const NO_SANITIZERS = { sanitizeOps: false, sanitizeResources: false } as const;
const DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";
const DEVICE_LOGIN = ["auth", "login", "--device", "--no-launch-browser"];

/** The verification URI and user code the CLI shows on stderr. */
async function shownCode(cli: RunningCli) {
  const [, verificationUri, userCode] = await cli.waitFor(
    /To sign in, open (\S+)\s+and enter the code: (\S+)/,
  );
  assert.ok(cli.stderr().includes(userCode), "the code is shown on stderr");
  return { verificationUri, userCode };
}

function errorOf(stdout: string): { code: string; message: string } {
  return (JSON.parse(stdout) as { error: { code: string; message: string } }).error;
}

function sleep(ms: number) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves once the provider has counted `n` device_code token requests more than `from`. */
async function devicePolls(idp: TestIdp, from: number, n: number) {
  const deadline = Date.now() + 20_000;
  while (idp.counters[DEVICE_GRANT] - from < n) {
    if (Date.now() > deadline) throw new Error(`fewer than ${n} device_code polls`);
    await sleep(20);
  }
}

Deno.test({
  name: "device sign-in",
  ...NO_SANITIZERS,
  async fn(t) {
    const idp = await startIdp({ deviceInterval: 1 });
    const env = idpEnv(idp);
    const step = (name: string, fn: () => Promise<void>) => t.step({ name, ...NO_SANITIZERS, fn });
    try {
      await step("success: the code is approved, a platform account is stored", async () => {
        await using dir = await tempConfigDir();
        const cli = startCli(dir.path, [...DEVICE_LOGIN, "--json"], { env });
        const { verificationUri, userCode } = await shownCode(cli);
        assert.ok(verificationUri.startsWith(idp.issuer), verificationUri);
        const [, complete] = await cli.waitFor(/\(or open (\S+)\)/);
        assert.equal(new URL(complete).searchParams.get("user_code"), userCode);
        const approval = await approveDeviceCode(userCode, { verificationUri, user: USERS.alice });
        assert.equal(approval.outcome, "approved");
        const result = await cli.finish();
        assert.equal(result.code, 0, result.stderr);
        const printed = JSON.parse(result.stdout);
        assert.equal(printed.name, personName(USERS.alice));
        assert.equal(printed.auth.authenticator, "DeviceCode");

        const list = await runCli(dir.path, ["auth", "ls", "--json"], { env });
        const [account, ...others] = JSON.parse(list.stdout);
        assert.equal(others.length, 0);
        assert.equal(account.name, personName(USERS.alice));
        assert.equal(account.isPlatform, true);
        assert.equal(account.default, true);
        assert.equal(account.auth.authenticator, "DeviceCode");
        assert.equal(account.org.guid, ORGS.acme.guid);
        assert.equal(account.user.email, USERS.alice.email);
        const token = await runCli(dir.path, ["auth", "token"], { env });
        assert.equal(token.code, 0, token.stderr);
        assert.equal((await idp.introspect(token.stdout.trim())).active, true);
      });

      await step("without --no-launch-browser the complete URL is opened", async () => {
        await using dir = await tempConfigDir();
        const opened = `${dir.path}/opened.txt`;
        const browser = `${dir.path}/browser.sh`;
        await Deno.writeTextFile(browser, `#!/bin/sh\necho "$1" > '${opened}'\n`, { mode: 0o755 });
        const cli = startCli(dir.path, ["auth", "login", "--device"], {
          env: { ...env, BROWSER: browser },
        });
        const { userCode } = await shownCode(cli);
        let url = "";
        for (let i = 0; i < 200 && !url; i++) {
          url = (await Deno.readTextFile(opened).catch(() => "")).trim();
          if (!url) await sleep(25);
        }
        assert.equal(new URL(url).searchParams.get("user_code"), userCode, url);
        await approveDeviceCode(userCode, { verificationUri: url, user: USERS.alice });
        const result = await cli.finish();
        assert.equal(result.code, 0, result.stderr);
      });

      await step("slow_down: the CLI polls less often and still succeeds", async () => {
        await using dir = await tempConfigDir();
        idp.forceSlowDown(1);
        const polls = idp.counters[DEVICE_GRANT];
        const started = Date.now();
        const cli = startCli(dir.path, DEVICE_LOGIN, { env });
        const { verificationUri, userCode } = await shownCode(cli);
        await approveDeviceCode(userCode, { verificationUri, user: USERS.bob });
        // The first poll is answered slow_down; at 1 s the next ones would follow every second,
        // slowed down (1 s + 5 s) none comes for the next 3 s.
        await devicePolls(idp, polls, 1);
        await sleep(3000);
        assert.equal(idp.counters[DEVICE_GRANT] - polls, 1, "no poll for 3 s after slow_down");
        const result = await cli.finish();
        assert.equal(result.code, 0, result.stderr);
        assert.match(result.stdout, /Signed in as bob@example\.com/);
        assert.equal(idp.counters[DEVICE_GRANT] - polls, 2, "slow_down, then the tokens");
        assert.ok(Date.now() - started >= 6000, "waited the interval plus 5 s");
      });

      await step("denial on the verification page: exit 1, ACCESS_DENIED", async () => {
        await using dir = await tempConfigDir();
        const cli = startCli(dir.path, [...DEVICE_LOGIN, "--json"], { env });
        const { verificationUri, userCode } = await shownCode(cli);
        const approval = await approveDeviceCode(userCode, {
          verificationUri,
          user: USERS.alice,
          deny: true,
        });
        assert.equal(approval.outcome, "denied");
        const result = await cli.finish();
        assert.equal(result.code, 1, result.stderr);
        assert.equal(errorOf(result.stdout).code, "ACCESS_DENIED");
        const list = await runCli(dir.path, ["auth", "ls", "--json"], { env });
        assert.deepEqual(JSON.parse(list.stdout), []);

        // And in text mode: one line on stderr.
        const text = startCli(dir.path, DEVICE_LOGIN, { env });
        const shown = await shownCode(text);
        await approveDeviceCode(shown.userCode, { ...shown, user: USERS.alice, deny: true });
        const denied = await text.finish();
        assert.equal(denied.code, 1);
        assert.match(denied.stderr, /^error: .*denied/m);
      });

      await step("Ctrl-C while polling: exit 130, nothing stored", async () => {
        await using dir = await tempConfigDir();
        const cli = startCli(dir.path, DEVICE_LOGIN, { env });
        await shownCode(cli);
        cli.kill("SIGINT");
        const result = await cli.finish();
        assert.equal(result.code, 130, result.stderr);
        const list = await runCli(dir.path, ["auth", "ls", "--json"], { env });
        assert.deepEqual(JSON.parse(list.stdout), []);
      });
    } finally {
      await idp.close();
    }
  },
});

Deno.test({
  name: "device sign-in: the code expires before it is approved",
  ...NO_SANITIZERS,
  async fn() {
    const idp = await startIdp({ deviceInterval: 1, ttl: { deviceCode: 3 } });
    try {
      await using dir = await tempConfigDir();
      const env = idpEnv(idp);
      const cli = startCli(dir.path, [...DEVICE_LOGIN, "--json"], { env });
      await shownCode(cli);
      const result = await cli.finish();
      assert.equal(result.code, 1, result.stderr);
      const error = errorOf(result.stdout);
      assert.equal(error.code, "TIMEOUT");
      assert.match(error.message, /expired/);
      assert.ok(idp.counters[DEVICE_GRANT] >= 1, "it polled meanwhile");
    } finally {
      await idp.close();
    }
  },
});

Deno.test({
  name: "device sign-in: a provider without the device endpoint fails at once",
  ...NO_SANITIZERS,
  async fn() {
    const idp = await startIdp({ device: false });
    try {
      await using dir = await tempConfigDir();
      const env = idpEnv(idp);
      const started = Date.now();
      let result = await runCli(dir.path, DEVICE_LOGIN, { env });
      assert.ok(Date.now() - started < 10_000, "at once");
      assert.equal(result.code, 1);
      assert.match(result.stderr, /does not support device sign-in/);
      assert.ok(result.stderr.includes(idp.issuer));
      result = await runCli(dir.path, [...DEVICE_LOGIN, "--json"], { env });
      assert.equal(result.code, 1);
      assert.match(errorOf(result.stdout).message, /does not support device sign-in/);
      assert.equal(idp.counters.device_authorization, 0);
      assert.equal(idp.counters[DEVICE_GRANT], 0);

      // Without a browser here, the browser sign-in does not suggest the missing device flow.
      const empty = await Deno.makeTempDir({ prefix: "axway-bin-" });
      const cli = startCli(dir.path, ["auth", "login"], { env: { ...env, PATH: empty } });
      await cli.waitFor(/could not open a browser/i);
      await cli.waitFor(AUTHORIZATION_URL);
      await sleep(300);
      cli.kill("SIGINT");
      const cancelled = await cli.finish();
      await Deno.remove(empty);
      assert.equal(cancelled.code, 130);
      assert.doesNotMatch(cancelled.stdout + cancelled.stderr, /--device/);
    } finally {
      await idp.close();
    }
  },
});

Deno.test({
  name: "device sign-in: a client the provider does not allow to use the device flow",
  ...NO_SANITIZERS,
  async fn() {
    const idp = await startIdp();
    try {
      await using dir = await tempConfigDir();
      const env = idpEnv(idp);
      const result = await runCli(dir.path, [
        ...DEVICE_LOGIN,
        "--client-id",
        CLIENTS.browserOnly.clientId,
        "--json",
      ], { env });
      assert.equal(result.code, 1, result.stderr);
      const error = errorOf(result.stdout);
      assert.equal(error.code, "INVALID_CLIENT");
      assert.equal(
        error.message,
        `client ${CLIENTS.browserOnly.clientId} is not allowed to use the device flow`,
      );
    } finally {
      await idp.close();
    }
  },
});
