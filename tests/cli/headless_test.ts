/**
 * Issue 7 §5, headless and CI: browser sign-in without a browser on this machine (URL printed,
 * login through the loopback or a pasted redirect URL), non-interactive service logins from
 * environment variables, flag precedence, and commands that would prompt failing fast.
 *
 * Pasting needs stdin to be a terminal, which Deno.Command cannot give: those tests run the CLI
 * under util-linux `script`, which gives it a pseudo-terminal.
 */

import assert from "node:assert/strict";
import { CLI_PERMISSIONS } from "../../scripts/permissions.ts";
import { runCli } from "../support/cli.ts";
import { completeBrowserLogin } from "../support/driver.ts";
import { CLIENTS, KEY_PASSPHRASE, startIdp, type TestIdp, USERS } from "../support/idp.ts";
import { AUTHORIZATION_URL, startCli } from "../support/login_flow.ts";
import {
  browserLogin,
  idpEnv,
  personName,
  secretLogin,
  storedAccount,
  tempConfigDir,
} from "../support/accounts_helpers.ts";

const NO_SANITIZERS = { sanitizeOps: false, sanitizeResources: false } as const;
const ALICE = personName(USERS.alice);
const SCRIPT = "/usr/bin/script";
const hasScript = await Deno.stat(SCRIPT).then(() => true, () => false);

function errorOf(stdout: string): { code: string; message: string } {
  return (JSON.parse(stdout) as { error: { code: string; message: string } }).error;
}

async function listJson(dir: string, env: Record<string, string>) {
  const result = await runCli(dir, ["auth", "ls", "--json"], { env });
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as {
    name: string;
    auth: { authenticator: string; clientId: string };
  }[];
}

/** A directory to use as PATH, with the given executable shell scripts. */
async function binDir(scripts: Record<string, string> = {}) {
  const path = await Deno.makeTempDir({ prefix: "axway-bin-" });
  for (const [name, body] of Object.entries(scripts)) {
    await Deno.writeTextFile(`${path}/${name}`, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  }
  return {
    path,
    [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }).catch(() => {}),
  };
}

