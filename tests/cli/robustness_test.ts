/**
 * Regressions from trying to break the CLI: odd providers, bad settings, interrupts.
 */
import assert from "node:assert/strict";
import { runCli } from "../support/cli.ts";
import { CLIENTS, ORGS, startIdp, USERS } from "../support/idp.ts";
import { browserLogin, idpEnv, tempConfigDir } from "../support/accounts_helpers.ts";
import { startCli } from "../support/login_flow.ts";

/** A fake provider on loopback whose discovery points at itself, with a custom token answer. */
function fakeProvider(
  token: (request: Request) => Response | Promise<Response>,
  metadata: (origin: string) => Record<string, unknown> = () => ({}),
) {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const url = new URL(request.url);
    const issuer = `${url.origin}/auth/realms/Broker`;
    if (url.pathname.endsWith("/.well-known/openid-configuration")) {
      return Response.json({
        issuer,
        authorization_endpoint: `${issuer}/protocol/openid-connect/auth`,
        token_endpoint: `${issuer}/protocol/openid-connect/token`,
        token_endpoint_auth_methods_supported: ["client_secret_basic"],
        ...metadata(url.origin),
      });
    }
    return token(request);
  });
  return { baseUrl: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}

Deno.test("a non-JSON 502 from the token endpoint is reported at once", async () => {
  const provider = fakeProvider(() => new Response("bad gateway", { status: 502 }));
  const dir = await Deno.makeTempDir();
  try {
    const started = Date.now();
    const result = await runCli(dir, [
      ...["auth", "login", "--client-id", "c", "--client-secret", "-"],
      ...["--base-url", provider.baseUrl, "--json"],
    ], { stdin: "s" });
    assert.equal(result.code, 1);
    const { error } = JSON.parse(result.stdout);
    assert.equal(error.code, "PROVIDER_ERROR");
    assert.match(error.message, /HTTP 502/);
    assert.ok(Date.now() - started < 10_000, "no wait for a timeout");
  } finally {
    await provider.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a discovery document with an insecure endpoint is refused before any request", async () => {
  let tokenRequests = 0;
  const provider = fakeProvider(
    () => {
      tokenRequests++;
      return Response.json({ error: "invalid_client" }, { status: 401 });
    },
    (origin) => ({ token_endpoint: `ftp://${new URL(origin).host}/token` }),
  );
  const dir = await Deno.makeTempDir();
  try {
    const result = await runCli(dir, [
      ...["auth", "login", "--client-id", "c", "--client-secret", "-"],
      ...["--base-url", provider.baseUrl],
    ], { stdin: "s" });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^error: the provider .* lists an insecure token_endpoint/);
    assert.equal(tokenRequests, 0);
  } finally {
    await provider.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Ctrl-C during a hung request exits 130 with a CANCELLED error", async () => {
  // Never answers until the client goes away (so that the server can shut down afterwards).
  const provider = fakeProvider((request) =>
    new Promise<Response>((resolve) =>
      request.signal.addEventListener("abort", () => resolve(new Response(null)))
    )
  );
  const dir = await Deno.makeTempDir();
  try {
    const cli = startCli(dir, [
      ...["auth", "login", "--client-id", "c", "--client-secret", "s"],
      ...["--base-url", provider.baseUrl, "--json"],
    ], { env: { AXWAY_DEBUG: "1" } });
    await cli.waitFor(/→ POST .*\/token/);
    cli.kill("SIGINT");
    const result = await cli.finish();
    assert.equal(result.code, 130);
    assert.equal(JSON.parse(result.stdout).error.code, "CANCELLED");
  } finally {
    await provider.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bad durations are usage errors, and a flag overrides a bad variable", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const base = ["--base-url", "http://127.0.0.1:9"];
    for (const [name, value] of [["AXWAY_HTTP_TIMEOUT", "abc"], ["AXWAY_HTTP_TIMEOUT", "1e9"]]) {
      const result = await runCli(dir, ["auth", "login", "--client-id", "c", "-c", "s", ...base], {
        env: { [name]: value },
      });
      assert.equal(result.code, 2, `${name}=${value}: ${result.stderr}`);
      assert.match(result.stderr, new RegExp(`^error: ${name} must be a number of seconds`));
    }
    const login = await runCli(dir, ["auth", "login", "--no-launch-browser", ...base], {
      env: { AXWAY_LOGIN_TIMEOUT: "1e9" },
    });
    assert.equal(login.code, 2, login.stderr);
    const overridden = await runCli(dir, ["auth", "ls", "--json", "--env", "prod"], {
      env: { AXWAY_ENV: "garbage", AXWAY_BASE_URL: "ftp://x" },
    });
    assert.equal(overridden.code, 0, overridden.stderr);
    const secret = await runCli(dir, ["auth", "ls", "--base-url", "https://u:s3cr3t@example.com"]);
    assert.equal(secret.code, 2);
    assert.ok(!secret.stderr.includes("s3cr3t"), secret.stderr);
    const escape = await runCli(dir, ["auth", "ls", "--env", "x\x1b[31m\nb"]);
    assert.equal(escape.code, 2);
    assert.equal(escape.stderr.split("\n").filter(Boolean).length, 1);
    assert.ok(!escape.stderr.includes("\x1b"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "an unusable key store fails before the provider is asked for a token",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const idp = await startIdp({ platform: false });
    const dir = await Deno.makeTempDir();
    try {
      idp.resetCounters();
      const result = await runCli(dir, [
        ...["auth", "login", "--client-id", CLIENTS.basic.clientId, "--client-secret", "-"],
        ...["--base-url", idp.baseUrl],
      ], {
        stdin: CLIENTS.basic.clientSecret,
        // No D-Bus session reaches the CLI: there is no keychain to use.
        env: { AXWAY_KEY_STORE: "keychain" },
      });
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, /keychain/i);
      assert.equal(idp.counters.client_credentials, 0);
    } finally {
      await idp.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("provider metadata is cached in the config dir: a second login skips discovery", async () => {
  let discoveries = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const url = new URL(request.url);
    const issuer = `${url.origin}/auth/realms/Broker`;
    if (url.pathname.endsWith("/.well-known/openid-configuration")) {
      discoveries++;
      return Response.json({ issuer, token_endpoint: `${issuer}/token` });
    }
    return Response.json({ access_token: "opaque-token-123456", token_type: "Bearer" });
  });
  const dir = await Deno.makeTempDir();
  try {
    const args = [
      ...["auth", "login", "--client-id", "c", "--client-secret", "-", "--force"],
      ...["--base-url", `http://127.0.0.1:${server.addr.port}`],
    ];
    for (let run = 0; run < 2; run++) {
      const result = await runCli(dir, args, { stdin: "cache-test-secret" });
      assert.equal(result.code, 0, result.stderr);
    }
    assert.equal(discoveries, 1);
    const cache = await Deno.readTextFile(`${dir}/discovery-cache.json`);
    assert.ok(!cache.includes("cache-test-secret") && !cache.includes("opaque-token-123456"));
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "switch --org fails when the platform did not switch (callback without a selection)",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const idp = await startIdp();
    try {
      await using dir = await tempConfigDir();
      const env = idpEnv(idp);
      await browserLogin(dir.path, env, USERS.alice);
      const cli = startCli(dir.path, [
        ...["auth", "switch", "--org", ORGS.beta.org_id, "--no-launch-browser", "--json"],
      ], { env });
      const [url] = await cli.waitFor(/http:\/\/127\.0\.0\.1:\d+\/auth\/org\.select\S+/);
      // Straight to the callback, as a stale tab would: the platform selected nothing.
      const callback = new URL(url).searchParams.get("redirect")!;
      const page = await fetch(callback.replace("localhost", "127.0.0.1"));
      await page.body?.cancel();
      const result = await cli.finish();
      assert.equal(result.code, 1, result.stderr);
      const { error } = JSON.parse(result.stdout);
      assert.match(
        error.message,
        /did not switch .* to Beta Corp \(100002\): it still reports Acme/,
      );
    } finally {
      await idp.close();
    }
  },
});

Deno.test("a bad settings value does not stop a command whose flag overrides it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/settings.json`, JSON.stringify({ env: "bogus" }));
    const overridden = await runCli(dir, ["auth", "ls", "--json", "--env", "prod"]);
    assert.equal(overridden.code, 0, overridden.stderr);
    const used = await runCli(dir, ["auth", "ls"]);
    assert.equal(used.code, 1);
    assert.match(
      used.stderr,
      /^error: settings file .*settings\.json: unknown environment "bogus"/,
    );
    const empty = await runCli(dir, ["auth", "token", "--base-url="]);
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /^error: --base-url needs a value/);
    const clientId = await runCli(dir, [
      "auth",
      "login",
      "--env",
      "prod",
      "--client-id",
      "c\x1b[31m\ny",
      "-c",
      "s",
    ]);
    assert.equal(clientId.code, 2);
    assert.ok(!clientId.stderr.includes("\x1b"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a stale cached endpoint is rediscovered instead of trapping the user", async () => {
  let version = "v1";
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const url = new URL(request.url);
    const issuer = `${url.origin}/auth/realms/Broker`;
    if (url.pathname.endsWith("/.well-known/openid-configuration")) {
      return Response.json({ issuer, token_endpoint: `${issuer}/${version}/token` });
    }
    if (url.pathname.endsWith(`/${version}/token`)) {
      return Response.json({ access_token: `token-${version}-0123456789`, token_type: "Bearer" });
    }
    return new Response("gone", { status: 404, headers: { "content-type": "text/html" } });
  });
  const dir = await Deno.makeTempDir();
  try {
    const args = [
      ...["auth", "login", "--client-id", "c", "--client-secret", "-", "--force"],
      ...["--base-url", `http://127.0.0.1:${server.addr.port}`],
    ];
    assert.equal((await runCli(dir, args, { stdin: "s" })).code, 0);
    version = "v2"; // the provider moved its token endpoint; the cache still names v1
    const again = await runCli(dir, args, { stdin: "s" });
    assert.equal(again.code, 0, again.stderr);
    assert.match(await Deno.readTextFile(`${dir}/discovery-cache.json`), /\/v2\/token/);
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});
