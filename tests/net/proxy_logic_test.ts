/**
 * Unit tests of the proxy and CA logic behind the one fetch: Deno's proxy selection mirrored
 * for messages, credential redaction, per-URL client choice, CA file errors and the error
 * translation of the transport failures Deno 2.9 really reports (texts captured from runs
 * against tinyproxy and a test CA).
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { CliError } from "../../src/errors.ts";
import { createFetch, translateTransportError } from "../../src/net/http.ts";
import { createNetwork, readCaFile } from "../../src/net/network.ts";
import {
  bypassesProxy,
  parseProxyUrl,
  ProxyConfigError,
  proxyFor,
  type ProxyTarget,
  readProxyEnv,
  redactCredentials,
  redactProxyUrl,
} from "../../src/net/proxy.ts";

const envOf = (vars: Record<string, string>) => (name: string) => vars[name];

/** A fetch failure shaped like Deno's: TypeError "fetch failed" caused by the client error. */
function denoFailure(url: string, detail: string): TypeError {
  return new TypeError("fetch failed", {
    cause: new Error(`error sending request for url (${url}): client error (Connect): ${detail}`),
  });
}

function cliError(value: unknown): CliError {
  assert.ok(value instanceof CliError, `not a CliError: ${value}`);
  return value;
}

function target(url: string, source = "HTTPS_PROXY"): ProxyTarget {
  const parsed = parseProxyUrl(url, source);
  assert.ok(parsed);
  return parsed;
}

Deno.test("redactProxyUrl and redactCredentials hide passwords, keep host and port", () => {
  assert.equal(
    redactProxyUrl("http://user:pa%40ss@proxy.corp:3128/x"),
    "http://user:***@proxy.corp:3128",
  );
  assert.equal(redactProxyUrl("http://proxy.corp:3128"), "http://proxy.corp:3128");
  assert.equal(redactProxyUrl("https://:secret@[::1]:8443"), "https://***@[::1]:8443");
  assert.equal(
    redactCredentials("via http://u:p@ss@h:1 and socks5://a:b@c:2, not http://h/x@y"),
    "via http://u:***@h:1 and socks5://a:***@c:2, not http://h/x@y",
  );
});

Deno.test("parseProxyUrl: like Deno, plus errors where Deno would silently ignore the value", () => {
  assert.equal(parseProxyUrl("", "HTTPS_PROXY"), undefined);
  assert.equal(target("127.0.0.1:3128").url.href, "http://127.0.0.1:3128/");
  const withCredentials = target("http://me:s3cret@proxy:8080");
  assert.equal(withCredentials.hasCredentials, true);
  assert.equal(withCredentials.shown, "http://me:***@proxy:8080");
  assert.equal(target("socks5h://proxy:1080").url.protocol, "socks5h:");
  for (
    const [value, reason] of [
      ["ftp://proxy:21", /ftp proxies are not supported/],
      ["http://me@proxy:8080", /user name without a password/],
    ] as const
  ) {
    assert.throws(() => parseProxyUrl(value, "HTTPS_PROXY"), (error: unknown) => {
      assert.ok(error instanceof ProxyConfigError);
      assert.equal(error.source, "HTTPS_PROXY");
      assert.match(error.reason, reason);
      return true;
    });
  }
});

Deno.test("readProxyEnv: upper case wins, empty falls through, CGI ignores HTTP_PROXY", () => {
  const both = readProxyEnv(envOf({
    HTTPS_PROXY: "http://upper:1",
    https_proxy: "http://lower:1",
    http_proxy: "http://plain:2",
    no_proxy: "localhost",
  }));
  assert.equal(both.https?.source, "HTTPS_PROXY");
  assert.equal(both.http?.source, "http_proxy");
  assert.equal(both.noProxy, "localhost");
  const empty = readProxyEnv(envOf({ HTTPS_PROXY: "", https_proxy: "http://lower:1" }));
  assert.equal(empty.https?.source, "https_proxy");
  // An empty NO_PROXY hides no_proxy (Deno reads NO_PROXY, then no_proxy only if unset).
  assert.equal(readProxyEnv(envOf({ NO_PROXY: "", no_proxy: "x" })).noProxy, "");
  const cgi = readProxyEnv(envOf({ REQUEST_METHOD: "GET", HTTP_PROXY: "http://evil:1" }));
  assert.equal(cgi.http, undefined);
});

