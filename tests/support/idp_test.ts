import assert from "node:assert/strict";
import { createPrivateKey, randomUUID } from "node:crypto";
import * as jose from "jose";
import * as oauth from "oauth4webapi";
import { BrowserDriver, BrowserFlowError, completeBrowserLogin } from "./driver.ts";
import { CLIENTS, ORGS, startIdp, type TestIdp, type TestUser, USERS } from "./idp.ts";
import { createTestPki, opensslAvailable } from "./ca.ts";

const insecure = { [oauth.allowInsecureRequests]: true } as const;
const cli: oauth.Client = { client_id: CLIENTS.cli.clientId };

async function discover(idp: TestIdp): Promise<oauth.AuthorizationServer> {
  const issuer = new URL(idp.issuer);
  const response = await oauth.discoveryRequest(issuer, { algorithm: "oidc", ...insecure });
  return oauth.processDiscoveryResponse(issuer, response);
}

async function postToken(
  idp: TestIdp,
  form: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(idp.endpoints.token, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(form),
  });
  return { status: response.status, body: await response.json() };
}

async function findSession(idp: TestIdp, token: string) {
  const response = await fetch(`${idp.platformUrl}/api/v1/auth/findSession`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return { status: response.status, body: await response.json() };
}

/** A client assertion the way the CLI builds it: aud = token endpoint URL, exp in 5 minutes. */
async function clientAssertion(
  idp: TestIdp,
  clientId: string,
  pemPath: string,
  alg: "RS256" | "ES256",
  passphrase?: string,
): Promise<string> {
  const pem = await Deno.readTextFile(pemPath);
  const pkcs8 = createPrivateKey({ key: pem, passphrase }).export({ type: "pkcs8", format: "pem" });
  const key = await jose.importPKCS8(String(pkcs8), alg);
  return await new jose.SignJWT({})
    .setProtectedHeader({ alg })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(idp.endpoints.token)
    .setJti(randomUUID())
    .setIssuedAt()
    .setExpirationTime("5m")
    .sign(key);
}

/** A loopback server like the CLI's, on one address only (the driver must cope with localhost). */
function loopbackServer(hostname = "127.0.0.1") {
  const hits: URL[] = [];
  const server = Deno.serve({ hostname, port: 0, onListen() {} }, (request) => {
    hits.push(new URL(request.url));
    return new Response("<p>Signed in, you may close this window.</p>", {
      headers: { "content-type": "text/html" },
    });
  });
  return { hits, port: server.addr.port, close: () => server.shutdown() };
}

async function authorizationUrl(as: oauth.AuthorizationServer, redirectUri: string) {
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const url = new URL(as.authorization_endpoint!);
  url.search = new URLSearchParams({
    client_id: cli.client_id,
    redirect_uri: redirectUri,
    response_type: "code",
    scope: "openid email profile",
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    state,
  }).toString();
  return { url, verifier, state };
}

/** Signs `user` in through `driver` and exchanges the code (redirect URI never served). */
async function userLogin(
  as: oauth.AuthorizationServer,
  driver: BrowserDriver,
  user: TestUser = USERS.alice,
) {
  const redirectUri = `http://localhost:${45_000 + Math.floor(Math.random() * 1000)}/cb/x`;
  const { url, verifier, state } = await authorizationUrl(as, redirectUri);
  const { callbackUrl } = await driver.completeBrowserLogin(url, { user, followCallback: false });
  const params = oauth.validateAuthResponse(as, cli, new URL(callbackUrl), state);
  const response = await oauth.authorizationCodeGrantRequest(
    as,
    cli,
    oauth.None(),
    params,
    redirectUri,
    verifier,
    insecure,
  );
  return await oauth.processAuthorizationCodeResponse(as, cli, response);
}

Deno.test("test idp: provider, driver and platform", async (t) => {
  const idp = await startIdp();
  try {
    const as = await discover(idp);

    await t.step("discovery document in the Keycloak layout", async () => {
      assert.equal(idp.issuer, `${idp.baseUrl}/auth/realms/Broker`);
      assert.equal(idp.realm, "Broker");
      const doc = await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json();
      assert.equal(doc.issuer, idp.issuer);
      assert.equal(doc.token_endpoint, `${idp.issuer}/protocol/openid-connect/token`);
      assert.equal(doc.token_endpoint, idp.endpoints.token);
      assert.equal(doc.device_authorization_endpoint, idp.endpoints.deviceAuthorization);
      assert.equal(doc.revocation_endpoint, idp.endpoints.revocation);
      assert.equal(doc.introspection_endpoint, idp.endpoints.introspection);
      for (const method of ["client_secret_basic", "client_secret_post", "private_key_jwt"]) {
        assert.ok(doc.token_endpoint_auth_methods_supported.includes(method), method);
      }
      for (const alg of ["RS256", "ES256"]) {
        assert.ok(doc.token_endpoint_auth_signing_alg_values_supported.includes(alg), alg);
      }
      assert.deepEqual(doc.code_challenge_methods_supported, ["S256"]);
      assert.equal(as.issuer, idp.issuer);
    });

    await t.step(
      "client_credentials: basic, post, and each secret client accepts both",
      async () => {
        idp.resetCounters();
        for (const client of [CLIENTS.basic, CLIENTS.post]) {
          for (const auth of [oauth.ClientSecretBasic, oauth.ClientSecretPost]) {
            const response = await oauth.clientCredentialsGrantRequest(
              as,
              { client_id: client.clientId },
              auth(client.clientSecret),
              { scope: "openid" },
              insecure,
            );
            const tokens = await oauth.processClientCredentialsResponse(
              as,
              { client_id: client.clientId },
              response,
            );
            assert.equal(tokens.scope, "openid");
            assert.ok(Math.abs((tokens.expires_in as number) - 3600) <= 1, "expires_in");
            assert.equal(tokens.refresh_token, undefined);
          }
        }
        const wrong = await postToken(idp, {
          grant_type: "client_credentials",
          client_id: CLIENTS.basic.clientId,
          client_secret: "wrong",
        });
        assert.equal(wrong.status, 401);
        assert.equal(wrong.body.error, "invalid_client");
        assert.equal(idp.counters.client_credentials, 5);
      },
    );

    await t.step(
      "client_credentials: private_key_jwt RS256 and ES256 from every key file",
      async () => {
        const files = idp.keyFiles;
        const cases: [string, string, "RS256" | "ES256", string?][] = [
          [CLIENTS.rs256.clientId, files.rsaPkcs8, "RS256"],
          [CLIENTS.rs256.clientId, files.rsaPkcs1, "RS256"],
          [CLIENTS.rs256.clientId, files.rsaEncrypted, "RS256", idp.keyPassphrase],
          [CLIENTS.es256.clientId, files.ecPkcs8, "ES256"],
          [CLIENTS.es256.clientId, files.ecSec1, "ES256"],
        ];
        assert.match(await Deno.readTextFile(files.rsaPkcs1), /BEGIN RSA PRIVATE KEY/);
        assert.match(await Deno.readTextFile(files.rsaEncrypted), /BEGIN ENCRYPTED PRIVATE KEY/);
        assert.match(await Deno.readTextFile(files.ecSec1), /BEGIN EC PRIVATE KEY/);
        for (const [clientId, file, alg, passphrase] of cases) {
          const { status, body } = await postToken(idp, {
            grant_type: "client_credentials",
            scope: "openid",
            client_id: clientId,
            client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            client_assertion: await clientAssertion(idp, clientId, file, alg, passphrase),
          });
          assert.equal(status, 200, `${clientId} ${file}: ${JSON.stringify(body)}`);
          assert.equal(typeof body.access_token, "string");
        }
        // An ES256 assertion for the RS256 client is refused.
        const { status, body } = await postToken(idp, {
          grant_type: "client_credentials",
          client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
          client_assertion: await clientAssertion(
            idp,
            CLIENTS.rs256.clientId,
            files.ecPkcs8,
            "ES256",
          ),
        });
        assert.equal(status, 401);
        assert.equal(body.error, "invalid_client");
      },
    );

    await t.step("authorization code + PKCE via the driver, any loopback redirect", async () => {
      idp.resetCounters();
      const loopback = loopbackServer();
      try {
        const redirectUri = `http://localhost:${loopback.port}/callback/ABC123`;
        const { url, verifier, state } = await authorizationUrl(as, redirectUri);
        const { callbackUrl, response } = await completeBrowserLogin(url, { user: USERS.alice });
        assert.equal(response.status, 200);
        assert.match(response.body, /Signed in/);
        assert.equal(loopback.hits.length, 1);
        assert.equal(loopback.hits[0].pathname, "/callback/ABC123");
        assert.ok(callbackUrl.startsWith(redirectUri));

        const params = oauth.validateAuthResponse(as, cli, new URL(callbackUrl), state);
        const tokens = await oauth.processAuthorizationCodeResponse(
          as,
          cli,
          await oauth.authorizationCodeGrantRequest(
            as,
            cli,
            oauth.None(),
            params,
            redirectUri,
            verifier,
            insecure,
          ),
        );
        assert.equal(typeof tokens.refresh_token, "string");
        assert.ok(Math.abs((tokens.expires_in as number) - 3600) <= 1, "expires_in");
        // Computed from the token's exp at answer time: a second boundary may pass in between.
        const refreshIn = tokens.refresh_expires_in as number;
        assert.ok(Math.abs(refreshIn - 14 * 24 * 3600) <= 2, `refresh_expires_in ${refreshIn}`);
        const claims = oauth.getValidatedIdTokenClaims(tokens)!;
        assert.equal(claims.sub, USERS.alice.sub);
        assert.equal(claims.email, USERS.alice.email);
        assert.equal(claims.name, "Alice Anders");
        assert.equal(claims.given_name, "Alice");
        assert.equal(claims.family_name, "Anders");
        assert.equal(claims.email_verified, true);

        // Rotation: the refresh gives a new refresh token; the old one is then invalid_grant.
        const refreshed = await oauth.processRefreshTokenResponse(
          as,
          cli,
          await oauth.refreshTokenGrantRequest(
            as,
            cli,
            oauth.None(),
            tokens.refresh_token!,
            insecure,
          ),
        );
        assert.notEqual(refreshed.refresh_token, tokens.refresh_token);
        assert.equal(typeof refreshed.refresh_expires_in, "number");
        const replay = await postToken(idp, {
          grant_type: "refresh_token",
          client_id: cli.client_id,
          refresh_token: tokens.refresh_token!,
        });
        assert.equal(replay.status, 400);
        assert.equal(replay.body.error, "invalid_grant");
        assert.equal(idp.counters.authorization_code, 1);
        assert.equal(idp.counters.refresh_token, 2);
      } finally {
        await loopback.close();
      }
    });

    await t.step("redirect URI rules: 127.0.0.1 and [::1] any path; others refused", async () => {
      const driver = new BrowserDriver();
      for (const redirectUri of ["http://127.0.0.1:1234/any/path", "http://[::1]:9/x"]) {
        const { url } = await authorizationUrl(as, redirectUri);
        const { callbackUrl } = await driver.completeBrowserLogin(url, {
          user: USERS.bob,
          followCallback: false,
        });
        assert.ok(callbackUrl.startsWith(`${redirectUri}?code=`), callbackUrl);
      }
      const { url } = await authorizationUrl(as, "http://evil.example:1234/callback");
      await assert.rejects(
        () => driver.completeBrowserLogin(url, { user: USERS.bob }),
        (error: BrowserFlowError) => error.response.status === 400,
      );
      // PKCE is required for the public client.
      const noPkce = new URL(url);
      noPkce.searchParams.set("redirect_uri", "http://localhost:1234/cb");
      noPkce.searchParams.delete("code_challenge");
      noPkce.searchParams.delete("code_challenge_method");
      const { callbackUrl } = await driver.completeBrowserLogin(noPkce, {
        user: USERS.bob,
        followCallback: false,
      });
      assert.equal(new URL(callbackUrl).searchParams.get("error"), "invalid_request");
    });

    await t.step(
      "driver reaches http://localhost:<port> when the server binds ::1 only",
      async () => {
        let loopback;
        try {
          loopback = loopbackServer("::1");
        } catch {
          return; // no IPv6 loopback on this machine
        }
        try {
          const { url } = await authorizationUrl(as, `http://localhost:${loopback.port}/cb/v6`);
          const { response } = await completeBrowserLogin(url, { user: USERS.bob });
          assert.equal(response.status, 200);
          assert.equal(loopback.hits[0].pathname, "/cb/v6");
        } finally {
          await loopback.close();
        }
      },
    );

    await t.step("wrong password is refused; cancel gives access_denied", async () => {
      const { url } = await authorizationUrl(as, "http://localhost:1/cb");
      await assert.rejects(
        () => completeBrowserLogin(url, { user: USERS.alice, password: "nope" }),
        (error: BrowserFlowError) =>
          error.message.includes("login refused") &&
          error.response.body.includes("Invalid username or password"),
      );
      const login = await completeBrowserLogin(url, { user: USERS.alice, stopAt: "login" });
      assert.match(login.response.body, /id="kc-form-login"/);
      const denied = await completeBrowserLogin(url, {
        user: USERS.alice,
        deny: true,
        followCallback: false,
      });
      assert.equal(new URL(denied.callbackUrl).searchParams.get("error"), "access_denied");
    });

    await t.step("revocation makes introspection inactive and findSession 401", async () => {
      idp.resetCounters();
      const tokens = await userLogin(as, new BrowserDriver());
      assert.equal((await idp.introspect(tokens.access_token)).active, true);
      assert.equal((await findSession(idp, tokens.access_token)).status, 200);
      await oauth.processRevocationResponse(
        await oauth.revocationRequest(as, cli, oauth.None(), tokens.refresh_token!, insecure),
      );
      assert.equal(idp.counters.revocation, 1);
      assert.equal((await idp.introspect(tokens.refresh_token!)).active, false);
      // Revoking the refresh token revokes the grant, hence its access tokens.
      assert.equal((await idp.introspect(tokens.access_token)).active, false);
      const session = await findSession(idp, tokens.access_token);
      assert.equal(session.status, 401);
      assert.equal(session.body.success, false);
    });

    await t.step("device flow: pending, forced slow_down, approval, denial", async () => {
      idp.resetCounters();
      const start = async () =>
        await oauth.processDeviceAuthorizationResponse(
          as,
          cli,
          await oauth.deviceAuthorizationRequest(as, cli, oauth.None(), {
            scope: "openid email profile",
          }, insecure),
        );
      const poll = async (deviceCode: string) =>
        await postToken(idp, {
          grant_type: "urn:ietf:params:oauth:grant-type:device_code",
          client_id: cli.client_id,
          device_code: deviceCode,
        });

      const device = await start();
      assert.equal(device.verification_uri, idp.endpoints.deviceVerification);
      assert.equal((await poll(device.device_code)).body.error, "authorization_pending");
      idp.forceSlowDown(2);
      assert.equal((await poll(device.device_code)).body.error, "slow_down");
      assert.equal((await poll(device.device_code)).body.error, "slow_down");
      assert.equal((await poll(device.device_code)).body.error, "authorization_pending");

      const approval = await new BrowserDriver().approveDeviceCode(device.user_code, {
        verificationUri: device.verification_uri,
        user: USERS.bob,
      });
      assert.equal(approval.outcome, "approved");
      const granted = await poll(device.device_code);
      assert.equal(granted.status, 200);
      assert.equal(typeof granted.body.refresh_token, "string");
      assert.equal(typeof granted.body.refresh_expires_in, "number");
      const session = await findSession(idp, String(granted.body.access_token));
      assert.equal(session.body.result.user.email, USERS.bob.email);

      const other = await start();
      const denial = await new BrowserDriver().approveDeviceCode(other.user_code, {
        verificationUri: other.verification_uri_complete!,
        user: USERS.bob,
        deny: true,
      });
      assert.equal(denial.outcome, "denied");
      assert.equal((await poll(other.device_code)).body.error, "access_denied");
      await assert.rejects(() =>
        new BrowserDriver().approveDeviceCode("BCDF-GHJK", {
          verificationUri: idp.endpoints.deviceVerification,
          user: USERS.bob,
        }), BrowserFlowError);
      assert.equal(idp.counters["urn:ietf:params:oauth:grant-type:device_code"], 6);
      assert.equal(idp.counters.device_authorization, 2);
    });

    await t.step("findSession: user, service, invalid; platform down", async () => {
      idp.resetCounters();
      const user = await userLogin(as, new BrowserDriver(), USERS.bob);
      const { status, body } = await findSession(idp, user.access_token);
      assert.equal(status, 200);
      assert.deepEqual(body, {
        success: true,
        result: {
          user: {
            guid: USERS.bob.sub,
            email: "bob@example.com",
            firstname: "Bob",
            lastname: "Brown",
          },
          org: ORGS.acme,
          orgs: [ORGS.acme],
        },
      });
      const service = await postToken(idp, {
        grant_type: "client_credentials",
        client_id: CLIENTS.post.clientId,
        client_secret: CLIENTS.post.clientSecret,
      });
      assert.deepEqual((await findSession(idp, String(service.body.access_token))).body, {
        success: true,
        result: null,
      });
      assert.equal((await findSession(idp, "not-a-token")).status, 401);
      idp.setPlatformDown(true);
      assert.equal((await findSession(idp, user.access_token)).status, 503);
      idp.setPlatformDown(false);
      assert.equal(idp.platformRequests, 4);
    });

    await t.step("org.select in the same browser changes findSession's org", async () => {
      const browser = new BrowserDriver();
      const tokens = await userLogin(as, browser, USERS.alice);
      const before = await findSession(idp, tokens.access_token);
      assert.deepEqual(before.body.result.org, ORGS.acme);
      assert.deepEqual(before.body.result.orgs, [ORGS.acme, ORGS.beta]);

      const loopback = loopbackServer();
      try {
        const back = `http://localhost:${loopback.port}/org-selected`;
        const select = (orgId: string, driver = browser) =>
          driver.visit(
            `${idp.platformUrl}/auth/org.select?${new URLSearchParams({
              org_hint: orgId,
              redirect: back,
            })}`,
          );
        const page = await select(ORGS.beta.org_id);
        assert.equal(page.status, 200);
        assert.equal(loopback.hits[0].pathname, "/org-selected");
        assert.deepEqual((await findSession(idp, tokens.access_token)).body.result.org, ORGS.beta);
        // Any token of that user now sees the new org.
        const again = await userLogin(as, browser, USERS.alice);
        assert.deepEqual((await findSession(idp, again.access_token)).body.result.org, ORGS.beta);

        assert.equal((await select("999999")).status, 400);
        assert.equal((await select(ORGS.acme.org_id, new BrowserDriver())).status, 401);
        assert.equal(idp.currentOrg(USERS.alice.sub)?.org_id, ORGS.beta.org_id);
      } finally {
        await loopback.close();
      }
    });
  } finally {
    await idp.close();
    await idp.close();
  }
});

Deno.test("test idp: options (no device flow, short lifetimes, no platform)", async () => {
  const idp = await startIdp({
    device: false,
    platform: false,
    ttl: { accessToken: 2, refreshToken: 5, clientCredentials: 3 },
  });
  try {
    const doc = await (await fetch(idp.endpoints.discovery)).json();
    assert.equal(doc.device_authorization_endpoint, undefined);
    assert.equal(idp.platformUrl, "");
    const service = await postToken(idp, {
      grant_type: "client_credentials",
      client_id: CLIENTS.post.clientId,
      client_secret: CLIENTS.post.clientSecret,
    });
    assert.ok(Math.abs((service.body.expires_in as number) - 3) <= 1, "expires_in");
    const tokens = await userLogin(await discover(idp), new BrowserDriver());
    assert.ok(Math.abs((tokens.expires_in as number) - 2) <= 1, "expires_in");
    assert.ok(Math.abs((tokens.refresh_expires_in as number) - 5) <= 1);
  } finally {
    await idp.close();
  }
});

Deno.test({
  name: "test idp: HTTPS provider and platform",
  ignore: !(await opensslAvailable()),
  async fn() {
    const tls = await createTestPki();
    const idp = await startIdp({
      https: { cert: tls.serverCert, key: tls.serverKey, ca: tls.caCert },
    });
    const client = Deno.createHttpClient({ caCerts: [tls.caCert] });
    const browser = new BrowserDriver({ caCerts: [tls.caCert] });
    try {
      assert.match(idp.issuer, /^https:\/\/127\.0\.0\.1:\d+\/auth\/realms\/Broker$/);
      assert.match(idp.platformUrl, /^https:/);
      const doc = await (await fetch(idp.endpoints.discovery, { client })).json();
      assert.equal(doc.issuer, idp.issuer);
      const response = await fetch(idp.endpoints.token, {
        client,
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: "client_credentials",
          client_id: CLIENTS.post.clientId,
          client_secret: CLIENTS.post.clientSecret,
        }),
      });
      const tokens = await response.json();
      assert.equal((await idp.introspect(tokens.access_token)).active, true);

      // Secure session cookie: the browser stand-in signs in, then org.select sees the session.
      const url = new URL(idp.endpoints.authorization);
      url.search = new URLSearchParams({
        client_id: CLIENTS.cli.clientId,
        redirect_uri: "http://localhost:1/cb",
        response_type: "code",
        scope: "openid",
        code_challenge: await oauth.calculatePKCECodeChallenge(oauth.generateRandomCodeVerifier()),
        code_challenge_method: "S256",
      }).toString();
      const { callbackUrl } = await browser.completeBrowserLogin(url, {
        user: USERS.alice,
        followCallback: false,
      });
      assert.ok(new URL(callbackUrl).searchParams.get("code"));
      const select = await browser.visit(
        `${idp.platformUrl}/auth/org.select?org_hint=${ORGS.beta.org_id}`,
      );
      assert.equal(select.status, 200);
      assert.equal(idp.currentOrg(USERS.alice.sub)?.name, "Beta Corp");
    } finally {
      browser.close();
      client.close();
      await idp.close();
      await tls.remove();
    }
  },
});

