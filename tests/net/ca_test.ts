/**
 * Private certificate authorities, end to end (issue 8 §2, §5): the bundled provider is served
 * over HTTPS with a certificate from a test CA; the CLI runs as a subprocess with the binary's
 * permission list. Skipped, with a message, when `openssl` is missing.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { CLIENTS, startIdp } from "../support/idp.ts";
import { type CliResult, runCli } from "../support/cli.ts";
import { createTestPki, opensslAvailable } from "../support/ca.ts";

const haveOpenssl = await opensslAvailable();
if (!haveOpenssl) console.warn("skipping the CA tests: openssl not installed");

function describeRun(result: CliResult): string {
  return `exit ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`;
}

function jsonError(result: CliResult, exitCode: number): { code: string; message: string } {
  assert.equal(result.code, exitCode, describeRun(result));
  return (JSON.parse(result.stdout) as { error: { code: string; message: string } }).error;
}

Deno.test({
  name: "CAs: untrusted rejected, AXWAY_CA_FILE and network.caFile accepted, bad files named",
  ignore: !haveOpenssl,
  sanitizeOps: false,
  sanitizeResources: false,
}, async (t) => {
  const pki = await createTestPki();
  const idp = await startIdp({
    platform: false,
    device: false,
    https: { cert: pki.serverCert, key: pki.serverKey },
  });
  const configRoot = await Deno.makeTempDir({ prefix: "axway-test-ca-cli-" });
  let runs = 0;
  const configDir = async (settings?: Record<string, string>) => {
    const dir = join(configRoot, `run-${++runs}`);
    await Deno.mkdir(dir, { recursive: true });
    if (settings) await Deno.writeTextFile(join(dir, "settings.json"), JSON.stringify(settings));
    return dir;
  };
  const loginArgs = [
    ...["auth", "login", "--client-id", CLIENTS.basic.clientId],
    ...["--client-secret", CLIENTS.basic.clientSecret, "--base-url", idp.baseUrl, "--json"],
  ];
  let lastDir = "";
  const login = async (env: Record<string, string>, settings?: Record<string, string>) =>
    await runCli(lastDir = await configDir(settings), loginArgs, {
      env: { AXWAY_KEY_STORE: "file", ...env },
    });
  const origin = idp.baseUrl.replaceAll(".", "\\.");

  try {
    await t.step("no extra CA: exit 1, TLS_ERROR saying how to add the CA", async () => {
      const error = jsonError(await login({}), 1);
      assert.equal(error.code, "TLS_ERROR");
      assert.match(
        error.message,
        new RegExp(
          `^certificate of ${origin} not trusted: add your CA with AXWAY_CA_FILE or network\\.caFile$`,
        ),
      );
      const text = await runCli(await configDir(), loginArgs.slice(0, -1), {
        env: { AXWAY_KEY_STORE: "file" },
      });
      assert.equal(text.code, 1, describeRun(text));
      assert.match(text.stderr, /^error: certificate of .* not trusted/m);
      assert.match(text.stderr, /DENO_TLS_CA_STORE=system/);
    });

    let loggedIn = "";
    await t.step("AXWAY_CA_FILE with the test CA: exit 0", async () => {
      const result = await login({ AXWAY_CA_FILE: pki.caFile });
      loggedIn = lastDir;
      assert.equal(result.code, 0, describeRun(result));
      assert.equal(JSON.parse(result.stdout).name, CLIENTS.basic.clientId);
    });

    await t.step("settings network.caFile: exit 0; AXWAY_CA_FILE wins over it", async () => {
      const result = await login({}, { "network.caFile": pki.caFile });
      assert.equal(result.code, 0, describeRun(result));
      const envWins = await login(
        { AXWAY_CA_FILE: pki.caFile },
        { "network.caFile": pki.otherCaFile },
      );
      assert.equal(envWins.code, 0, describeRun(envWins));
    });

    await t.step("a CA that did not sign the server does not make it trusted", async () => {
      const error = jsonError(await login({ AXWAY_CA_FILE: pki.otherCaFile }), 1);
      assert.equal(error.code, "TLS_ERROR");
      assert.match(error.message, /not trusted/);
      assert.ok(error.message.includes(pki.otherCaFile), error.message);
    });

    await t.step("extra CAs add to the root store, they do not replace it", async () => {
      // The test CA is in the "system" store (rustls-native-certs honours SSL_CERT_FILE); the
      // unrelated CA in AXWAY_CA_FILE must not push it out.
      const result = await login({
        DENO_TLS_CA_STORE: "system",
        SSL_CERT_FILE: pki.caFile,
        AXWAY_CA_FILE: pki.otherCaFile,
      });
      assert.equal(result.code, 0, describeRun(result));
    });

    await t.step(
      "missing, unreadable and non-PEM CA files: one line naming file and source",
      async () => {
        const absent = join(pki.dir, "absent.pem");
        const notPem = join(pki.dir, "not-a-cert.pem");
        await Deno.writeTextFile(notPem, "hello, I am not a certificate\n");
        const cases: [Record<string, string>, Record<string, string> | undefined, RegExp][] = [
          [
            { AXWAY_CA_FILE: absent },
            undefined,
            /absent\.pem \(from AXWAY_CA_FILE\).*no such file/,
          ],
          [{ AXWAY_CA_FILE: notPem }, undefined, /not-a-cert\.pem \(from AXWAY_CA_FILE\).*no PEM/],
          [{ AXWAY_CA_FILE: pki.dir }, undefined, /\(from AXWAY_CA_FILE\)/],
          [{}, { "network.caFile": absent }, /absent\.pem/],
        ];
        for (const [env, settings, pattern] of cases) {
          const result = await login(env, settings);
          assert.notEqual(result.code, 0, describeRun(result));
          const error = JSON.parse(result.stdout).error;
          assert.match(error.message, pattern);
          assert.ok(!error.message.includes("\n"), error.message);
          if (settings) assert.match(error.message, /network\.caFile/);
        }
      },
    );

    await t.step("commands without requests never read the CA file or the proxy", async () => {
      const env = {
        AXWAY_KEY_STORE: "file",
        AXWAY_CA_FILE: join(pki.dir, "absent.pem"),
        HTTPS_PROXY: "ftp://not-a-proxy",
      };
      for (const args of [["auth", "ls", "--json"], ["auth", "token", "--base-url", idp.baseUrl]]) {
        const result = await runCli(loggedIn, args, { env });
        assert.equal(result.code, 0, `${args.join(" ")}: ${describeRun(result)}`);
      }
    });
  } finally {
    await idp.close();
    await pki.remove();
    await Deno.remove(configRoot, { recursive: true }).catch(() => {});
  }
});