Deno.test("bypassesProxy mirrors Deno's NO_PROXY rules", () => {
  const cases: [string, string, boolean][] = [
    ["https://127.0.0.1:8443/", "127.0.0.1", true],
    ["https://127.0.0.1:8443/", "127.0.0.0/8", true],
    ["https://127.0.0.1:8443/", "10.0.0.0/8, 192.168.1.1", false],
    ["https://127.0.0.1:8443/", "127.0.0.1:8443", false], // no ports
    ["https://127.0.0.1:8443/", "*", false], // "*" matches host names only
    ["https://[::1]:8443/", "::1", true],
    ["https://[fd00::5]/", "fd00::/8", true],
    ["https://[fe80::5]/", "fd00::/8", false],
    ["https://localhost:8443/", "*", true],
    ["https://login.example.com/", "example.com", true],
    ["https://login.example.com/", ".example.com", true],
    ["https://example.com/", ".example.com", true],
    ["https://notexample.com/", "example.com", false],
    ["https://example.com/", "", false],
  ];
  for (const [url, list, expected] of cases) {
    assert.equal(bypassesProxy(new URL(url), list), expected, `${url} with NO_PROXY=${list}`);
  }
});

Deno.test("proxyFor: ALL_PROXY, then the scheme's variable, then settings; NO_PROXY over all", () => {
  const settings = target("http://settings-proxy:3128", "network.proxy");
  const https = new URL("https://login.axway.com/x");
  const http = new URL("http://127.0.0.1:9/x");
  const env = readProxyEnv(envOf({ HTTPS_PROXY: "http://env-proxy:3128" }));
  assert.equal(proxyFor(https, env, settings)?.source, "HTTPS_PROXY");
  assert.equal(proxyFor(http, env, settings)?.source, "network.proxy");
  assert.equal(proxyFor(https, readProxyEnv(envOf({})), settings)?.source, "network.proxy");
  const all = readProxyEnv(envOf({ ALL_PROXY: "http://all:1", HTTPS_PROXY: "http://h:1" }));
  assert.equal(proxyFor(https, all)?.source, "ALL_PROXY");
  const bypass = readProxyEnv(envOf({ HTTPS_PROXY: "http://h:1", NO_PROXY: "axway.com" }));
  assert.equal(proxyFor(https, bypass, settings), undefined);
});

Deno.test("createNetwork: lazy, env over settings, one client per kind, bad settings refused", async () => {
  let settingsReads = 0;
  const network = createNetwork({
    rawEnv: envOf({ HTTPS_PROXY: "http://u:pw@env-proxy:3128", NO_PROXY: "internal.corp" }),
    settings: () => {
      settingsReads++;
      return Promise.resolve({ "network.proxy": "http://settings-proxy:3128" });
    },
  });
  try {
    assert.equal(settingsReads, 0, "nothing is read before the first request");
    const https = await network.route(new URL("https://login.axway.com/"));
    assert.equal(https.proxy?.source, "HTTPS_PROXY");
    assert.equal(https.proxy?.shown, "http://u:***@env-proxy:3128");
    assert.equal(https.client, undefined, "no CA, env proxy: Deno's default client");
    const http = await network.route(new URL("http://127.0.0.1:8080/"));
    assert.equal(http.proxy?.source, "network.proxy");
    assert.ok(http.client, "the settings proxy needs a client");
    assert.equal((await network.route(new URL("http://127.0.0.2/"))).client, http.client);
    assert.equal((await network.route(new URL("https://internal.corp/"))).proxy, undefined);
    assert.equal(settingsReads, 1);
  } finally {
    network.close();
  }

  for (
    const [settings, pattern] of [
      [
        { "network.proxy": "http://me:pw@proxy:1" },
        /must not hold credentials \(http:\/\/me:\*\*\*@proxy:1\)/,
      ],
      [{ "network.proxy": "gopher://proxy:70" }, /network\.proxy is not usable/],
    ] as const
  ) {
    const bad = createNetwork({ rawEnv: envOf({}), settings: () => Promise.resolve(settings) });
    const error = cliError(await bad.route(new URL("https://a.example/")).catch((e) => e));
    assert.equal(error.code, "USAGE");
    assert.match(error.message, pattern);
    assert.ok(!error.message.includes(":pw@"));
  }
  const badEnv = createNetwork({
    rawEnv: envOf({ HTTPS_PROXY: "http://token@proxy:1" }),
    settings: () => Promise.resolve({}),
  });
  const error = cliError(await badEnv.route(new URL("https://a.example/")).catch((e) => e));
  assert.match(error.message, /^HTTPS_PROXY is not usable: a user name without a password/);
});