// Opt-in (IDP_TEST_CHROMIUM=1, ~2 s): a real Chromium completes the login and device pages.
Deno.test({
  name: "test idp: pages work in a real Chromium",
  ignore: !Deno.env.get("IDP_TEST_CHROMIUM"),
  async fn() {
    const { chromium } = await import("playwright-core");
    const idp = await startIdp();
    const loopback = loopbackServer();
    const profile = await Deno.makeTempDir({ prefix: "axway-test-chromium-" });
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: Deno.env.get("CHROMIUM_PATH") ?? "/usr/bin/chromium",
      headless: true,
    });
    try {
      const page = context.pages()[0] ?? await context.newPage();
      const { url } = await authorizationUrl(
        await discover(idp),
        `http://localhost:${loopback.port}/callback/XYZ`,
      );
      await page.goto(url.href, { waitUntil: "domcontentloaded" });
      await page.fill("input[name=username]", USERS.alice.email);
      await page.fill("input[name=password]", "wrong");
      await page.click("#kc-login");
      await page.waitForSelector("#input-error");
      await page.fill("input[name=password]", USERS.alice.password);
      await Promise.all([
        page.waitForURL(/\/callback\/XYZ\?code=/, { waitUntil: "domcontentloaded" }),
        page.click("#kc-login"),
      ]);
      await page.goto(
        `${idp.platformUrl}/auth/org.select?org_hint=${ORGS.beta.org_id}&redirect=${
          encodeURIComponent(`http://localhost:${loopback.port}/org`)
        }`,
        { waitUntil: "domcontentloaded" },
      );
      assert.equal(idp.currentOrg(USERS.alice.sub)?.org_id, ORGS.beta.org_id);

      const device = await (await fetch(idp.endpoints.deviceAuthorization, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ client_id: CLIENTS.cli.clientId, scope: "openid" }),
      })).json();
      await page.goto(device.verification_uri, { waitUntil: "domcontentloaded" });
      await page.fill("input[name=user_code]", device.user_code);
      await page.click("#device-continue");
      await page.click("#device-confirm");
      await page.waitForSelector("#device-success");
      const granted = await postToken(idp, {
        grant_type: "urn:ietf:params:oauth:grant-type:device_code",
        client_id: CLIENTS.cli.clientId,
        device_code: device.device_code,
      });
      assert.equal(granted.status, 200);
    } finally {
      await context.close();
      await loopback.close();
      await idp.close();
      await Deno.remove(profile, { recursive: true });
    }
  },
});