/** A CLI run under a pseudo-terminal (util-linux `script`): its stdin is a terminal. */
function startCliInPty(configDir: string, args: string[], env: Record<string, string>) {
  const quote = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;
  const main = new URL("../../main.ts", import.meta.url).pathname;
  const config = new URL("../../deno.json", import.meta.url).pathname;
  const command = [
    Deno.execPath(),
    "run",
    "--quiet",
    "--no-prompt",
    `--config=${config}`,
    ...CLI_PERMISSIONS,
    main,
    ...args,
  ].map(quote).join(" ");
  const base: Record<string, string> = {
    NO_COLOR: "1",
    AXWAY_CONFIG_DIR: configDir,
    SHELL: "/bin/sh",
    TERM: "dumb",
  };
  for (const name of ["PATH", "HOME", "DENO_DIR", "TMPDIR", "LANG"]) {
    const value = Deno.env.get(name);
    if (value !== undefined) base[name] = value;
  }
  // -q quiet, -f flush at once, -e the CLI's exit code, -c the command; no typescript file.
  const child = new Deno.Command(SCRIPT, {
    args: ["-qfec", command, "/dev/null"],
    env: { ...base, ...env },
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let output = "";
  const waiters = new Set<() => void>();
  const pumps = Promise.all([child.stdout, child.stderr].map(async (stream) => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      output += chunk;
      for (const wake of waiters) wake();
    }
  }));
  const writer = child.stdin.getWriter();
  let exited = false;
  child.status.then(() => exited = true);
  return {
    output: () => output,
    /** Resolves with the first match of `pattern` in the output after `from` characters. */
    waitFor(pattern: RegExp, from = 0, timeoutMs = 20_000): Promise<RegExpMatchArray> {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = output.slice(from).match(pattern);
          if (match) {
            done();
            resolve(match);
          } else if (exited) {
            done();
            reject(new Error(`exited before printing ${pattern}: ${output}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`timed out waiting for ${pattern}: ${output}`));
        }, timeoutMs);
        const poll = setInterval(check, 100);
        const done = () => {
          clearTimeout(timer);
          clearInterval(poll);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    /** Types a line, as a user pasting it and pressing Enter. */
    async typeLine(text: string) {
      await writer.write(new TextEncoder().encode(`${text}\n`));
    },
    async finish() {
      const { code } = await child.status;
      await pumps;
      await writer.close().catch(() => {});
      return { code, output };
    },
    kill() {
      try {
        child.kill("SIGKILL");
      } catch {
        // gone
      }
    },
  };
}

/** Starts `auth login` in a pty and returns it with the authorization URL it printed. */
async function ptyLogin(dir: string, env: Record<string, string>) {
  // A short wait: when pasting does not work, the test fails in 20 s rather than hanging.
  const cli = startCliInPty(dir, ["auth", "login", "--no-launch-browser"], {
    ...env,
    AXWAY_LOGIN_TIMEOUT: "20",
  });
  try {
    const [url] = await cli.waitFor(AUTHORIZATION_URL);
    await cli.waitFor(/paste here the address/);
    return { cli, url };
  } catch (error) {
    cli.kill();
    await cli.finish();
    throw error;
  }
}

Deno.test({
  name: "headless sign-in and CI logins",
  ...NO_SANITIZERS,
  async fn(t) {
    const idp = await startIdp();
    const env = idpEnv(idp);
    const step = (name: string, fn: () => Promise<void>, ignore = false) =>
      t.step({ name, ...NO_SANITIZERS, ignore, fn });
    try {
      await headlessSteps(env, step);
      await pasteSteps(idp, env, step);
      await ciSteps(idp, env, step);
    } finally {
      await idp.close();
    }
  },
});

type Step = (name: string, fn: () => Promise<void>, ignore?: boolean) => Promise<boolean>;

async function headlessSteps(env: Record<string, string>, step: Step) {
  /** Runs `auth login` (browser launch allowed) in `extra`, completes it by hand. */
  const loginWithoutBrowser = async (extra: Record<string, string>, problem: RegExp) => {
    await using dir = await tempConfigDir();
    const cli = startCli(dir.path, ["auth", "login"], { env: { ...env, ...extra } });
    const [url] = await cli.waitFor(AUTHORIZATION_URL);
    await cli.waitFor(/axway auth login --device/);
    const shown = cli.stdout() + cli.stderr();
    assert.match(shown, /could not open a browser/i);
    assert.match(shown, problem);
    await completeBrowserLogin(url, { user: USERS.alice });
    const result = await cli.finish();
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /Signed in as alice@example\.com/);
    assert.equal((await listJson(dir.path, env))[0].name, ALICE);
  };

  await step("no DISPLAY, no opener on PATH: URL printed, login via the loopback", async () => {
    await using bin = await binDir();
    await loginWithoutBrowser({ PATH: bin.path }, /no graphical session/);
  });

  await step("DISPLAY set but the opener is missing or fails: still completes", async () => {
    await using empty = await binDir();
    await loginWithoutBrowser({ PATH: empty.path, DISPLAY: ":0" }, /xdg-open/);
    await using failing = await binDir({ "xdg-open": "exit 3" });
    await loginWithoutBrowser({ PATH: failing.path, DISPLAY: ":0" }, /xdg-open.*3/);
  });

  await step("an SSH session does not try the opener; BROWSER overrides", async () => {
    await using dir = await tempConfigDir();
    const calls = `${dir.path}/opened.txt`;
    await using bin = await binDir({ "xdg-open": `echo "$1" >> '${calls}'` });
    await loginWithoutBrowser(
      { PATH: bin.path, DISPLAY: ":0", SSH_CONNECTION: "10.0.0.1 5000 10.0.0.2 22" },
      /no graphical session/,
    );
    assert.equal(await Deno.readTextFile(calls).catch(() => ""), "", "xdg-open not run");

    // BROWSER names a program: used even without a display; it gets the URL.
    const browser = `${bin.path}/my-browser`;
    await Deno.writeTextFile(browser, `#!/bin/sh\necho "$1" >> '${calls}'\n`, { mode: 0o755 });
    const cli = startCli(dir.path, ["auth", "login"], {
      env: { ...env, PATH: bin.path, BROWSER: browser },
    });
    await cli.waitFor(/Opened your browser/);
    const opened = (await Deno.readTextFile(calls)).trim();
    assert.match(opened, AUTHORIZATION_URL);
    await completeBrowserLogin(opened, { user: USERS.bob });
    const result = await cli.finish();
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /Signed in as bob@example\.com/);
  });
}

async function pasteSteps(idp: TestIdp, env: Record<string, string>, step: Step) {
  await step("a pasted redirect URL with the right state completes the login", async () => {
    await using dir = await tempConfigDir();
    const before = idp.counters.authorization_code;
    const { cli, url } = await ptyLogin(dir.path, env);
    try {
      // The browser is elsewhere: the redirect to this machine's loopback never arrives.
      const { callbackUrl } = await completeBrowserLogin(url, {
        user: USERS.alice,
        followCallback: false,
      });
      await cli.typeLine(callbackUrl);
      const result = await cli.finish();
      assert.equal(result.code, 0, result.output);
      assert.match(result.output, /Signed in as alice@example\.com/);
    } finally {
      cli.kill();
    }
    assert.equal(idp.counters.authorization_code - before, 1);
    const account = await storedAccount(dir.path, ALICE);
    assert.equal(account.authenticator, "PKCE");
  }, !hasScript);

  await step("a pasted URL with a wrong state is refused; the login goes on", async () => {
    await using dir = await tempConfigDir();
    const { cli, url } = await ptyLogin(dir.path, env);
    try {
      const { callbackUrl } = await completeBrowserLogin(url, {
        user: USERS.alice,
        followCallback: false,
      });
      const forged = new URL(callbackUrl);
      forged.searchParams.set("state", "not-the-state-of-this-sign-in");
      let mark = cli.output().length;
      await cli.typeLine(forged.href);
      await cli.waitFor(/does not belong to the sign-in in progress/, mark);
      mark = cli.output().length;
      await cli.typeLine("hello");
      await cli.waitFor(/not the sign-in redirect URL/, mark);
      // Still waiting: the browser's redirect (or a good paste) finishes it.
      const callback = await fetch(callbackUrl);
      assert.equal(callback.status, 200, await callback.text());
      const result = await cli.finish();
      assert.equal(result.code, 0, result.output);
      assert.match(result.output, /Signed in as alice@example\.com/);
    } finally {
      cli.kill();
    }
    await storedAccount(dir.path, ALICE);
  }, !hasScript);
}

async function ciSteps(idp: TestIdp, env: Record<string, string>, step: Step) {
  await step("CI set without credentials: exit 4 at once naming the variables", async () => {
    await using dir = await tempConfigDir();
    for (const extra of [{}, { AXWAY_CLIENT_ID: "my-cli" }] as Record<string, string>[]) {
      const started = Date.now();
      const result = await runCli(dir.path, ["auth", "login"], {
        env: { ...env, CI: "1", ...extra },
      });
      assert.ok(Date.now() - started < 10_000, "at once");
      assert.equal(result.code, 4, result.stderr);
      for (const name of ["AXWAY_CLIENT_ID", "AXWAY_CLIENT_SECRET", "AXWAY_SECRET_FILE"]) {
        assert.ok(result.stderr.includes(name), `names ${name}: ${result.stderr}`);
      }
      assert.doesNotMatch(result.stdout + result.stderr, AUTHORIZATION_URL);
    }
    assert.deepEqual(await listJson(dir.path, env), []);
  });

  await step("service login from the environment alone: client secret", async () => {
    await using dir = await tempConfigDir();
    const ci = {
      ...env,
      CI: "1",
      AXWAY_CLIENT_ID: CLIENTS.basic.clientId,
      AXWAY_CLIENT_SECRET: CLIENTS.basic.clientSecret,
    };
    const before = idp.counters.client_credentials;
    const result = await runCli(dir.path, ["auth", "login"], { env: ci });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /service account svc-basic \(client secret\)/);
    assert.equal(idp.counters.client_credentials - before, 1);
    const [account] = await listJson(dir.path, env);
    assert.equal(account.name, CLIENTS.basic.clientId);
    assert.equal(account.auth.authenticator, "ClientSecret");
    const token = await runCli(dir.path, ["auth", "token"], { env: ci });
    assert.equal(token.code, 0, token.stderr);
    assert.equal((await idp.introspect(token.stdout.trim())).active, true);
    assert.ok(!result.stdout.includes(CLIENTS.basic.clientSecret));
  });

  await step("service login from the environment alone: encrypted key file", async () => {
    await using dir = await tempConfigDir();
    const result = await runCli(dir.path, ["auth", "login"], {
      env: {
        ...env,
        CI: "1",
        AXWAY_CLIENT_ID: CLIENTS.rs256.clientId,
        AXWAY_SECRET_FILE: idp.keyFiles.rsaEncrypted,
        AXWAY_SECRET_FILE_PASSPHRASE: KEY_PASSPHRASE,
      },
    });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /service account svc-rs256 \(signed JWT\)/);
    const [account] = await listJson(dir.path, env);
    assert.equal(account.name, CLIENTS.rs256.clientId);
    assert.equal(account.auth.authenticator, "SignedJWT");
  });

  await step("flags win over environment variables", async () => {
    await using dir = await tempConfigDir();
    const vars = {
      ...env,
      AXWAY_CLIENT_ID: CLIENTS.basic.clientId,
      AXWAY_CLIENT_SECRET: CLIENTS.basic.clientSecret,
    };
    // A wrong --client-secret is used although the variable holds the right one.
    let result = await runCli(
      dir.path,
      ["auth", "login", "--client-secret", "wrong-secret", "--json"],
      { env: vars },
    );
    assert.equal(result.code, 1, result.stdout);
    assert.equal(errorOf(result.stdout).code, "INVALID_CLIENT");
    assert.ok(!result.stdout.includes("wrong-secret"), "the secret is not echoed");
    assert.deepEqual(await listJson(dir.path, env), []);

    // --client-id and --secret-file beat AXWAY_CLIENT_ID and AXWAY_CLIENT_SECRET: a key login.
    result = await runCli(dir.path, [
      "auth",
      "login",
      "--client-id",
      CLIENTS.rs256.clientId,
      "--secret-file",
      idp.keyFiles.rsaPkcs8,
    ], { env: vars });
    assert.equal(result.code, 0, result.stderr);
    let accounts = await listJson(dir.path, env);
    assert.deepEqual(accounts.map((a) => [a.name, a.auth.authenticator]), [
      [CLIENTS.rs256.clientId, "SignedJWT"],
    ]);

    // --client-secret beats AXWAY_SECRET_FILE (no "both set" complaint).
    result = await runCli(dir.path, [
      "auth",
      "login",
      "--client-id",
      CLIENTS.post.clientId,
      "--client-secret",
      CLIENTS.post.clientSecret,
    ], { env: { ...env, AXWAY_SECRET_FILE: `${dir.path}/no-such-key.pem` } });
    assert.equal(result.code, 0, result.stderr);
    accounts = await listJson(dir.path, env);
    assert.deepEqual(
      accounts.find((a) => a.name === CLIENTS.post.clientId)?.auth.authenticator,
      "ClientSecret",
    );
  });

  await step("AXWAY_CLIENT_ID alone only changes the browser client", async () => {
    await using dir = await tempConfigDir();
    const before = idp.counters.client_credentials;
    const cli = startCli(dir.path, ["auth", "login", "--no-launch-browser"], {
      env: { ...env, AXWAY_CLIENT_ID: "my-cli" },
    });
    const [url] = await cli.waitFor(AUTHORIZATION_URL);
    assert.equal(new URL(url).searchParams.get("client_id"), "my-cli");
    cli.kill("SIGINT");
    const result = await cli.finish();
    assert.equal(result.code, 130, result.stderr);
    assert.equal(idp.counters.client_credentials, before, "no service login");
  });

  await step("commands that would prompt fail fast when stdin is closed", async () => {
    await using dir = await tempConfigDir();
    await secretLogin(dir.path, env, CLIENTS.basic.clientId, CLIENTS.basic.clientSecret);
    await secretLogin(dir.path, env, CLIENTS.post.clientId, CLIENTS.post.clientSecret);
    let started = Date.now();
    let result = await runCli(dir.path, ["auth", "switch"], { env });
    assert.ok(Date.now() - started < 10_000, "fails fast");
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /--account/);

    // One platform account with two organizations: the org would be asked for.
    await using other = await tempConfigDir();
    await browserLogin(other.path, env, USERS.alice);
    started = Date.now();
    result = await runCli(other.path, ["auth", "switch"], { env });
    assert.ok(Date.now() - started < 10_000, "fails fast");
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /--org/);

    // `--client-secret -` reads stdin because it was asked to: closed stdin is an empty secret.
    started = Date.now();
    result = await runCli(dir.path, [
      "auth",
      "login",
      "--client-id",
      CLIENTS.basic.clientId,
      "--client-secret",
      "-",
      "--force",
    ], { env });
    assert.ok(Date.now() - started < 10_000, "fails fast");
    assert.equal(result.code, 2, result.stderr);
  });
}