Deno.test("readCaFile: missing, directory, no PEM, broken certificate, good bundle", async () => {
  const dir = await Deno.makeTempDir({ prefix: "axway-test-cafile-" });
  try {
    const source = (file: string) => ({ file, source: "AXWAY_CA_FILE" });
    const message = async (file: string) =>
      cliError(await readCaFile(source(file)).catch((e) => e)).message;
    assert.match(
      await message(join(dir, "absent.pem")),
      /absent\.pem \(from AXWAY_CA_FILE\) cannot be read: no such file$/,
    );
    assert.match(await message(dir), /cannot be read: it is a directory$/);
    await Deno.writeTextFile(
      join(dir, "key.pem"),
      "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    );
    assert.match(await message(join(dir, "key.pem")), /holds no PEM certificate/);
    const settingsError = cliError(
      await readCaFile({ file: join(dir, "key.pem"), source: "network.caFile" }).catch((e) => e),
    );
    assert.match(settingsError.message, /\(from settings network\.caFile\)/);

    const broken = "-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE-----\n";
    await Deno.writeTextFile(join(dir, "broken.pem"), `junk before\n${broken}`);
    const read = await readCaFile(source(join(dir, "broken.pem")));
    assert.deepEqual(read.certs, [broken.trim()]);
    const network = createNetwork({
      rawEnv: envOf({ AXWAY_CA_FILE: join(dir, "broken.pem") }),
      settings: () => Promise.resolve({}),
    });
    const error = cliError(await network.route(new URL("https://a.example/")).catch((e) => e));
    assert.match(
      error.message,
      /broken\.pem \(from AXWAY_CA_FILE\) holds a certificate that cannot be read/,
    );
    network.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("translateTransportError: Deno's real failure texts become one-line causes", () => {
  const url = "https://127.0.0.1:8443/auth/realms/Broker/.well-known/openid-configuration";
  const shown = "https://127.0.0.1:8443/auth/realms/Broker/.well-known/openid-configuration";
  const proxy = target("http://u:pw@127.0.0.1:3128");
  const translate = (detail: string, context = {}) =>
    cliError(translateTransportError(denoFailure(url, detail), shown, context));

  const untrusted = translate("invalid peer certificate: UnknownIssuer");
  assert.equal(untrusted.code, "TLS_ERROR");
  assert.equal(
    untrusted.message,
    "certificate of https://127.0.0.1:8443 not trusted: add your CA with AXWAY_CA_FILE or network.caFile",
  );
  assert.match(untrusted.hint ?? "", /DENO_TLS_CA_STORE=system/);
  const withCa = translate("invalid peer certificate: UnknownIssuer", {
    ca: { file: "/etc/corp.pem", source: "network.caFile" },
  });
  assert.match(
    withCa.message,
    /not trusted, not even with the CAs in \/etc\/corp\.pem \(settings network\.caFile\)/,
  );
  assert.match(
    translate(
      `invalid peer certificate: certificate not valid for name "127.0.0.1"; certificate is only valid for DnsName("example.test")`,
    ).message,
    /is not valid for that host name/,
  );
  assert.match(translate("invalid peer certificate: Expired").message, /is expired/);
  assert.match(
    translate("received corrupt message of type InvalidContentType").message,
    /TLS handshake with https:\/\/127\.0\.0\.1:8443 failed/,
  );

  const down = translate("tcp connect error: Connection refused (os error 111)", { proxy });
  assert.equal(down.code, "NETWORK_ERROR");
  assert.equal(
    down.message,
    "cannot reach the proxy http://u:***@127.0.0.1:3128 (from HTTPS_PROXY): connection refused",
  );
  assert.match(
    translate("dns error: failed to lookup address information: Name or service not known", {
      proxy,
    }).message,
    /cannot reach the proxy .*: its host name does not resolve/,
  );
  const anonymous = target("http://127.0.0.1:3128");
  assert.equal(
    translate("unsuccessful tunnel", { proxy: anonymous, tunnelStatus: 407 }).message,
    "the proxy http://127.0.0.1:3128 requires authentication: put credentials in HTTPS_PROXY",
  );
  assert.match(
    translate("unsuccessful tunnel", { proxy, tunnelStatus: 401 }).message,
    /rejected the credentials in HTTPS_PROXY \(HTTP 401\)/,
  );
  assert.match(
    translate("unsuccessful tunnel", { proxy: anonymous, tunnelStatus: 403 }).message,
    /refused to connect to 127\.0\.0\.1:8443 \(HTTP 403\)/,
  );
  assert.match(
    translate("unsuccessful tunnel", { proxy: anonymous, tunnelStatus: 502 }).message,
    /cannot reach 127\.0\.0\.1:8443 \(HTTP 502\)/,
  );
  // Without a proxy, the old messages; a host called "tls..." is not a TLS failure.
  assert.match(
    translate("tcp connect error: Connection refused (os error 111)").message,
    /^cannot reach https:\/\/127\.0\.0\.1:8443\/.*: connection refused$/,
  );
  const tlsHost = cliError(
    translateTransportError(
      denoFailure("https://tls.example.com/", "dns error: failed to lookup address information"),
      "https://tls.example.com/",
    ),
  );
  assert.equal(tlsHost.message, "cannot resolve the host of https://tls.example.com/");
  for (const error of [untrusted, down]) assert.ok(!error.message.includes("pw"));
});

Deno.test("createFetch: 407 through a proxy is an error; traces name the proxy, redacted", async () => {
  const traces: string[] = [];
  const network = createNetwork({
    rawEnv: envOf({ HTTP_PROXY: "http://u:pw@127.0.0.1:3128" }),
    settings: () => Promise.resolve({}),
  });
  const fetch407 = createFetch({
    timeoutMs: 1000,
    network,
    baseFetch: () => Promise.resolve(new Response("auth", { status: 407 })),
    trace: (line) => traces.push(line),
  });
  const error = cliError(await fetch407("http://127.0.0.1:9/x").catch((e) => e));
  assert.match(error.message, /rejected the credentials in HTTP_PROXY \(HTTP 407\)/);
  assert.ok(
    traces[0].endsWith("→ GET http://127.0.0.1:9/x via http://u:***@127.0.0.1:3128 (HTTP_PROXY)"),
  );
  assert.ok(traces.every((line) => !line.includes("pw")));

  const direct = createFetch({
    timeoutMs: 1000,
    network: createNetwork({ rawEnv: envOf({}), settings: () => Promise.resolve({}) }),
    baseFetch: () => Promise.resolve(new Response("", { status: 407 })),
  });
  assert.equal((await direct("http://127.0.0.1:9/x")).status, 407, "no proxy: not ours to judge");
});
