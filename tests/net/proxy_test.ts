/**
 * Proxies, end to end (issue 8 §2, §5): the CLI runs as a subprocess with the binary's permission
 * list; the bundled provider is served over HTTPS with a certificate from a test CA, behind a
 * real `tinyproxy` on loopback. Skipped, with a message, when `tinyproxy` or `openssl` is missing.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { CLIENTS, startIdp } from "../support/idp.ts";
import { type CliResult, runCli } from "../support/cli.ts";
import { createTestPki, opensslAvailable } from "../support/ca.ts";
import { startTinyproxy, tinyproxyPath } from "../support/proxy.ts";

/** `deno run` would otherwise check dl.deno.land for updates, through the proxy under test. */
const QUIET = { AXWAY_KEY_STORE: "file", DENO_NO_UPDATE_CHECK: "1" };
const PROXY_USER = "proxy-user";
const PROXY_PASSWORD = "s3cret-proxy-pw_7f2c";

const missing = [
  ...(await tinyproxyPath() ? [] : ["tinyproxy (apt-get install tinyproxy)"]),
  ...(await opensslAvailable() ? [] : ["openssl"]),
];
if (missing.length > 0) {
  console.warn(`skipping the proxy tests: ${missing.join(" and ")} not installed`);
}

function describeRun(result: CliResult): string {
  return `exit ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`;
}

function jsonError(result: CliResult, exitCode: number): { code: string; message: string } {
  assert.equal(result.code, exitCode, describeRun(result));
  return (JSON.parse(result.stdout) as { error: { code: string; message: string } }).error;
}

function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  return port;
}

Deno.test({
  name: "proxies: login through tinyproxy, NO_PROXY, settings, proxy down, 407, credentials",
  ignore: missing.length > 0,
  sanitizeOps: false,
  sanitizeResources: false,
}, async (t) => {
  const pki = await createTestPki();
  const idp = await startIdp({
    platform: false,
    device: false,
    https: { cert: pki.serverCert, key: pki.serverKey },
  });
  const [proxy, authProxy] = await Promise.all([
    startTinyproxy({ connectPorts: [idp.port] }),
    startTinyproxy({
      connectPorts: [idp.port],
      basicAuth: { user: PROXY_USER, password: PROXY_PASSWORD },
    }),
  ]);
  const configRoot = await Deno.makeTempDir({ prefix: "axway-test-proxy-cli-" });
  let runs = 0;
  const outputs: CliResult[] = [];
  const login = async (env: Record<string, string>, settings?: Record<string, string>) => {
    const dir = join(configRoot, `run-${++runs}`);
    await Deno.mkdir(dir, { recursive: true });
    if (settings) await Deno.writeTextFile(join(dir, "settings.json"), JSON.stringify(settings));
    const result = await runCli(dir, [
      ...["auth", "login", "--client-id", CLIENTS.basic.clientId],
      ...["--client-secret", CLIENTS.basic.clientSecret, "--base-url", idp.baseUrl, "--json"],
    ], { env: { ...QUIET, AXWAY_CA_FILE: pki.caFile, ...env } });
    outputs.push(result);
    return result;
  };
  const target = `127.0.0.1:${idp.port}`;
  const tunnels = async (which = proxy) =>
    (await which.connects()).filter((connect) => connect === target).length;

  try {
    await t.step("HTTPS_PROXY: the login goes through the proxy (CONNECT logged)", async () => {
      const before = await tunnels();
      const result = await login({ HTTPS_PROXY: proxy.url });
      assert.equal(result.code, 0, describeRun(result));
      assert.equal(JSON.parse(result.stdout).name, CLIENTS.basic.clientId);
      assert.ok(await tunnels() > before, `no CONNECT ${target} in:\n${await proxy.log()}`);
    });

    await t.step("lower-case https_proxy works too", async () => {
      const before = await tunnels();
      const result = await login({ https_proxy: proxy.url });
      assert.equal(result.code, 0, describeRun(result));
      assert.ok(await tunnels() > before);
    });

    await t.step(
      "NO_PROXY=127.0.0.1 (and no_proxy) go direct: the proxy sees nothing",
      async () => {
        const envs: Record<string, string>[] = [
          { HTTPS_PROXY: proxy.url, NO_PROXY: "127.0.0.1" },
          { https_proxy: proxy.url, no_proxy: "localhost,127.0.0.0/8" },
        ];
        for (const env of envs) {
          const before = (await proxy.connects()).length;
          const result = await login(env);
          assert.equal(result.code, 0, describeRun(result));
          const after = (await proxy.connects()).length;
          assert.equal(after, before, `proxy used despite ${JSON.stringify(env)}`);
        }
      },
    );

    await t.step("settings network.proxy is used; HTTPS_PROXY wins over it", async () => {
      const before = await tunnels();
      const viaSettings = await login({}, { "network.proxy": proxy.url });
      assert.equal(viaSettings.code, 0, describeRun(viaSettings));
      assert.equal(await tunnels(), before + 1);
      const dead = `http://127.0.0.1:${closedPort()}`;
      const envWins = await login({ HTTPS_PROXY: proxy.url }, { "network.proxy": dead });
      assert.equal(envWins.code, 0, describeRun(envWins));
      assert.equal(await tunnels(), before + 2);
    });

    await t.step("proxy down: exit 1, NETWORK_ERROR naming the proxy", async () => {
      const port = closedPort();
      const error = jsonError(await login({ HTTPS_PROXY: `http://127.0.0.1:${port}` }), 1);
      assert.equal(error.code, "NETWORK_ERROR");
      assert.match(
        error.message,
        new RegExp(`cannot reach the proxy http://127\\.0\\.0\\.1:${port}`),
      );
      assert.match(error.message, /HTTPS_PROXY/);
      const fromSettings = jsonError(
        await login({}, { "network.proxy": `http://127.0.0.1:${port}` }),
        1,
      );
      assert.match(fromSettings.message, /cannot reach the proxy .*network\.proxy/);
    });

    await t.step("407 without credentials: says to put them in HTTPS_PROXY", async () => {
      const result = await login({ HTTPS_PROXY: authProxy.url });
      const error = jsonError(result, 1);
      assert.equal(error.code, "NETWORK_ERROR");
      assert.match(
        error.message,
        /the proxy http:\/\/127\.0\.0\.1:\d+ requires authentication: put credentials in HTTPS_PROXY/,
      );
      const text = await runCli(join(configRoot, "text"), [
        ...["auth", "login", "--client-id", CLIENTS.basic.clientId],
        ...["--client-secret", CLIENTS.basic.clientSecret, "--base-url", idp.baseUrl],
      ], {
        env: { ...QUIET, HTTPS_PROXY: authProxy.url, AXWAY_CA_FILE: pki.caFile },
      });
      assert.equal(text.code, 1, describeRun(text));
      assert.match(text.stderr, /^error: the proxy .* requires authentication/m);
      assert.match(text.stderr, /HTTPS_PROXY=http:\/\/user:password@127\.0\.0\.1:\d+/);
      outputs.push(text);
    });

    await t.step("wrong credentials: rejected, and shown as user:***", async () => {
      const wrong = `http://${PROXY_USER}:wrong-${PROXY_PASSWORD}@127.0.0.1:${authProxy.port}`;
      const error = jsonError(await login({ HTTPS_PROXY: wrong }), 1);
      assert.match(error.message, /rejected the credentials in HTTPS_PROXY/);
      assert.ok(error.message.includes(`http://${PROXY_USER}:***@127.0.0.1:${authProxy.port}`));
    });

    await t.step("credentials in HTTPS_PROXY work; debug traces redact them", async () => {
      const before = await tunnels(authProxy);
      const withCredentials = `http://${PROXY_USER}:${PROXY_PASSWORD}@127.0.0.1:${authProxy.port}`;
      const result = await login({ HTTPS_PROXY: withCredentials, AXWAY_DEBUG: "1" });
      assert.equal(result.code, 0, describeRun(result));
      assert.ok(await tunnels(authProxy) > before);
      assert.ok(
        result.stderr.includes(`via http://${PROXY_USER}:***@127.0.0.1:${authProxy.port}`),
        result.stderr,
      );
    });

    await t.step("credentials in settings network.proxy are refused, unshown", async () => {
      const withCredentials = `http://${PROXY_USER}:${PROXY_PASSWORD}@127.0.0.1:${authProxy.port}`;
      // Refused when the settings file is read, or else when the network is configured.
      const result = await login({}, { "network.proxy": withCredentials });
      assert.ok(result.code === 1 || result.code === 2, describeRun(result));
      const error = JSON.parse(result.stdout).error;
      assert.match(error.message, /network\.proxy must not (hold|contain) credentials/);
    });

    await t.step("the proxy password never appears in any output", () => {
      for (const result of outputs) {
        for (const secret of [PROXY_PASSWORD, encodeURIComponent(PROXY_PASSWORD)]) {
          assert.ok(!result.stdout.includes(secret), `password on stdout: ${describeRun(result)}`);
          assert.ok(!result.stderr.includes(secret), `password on stderr: ${describeRun(result)}`);
        }
      }
      assert.ok(outputs.length >= 12);
    });
  } finally {
    await Promise.all([proxy.close(), authProxy.close(), idp.close()]);
    await pki.remove();
    await Deno.remove(configRoot, { recursive: true }).catch(() => {});
  }
});
