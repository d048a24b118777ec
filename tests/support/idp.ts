/**
 * Bundled identity provider for tests and the demo: oidc-provider@9 running in-process, laid out
 * like Keycloak (`<baseUrl>/auth/realms/Broker`), plus an Amplify Platform API stand-in.
 *
 * ```ts
 * const idp = await startIdp();
 * try {
 *   // idp.issuer, idp.platformUrl, CLIENTS.cli.clientId, USERS.alice ...
 * } finally {
 *   await idp.close();
 * }
 * ```
 *
 * @module
 */
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { randomBytes } from "node:crypto";
import { CLIENTS, findUserByEmail, findUserBySub, REALM } from "./fixtures.ts";
import { getIdpKeys, type IdpKeys, KEY_PASSPHRASE, type KeyFiles, writeKeyFiles } from "./keys.ts";
import {
  deviceConfirmPage,
  deviceInputPage,
  deviceSuccessPage,
  errorPage,
  layout,
  loginPage,
  logoutPage,
} from "./pages.ts";
import {
  type PlatformBackend,
  startPlatform,
  type TestPlatform,
  type TokenOwner,
} from "./platform.ts";

export { CLIENTS, type Org, ORGS, PASSWORD, REALM, type TestUser, USERS } from "./fixtures.ts";
export { KEY_PASSPHRASE, type KeyFiles } from "./keys.ts";

/** Token lifetimes in seconds. */
export interface IdpTtl {
  /** Access tokens from authorization_code / refresh_token / device_code (default 3600). */
  readonly accessToken?: number;
  /** Refresh tokens (default 14 days). */
  readonly refreshToken?: number;
  /** Access tokens from client_credentials (default 3600). */
  readonly clientCredentials?: number;
  /** Device codes (default 600). */
  readonly deviceCode?: number;
}

/** Options of {@link startIdp}. */
export interface IdpOptions {
  /** Provider port on 127.0.0.1 (default: ephemeral). */
  readonly port?: number;
  /** Platform stand-in port on 127.0.0.1 (default: ephemeral). */
  readonly platformPort?: number;
  /** Start the platform stand-in (default true). */
  readonly platform?: boolean;
  /** Enable the device authorization grant (default true). */
  readonly device?: boolean;
  /**
   * `interval` (seconds) announced in device authorization responses. Default: none is sent, so
   * clients poll every 5 s (RFC 8628 §3.2); tests lower it to keep the device flow quick.
   */
  readonly deviceInterval?: number;
  /** Token lifetimes. */
  readonly ttl?: IdpTtl;
  /** Clock skew tolerance of the provider in seconds (default 0). */
  readonly clockTolerance?: number;
  /** Serve provider and platform over HTTPS with this PEM certificate and key. */
  readonly https?: {
    readonly cert: string;
    readonly key: string;
    /** CA certificate that signed `cert` (PEM), trusted by `introspect`; default `cert` itself. */
    readonly ca?: string;
  };
}

/** Grant types counted in {@link TestIdp.counters}. */
export type CountedGrantType =
  | "authorization_code"
  | "refresh_token"
  | "client_credentials"
  | "urn:ietf:params:oauth:grant-type:device_code";

/** Request counters of the provider's endpoints. */
export type IdpCounters = Record<CountedGrantType, number> & {
  /** Requests to the revocation endpoint. */
  revocation: number;
  /** Requests to the device authorization endpoint. */
  device_authorization: number;
  /** Requests to the introspection endpoint (not counting {@link TestIdp.introspect}). */
  introspection: number;
};

/** An introspection response (RFC 7662). */
export interface IntrospectionResult {
  /** Whether the token is currently active. */
  readonly active: boolean;
  /** Other members (client_id, sub, scope, exp, token_type, ...). */
  readonly [claim: string]: unknown;
}

/** A running test identity provider. */
export interface TestIdp {
  /** `http://127.0.0.1:<port>` (https when {@link IdpOptions.https} is set). */
  readonly baseUrl: string;
  /** Realm name, "Broker". */
  readonly realm: string;
  /** `<baseUrl>/auth/realms/Broker`. */
  readonly issuer: string;
  /** Provider port. */
  readonly port: number;
  /** Base URL of the platform stand-in (empty string when `platform: false`). */
  readonly platformUrl: string;
  /** Important endpoint URLs (same as in the discovery document). */
  readonly endpoints: {
    readonly discovery: string;
    readonly authorization: string;
    readonly token: string;
    readonly revocation: string;
    readonly introspection: string;
    readonly userinfo: string;
    readonly jwks: string;
    readonly endSession: string;
    /** Empty string when the device flow is disabled. */
    readonly deviceAuthorization: string;
    /** The user-facing device verification page (empty when the device flow is disabled). */
    readonly deviceVerification: string;
  };
  /** PEM files of the private_key_jwt client keys (removed on close). */
  readonly keyFiles: KeyFiles;
  /** Passphrase of `keyFiles.rsaEncrypted`. */
  readonly keyPassphrase: string;
  /** Token endpoint requests per grant type, and revocation/device/introspection requests. */
  readonly counters: Readonly<IdpCounters>;
  /** Number of requests the platform stand-in received. */
  readonly platformRequests: number;
  /** Paths (with query) of the platform requests, oldest first. */
  readonly platformRequestLog: readonly string[];
  /** Zeroes {@link TestIdp.counters} and the platform request counter/log. */
  resetCounters(): void;
  /** Introspects a token at the provider's introspection endpoint as the `svc-basic` client. */
  introspect(token: string): Promise<IntrospectionResult>;
  /** The next `n` device_code token requests answer `slow_down`. */
  forceSlowDown(n: number): void;
  /** Makes the platform stand-in answer 503 to everything (or serve again). */
  setPlatformDown(down: boolean): void;
  /** The user's current org on the platform (see `org.select`), by subject. */
  currentOrg(sub: string): { guid: string; org_id: string; name: string } | undefined;
  /** Stops every server started, removes the key directory; idempotent. */
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Minimal typings of the parts of oidc-provider used here (the package ships no types).

interface KoaContext {
  get(header: string): string;
  method: string;
  path: string;
  status: number;
  body: unknown;
  oidc?: { params?: Record<string, unknown>; client?: OidcClient };
}

interface OidcClient {
  clientId: string;
  clientName?: string;
  clientAuthMethod: string;
  grantTypeAllowed(type: string): boolean;
  redirectUriAllowed(value: string): boolean;
}

interface TokenModel {
  isValid: boolean;
  exp: number;
  accountId?: string;
  clientId: string;
  grantId?: string;
}

interface GrantModel {
  addOIDCScope(scope: string): void;
  addOIDCClaims(claims: string[]): void;
  addResourceScope(indicator: string, scope: string): void;
  save(): Promise<string>;
}

interface Interaction {
  uid: string;
  grantId?: string;
  prompt: {
    name: string;
    details: {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
  };
  params: Record<string, string | undefined>;
  session?: { accountId?: string };
}

interface OidcProvider {
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  use(middleware: (ctx: KoaContext, next: () => Promise<void>) => Promise<void>): void;
  on(event: string, listener: (...args: unknown[]) => void): void;
  interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<Interaction>;
  interactionFinished(
    req: IncomingMessage,
    res: ServerResponse,
    result: Record<string, unknown>,
    options?: { mergeWithLastSubmission?: boolean },
  ): Promise<void>;
  Client: {
    find(id: string): Promise<OidcClient | undefined>;
    prototype: OidcClient;
  };
  Grant: {
    new (init: { accountId?: string; clientId?: string }): GrantModel;
    find(id: string): Promise<GrantModel | undefined>;
  };
  Session: { find(id: string): Promise<{ accountId?: string } | undefined> };
  AccessToken: { find(value: string): Promise<TokenModel | undefined> };
  ClientCredentials: { find(value: string): Promise<TokenModel | undefined> };
  RefreshToken: { find(value: string): Promise<TokenModel | undefined> };
  DeviceCode: { find(...args: unknown[]): Promise<unknown> };
}

interface ProviderModule {
  default: {
    new (issuer: string, configuration: Record<string, unknown>): OidcProvider;
    /** The Koa context of the request being handled (AsyncLocalStorage). */
    readonly ctx?: KoaContext;
  };
  errors: { SlowDown: new (description?: string) => Error };
}

let providerModule: Promise<ProviderModule> | undefined;

/** Imports oidc-provider once, muting its "Unsupported runtime" warning (harmless under Deno). */
function loadProviderModule(): Promise<ProviderModule> {
  providerModule ??= (async () => {
    const warn = console.warn;
    console.warn = (...args: unknown[]) => {
      if (typeof args[0] === "string" && args[0].includes("Unsupported runtime")) return;
      warn(...args);
    };
    try {
      return (await import("oidc-provider")) as ProviderModule;
    } finally {
      console.warn = warn;
    }
  })();
  return providerModule;
}

// ---------------------------------------------------------------------------------------------
// Storage adapter: a per-provider in-memory store (oidc-provider's own prints a warning).

interface StoredEntry {
  payload: Record<string, unknown>;
  expiresAt: number;
}

function createAdapterFactory() {
  const store = new Map<string, StoredEntry>();
  const grants = new Map<string, Set<string>>();
  const sessionUids = new Map<string, string>();
  const userCodes = new Map<string, string>();
  const get = (key: string) => {
    const entry = store.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      store.delete(key);
      return undefined;
    }
    return entry.payload;
  };

  class Adapter {
    constructor(private readonly model: string) {}
    private key(id: string) {
      return `${this.model}:${id}`;
    }
    upsert(id: string, payload: Record<string, unknown>, expiresIn?: number): Promise<void> {
      const key = this.key(id);
      const expiresAt = typeof expiresIn === "number" ? Date.now() + expiresIn * 1000 : Infinity;
      store.set(key, { payload, expiresAt });
      if (typeof payload.grantId === "string") {
        let members = grants.get(payload.grantId);
        if (!members) grants.set(payload.grantId, members = new Set());
        members.add(key);
      }
      if (this.model === "Session" && typeof payload.uid === "string") {
        sessionUids.set(payload.uid, id);
      }
      if (typeof payload.userCode === "string") userCodes.set(payload.userCode, id);
      return Promise.resolve();
    }
    find(id: string) {
      return Promise.resolve(get(this.key(id)));
    }
    findByUid(uid: string) {
      const id = sessionUids.get(uid);
      return Promise.resolve(id === undefined ? undefined : get(this.key(id)));
    }
    findByUserCode(userCode: string) {
      const id = userCodes.get(userCode);
      return Promise.resolve(id === undefined ? undefined : get(this.key(id)));
    }
    consume(id: string) {
      const payload = get(this.key(id));
      if (payload) payload.consumed = Math.floor(Date.now() / 1000);
      return Promise.resolve();
    }
    destroy(id: string) {
      store.delete(this.key(id));
      return Promise.resolve();
    }
    revokeByGrantId(grantId: string) {
      for (const key of grants.get(grantId) ?? []) store.delete(key);
      grants.delete(grantId);
      return Promise.resolve();
    }
  }
  return (model: string) => new Adapter(model);
}

// ---------------------------------------------------------------------------------------------

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** Axway ID accepts any loopback redirect URI for the CLI: any port, any path. */
function isLoopbackRedirect(value: string): boolean {
  const url = URL.parse(value);
  return !!url && url.protocol === "http:" && LOOPBACK_HOSTS.has(url.hostname) &&
    !url.username && !url.password && !value.includes("#");
}

/** Keycloak's endpoint layout below the realm. */
const ROUTES = {
  authorization: "/protocol/openid-connect/auth",
  token: "/protocol/openid-connect/token",
  userinfo: "/protocol/openid-connect/userinfo",
  jwks: "/protocol/openid-connect/certs",
  end_session: "/protocol/openid-connect/logout",
  revocation: "/protocol/openid-connect/revoke",
  introspection: "/protocol/openid-connect/token/introspect",
  device_authorization: "/protocol/openid-connect/auth/device",
  code_verification: "/device",
  pushed_authorization_request: "/protocol/openid-connect/ext/par/request",
} as const;

const MOUNT = `/auth/realms/${REALM}`;
const DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";
const INTERNAL_HEADER = "x-test-idp-internal";
const SESSION_COOKIE = "_session";

function zeroCounters(): IdpCounters {
  return {
    authorization_code: 0,
    refresh_token: 0,
    client_credentials: 0,
    [DEVICE_GRANT]: 0,
    revocation: 0,
    device_authorization: 0,
    introspection: 0,
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  for await (const chunk of req) chunks.push(chunk as Uint8Array<ArrayBuffer>);
  return new TextDecoder().decode(await new Blob(chunks).arrayBuffer());
}

function sendHtml(res: ServerResponse, status: number, body: string): void {
  res.statusCode = status;
  res.setHeader("content-type", "text/html; charset=utf-8");
  res.setHeader("cache-control", "no-store");
  res.end(body);
}

function parseCookies(header: string | null): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? "").split(";")) {
    const i = part.indexOf("=");
    if (i > 0) cookies.set(part.slice(0, i).trim(), part.slice(i + 1).trim());
  }
  return cookies;
}

function clientName(client?: OidcClient): string {
  return client?.clientName ?? client?.clientId ?? "";
}

type Ttl = Required<IdpTtl>;

/** The static clients (see {@link CLIENTS}). */
function clientMetadata(keys: IdpKeys, device: boolean): Record<string, unknown>[] {
  const service: Record<string, unknown>[] = [
    {
      client_id: CLIENTS.basic.clientId,
      client_secret: CLIENTS.basic.clientSecret,
      token_endpoint_auth_method: "client_secret_basic",
    },
    {
      client_id: CLIENTS.post.clientId,
      client_secret: CLIENTS.post.clientSecret,
      token_endpoint_auth_method: "client_secret_post",
    },
    {
      client_id: CLIENTS.rs256.clientId,
      token_endpoint_auth_method: "private_key_jwt",
      token_endpoint_auth_signing_alg: "RS256",
      jwks: { keys: [{ ...keys.rsa.publicJwk, use: "sig", alg: "RS256" }] },
    },
    {
      client_id: CLIENTS.es256.clientId,
      token_endpoint_auth_method: "private_key_jwt",
      token_endpoint_auth_signing_alg: "ES256",
      jwks: { keys: [{ ...keys.ec.publicJwk, use: "sig", alg: "ES256" }] },
    },
  ];
  return [
    ...service.map((client) => ({
      ...client,
      client_name: client.client_id,
      grant_types: ["client_credentials"],
      response_types: [],
      redirect_uris: [],
      scope: "openid email profile",
    })),
    {
      client_id: CLIENTS.cli.clientId,
      client_name: "Axway CLI",
      application_type: "native",
      token_endpoint_auth_method: "none",
      grant_types: ["authorization_code", "refresh_token", ...(device ? [DEVICE_GRANT] : [])],
      response_types: ["code"],
      // Any loopback URI is accepted anyway (see isLoopbackRedirect).
      redirect_uris: ["http://localhost/callback", "http://127.0.0.1/callback"],
      scope: "openid email profile offline_access",
    },
    {
      client_id: CLIENTS.browserOnly.clientId,
      client_name: "Browser-only CLI",
      application_type: "native",
      token_endpoint_auth_method: "none",
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      redirect_uris: ["http://localhost/callback"],
      scope: "openid email profile",
    },
  ];
}

/** The oidc-provider configuration. */
function providerConfiguration(
  keys: IdpKeys,
  options: { device: boolean; ttl: Ttl; clockTolerance: number },
): Record<string, unknown> {
  const { device, ttl } = options;
  return {
    adapter: createAdapterFactory(),
    clients: clientMetadata(keys, device),
    jwks: {
      keys: [{
        ...keys.providerSigning.export({ format: "jwk" }),
        kid: "test-idp-rs256",
        use: "sig",
        alg: "RS256",
      }],
    },
    cookies: { keys: [randomBytes(32).toString("base64url")] },
    clockTolerance: options.clockTolerance,
    routes: ROUTES,
    scopes: ["openid", "offline_access", "email", "profile"],
    claims: {
      openid: ["sub"],
      email: ["email", "email_verified"],
      profile: ["name", "given_name", "family_name"],
    },
    // Like Keycloak: the ID token carries the scope claims (email, name, ...).
    conformIdTokenClaims: false,
    findAccount(_ctx: unknown, sub: string) {
      const user = findUserBySub(sub);
      if (!user) return undefined;
      return {
        accountId: sub,
        claims: () => ({
          sub,
          email: user.email,
          email_verified: true,
          given_name: user.given_name,
          family_name: user.family_name,
          name: user.name,
        }),
      };
    },
    interactions: {
      url: (_ctx: unknown, interaction: { uid: string }) =>
        `${MOUNT}/login-actions/${interaction.uid}`,
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true, allowedPolicy: () => true },
      revocation: {
        enabled: true,
        allowedPolicy: (_ctx: unknown, client: OidcClient, token: TokenModel) =>
          token.clientId === client.clientId,
      },
      deviceFlow: {
        enabled: device,
        userCodeInputSource(
          ctx: KoaContext,
          form: string,
          _out: unknown,
          err?: { name?: string; userCode?: string },
        ) {
          let message: string | undefined;
          if (err && (err.userCode || err.name === "NoCodeError")) {
            message = "The code you entered is incorrect. Try again";
          } else if (err?.name === "AbortedError") {
            message = "The Sign-in request was interrupted";
          } else if (err) message = "There was an error processing your request";
          ctx.body = deviceInputPage(form, message);
        },
        userCodeConfirmSource(
          ctx: KoaContext,
          form: string,
          client: OidcClient,
          _deviceInfo: unknown,
          userCode: string,
        ) {
          ctx.body = deviceConfirmPage(form, clientName(client), userCode);
        },
        successSource(ctx: KoaContext) {
          ctx.body = deviceSuccessPage(clientName(ctx.oidc?.client));
        },
      },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource(ctx: KoaContext, form: string) {
          ctx.body = logoutPage(form);
        },
        postLogoutSuccessSource(ctx: KoaContext) {
          ctx.body = layout("Signed out", "<p>You have been signed out.</p>");
        },
      },
    },
    clientBasedCORS: () => true,
    pkce: { required: (_ctx: unknown, client: OidcClient) => client.clientAuthMethod === "none" },
    // Keycloak issues refresh tokens to the CLI without offline_access.
    issueRefreshToken: (_ctx: unknown, client: OidcClient) =>
      Promise.resolve(client.grantTypeAllowed("refresh_token")),
    rotateRefreshToken: () => true,
    expiresWithSession: () => Promise.resolve(false),
    ttl: {
      AccessToken: () => ttl.accessToken,
      AuthorizationCode: () => 60,
      ClientCredentials: () => ttl.clientCredentials,
      DeviceCode: () => ttl.deviceCode,
      IdToken: () => ttl.accessToken,
      RefreshToken: () => ttl.refreshToken,
      Interaction: () => 3600,
      Session: () => Math.max(ttl.refreshToken, 3600),
      Grant: () => Math.max(ttl.refreshToken, 3600),
    },
    renderError(ctx: KoaContext & { type?: string }, out: Record<string, unknown>) {
      ctx.type = "html";
      ctx.body = errorPage(out);
    },
  };
}

/** Mutable state the provider hooks and the {@link TestIdp} methods share. */
interface HookState {
  readonly counters: IdpCounters;
  slowDowns: number;
  readonly deviceInterval?: number;
}

/** Installs the test behaviour: loopback redirects, forced slow_down, counters, Keycloak extras. */
function installHooks(module: ProviderModule, provider: OidcProvider, state: HookState): void {
  const { default: Provider, errors } = module;

  // Only the CLI client gets Axway ID's "any loopback URI, any port, any path" rule.
  const redirectUriAllowed = provider.Client.prototype.redirectUriAllowed;
  provider.Client.prototype.redirectUriAllowed = function (this: OidcClient, value: string) {
    if (this.clientId === CLIENTS.cli.clientId && isLoopbackRedirect(value)) return true;
    return redirectUriAllowed.call(this, value);
  };

  // oidc-provider never answers slow_down itself. The device_code grant looks the device code
  // up first: answer slow_down from there (only on the token endpoint).
  const deviceCodeFind = provider.DeviceCode.find;
  provider.DeviceCode.find = function (this: unknown, ...args: unknown[]) {
    if (state.slowDowns > 0 && Provider.ctx?.path === ROUTES.token) {
      state.slowDowns--;
      return Promise.reject(new errors.SlowDown());
    }
    return deviceCodeFind.apply(this, args);
  };

  const { counters } = state;
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.method !== "POST") return;
    if (ctx.path === ROUTES.token) {
      const grantType = ctx.oidc?.params?.grant_type;
      if (typeof grantType === "string" && grantType in counters) {
        counters[grantType as CountedGrantType]++;
      }
      // Keycloak's refresh_expires_in.
      const body = ctx.body as Record<string, unknown> | undefined;
      if (ctx.status === 200 && body && typeof body.refresh_token === "string") {
        const refresh = await provider.RefreshToken.find(body.refresh_token);
        if (refresh) {
          body.refresh_expires_in = Math.max(0, refresh.exp - Math.floor(Date.now() / 1000));
        }
      }
    } else if (ctx.path === ROUTES.revocation) {
      counters.revocation++;
    } else if (ctx.path === ROUTES.device_authorization) {
      counters.device_authorization++;
      const body = ctx.body as Record<string, unknown> | undefined;
      if (ctx.status === 200 && body && state.deviceInterval !== undefined) {
        body.interval = state.deviceInterval;
      }
      // Keycloak answers unauthorized_client for a client without the device grant;
      // oidc-provider says invalid_request.
      if (
        ctx.status === 400 && body?.error === "invalid_request" &&
        /is not allowed for this client/.test(String(body.error_description))
      ) {
        body.error = "unauthorized_client";
      }
    } else if (ctx.path === ROUTES.introspection && ctx.get(INTERNAL_HEADER) !== "1") {
      counters.introspection++;
    }
  });

  provider.on("server_error", (_ctx, error) => console.error("test idp: server_error", error));
}

/** Serves `<mount>/login-actions/<uid>`: the login form (and automatic consent). */
async function handleInteraction(
  provider: OidcProvider,
  req: IncomingMessage,
  res: ServerResponse,
  uid: string,
): Promise<void> {
  let details: Interaction;
  try {
    details = await provider.interactionDetails(req, res);
  } catch (error) {
    return sendHtml(res, 400, errorPage({ error: "invalid_request", detail: String(error) }));
  }
  if (details.uid !== uid) {
    return sendHtml(res, 400, errorPage({ error: "invalid_request", detail: "uid mismatch" }));
  }
  const client = await provider.Client.find(details.params.client_id ?? "");
  const action = `${MOUNT}/login-actions/${uid}`;
  const form = req.method === "POST" ? new URLSearchParams(await readBody(req)) : undefined;

  if (form?.get("cancel")) {
    return provider.interactionFinished(req, res, {
      error: "access_denied",
      error_description: "End-User aborted interaction",
    }, { mergeWithLastSubmission: false });
  }

  if (details.prompt.name === "login") {
    const page = (username?: string, error?: string) =>
      sendHtml(res, 200, loginPage({ action, clientName: clientName(client), username, error }));
    if (!form) return page(details.params.login_hint);
    const username = form.get("username") ?? "";
    const user = findUserByEmail(username);
    if (!user || form.get("password") !== user.password) {
      return page(username, "Invalid username or password.");
    }
    return provider.interactionFinished(req, res, { login: { accountId: user.sub } }, {
      mergeWithLastSubmission: false,
    });
  }

  if (details.prompt.name === "consent") {
    // Every client here is first-party: consent is granted without asking (Keycloak, consent off).
    const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = details.prompt.details;
    const grant = (details.grantId ? await provider.Grant.find(details.grantId) : undefined) ??
      new provider.Grant({
        accountId: details.session?.accountId,
        clientId: details.params.client_id,
      });
    if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(" "));
    if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(" "));
    }
    const grantId = await grant.save();
    return provider.interactionFinished(req, res, { consent: { grantId } }, {
      mergeWithLastSubmission: true,
    });
  }

  sendHtml(res, 501, errorPage({ error: "unsupported_prompt", prompt: details.prompt.name }));
}

/** Routes a request: interactions, else the provider mounted like `app.use(MOUNT, provider)`. */
function createRequestHandler(getProvider: () => OidcProvider | undefined) {
  let callback: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const provider = getProvider();
    const url = req.url ?? "/";
    const path = url.split("?")[0];
    if (!provider || (path !== MOUNT && !path.startsWith(`${MOUNT}/`))) {
      return sendHtml(res, 404, errorPage({ error: "not_found", path }));
    }
    const rest = url.slice(MOUNT.length);
    const interaction = /^\/login-actions\/([^/?]+)(?:\?.*)?$/.exec(rest);
    if (interaction) return await handleInteraction(provider, req, res, interaction[1]);
    // oidc-provider derives its mount path from req.originalUrl minus req.url (express style).
    Object.assign(req, {
      originalUrl: url,
      baseUrl: MOUNT,
      url: rest.startsWith("/") ? rest : `/${rest}`,
    });
    callback ??= provider.callback();
    callback(req, res);
  };
  return (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((error) => {
      console.error("test idp: request failed", error);
      if (!res.headersSent) sendHtml(res, 500, errorPage({ error: "server_error" }));
      else res.end();
    });
  };
}

/** Listens on 127.0.0.1 and returns the port. */
function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : port);
    });
  });
}

/** Closes a node server and its open (keep-alive) connections. */
function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** Platform backend: token and browser-session lookups straight in the provider's models. */
function platformBackend(provider: OidcProvider): PlatformBackend {
  return {
    async tokenOwner(token: string): Promise<TokenOwner | undefined> {
      const access = await provider.AccessToken.find(token);
      if (access?.isValid) {
        if (access.grantId && !(await provider.Grant.find(access.grantId))) return undefined;
        return access.accountId ? { kind: "user", sub: access.accountId } : undefined;
      }
      const service = await provider.ClientCredentials.find(token);
      if (service?.isValid) return { kind: "service", clientId: service.clientId };
      return undefined;
    },
    async sessionSubject(request: Request) {
      const id = parseCookies(request.headers.get("cookie")).get(SESSION_COOKIE);
      if (!id) return undefined;
      return (await provider.Session.find(id))?.accountId;
    },
  };
}

/**
 * Starts the test identity provider (and, unless `options.platform === false`, the platform
 * stand-in). Always `close()` it: deno test's op and resource sanitizers pass after close.
 */
export async function startIdp(options: IdpOptions = {}): Promise<TestIdp> {
  const device = options.device !== false;
  const ttl: Ttl = {
    accessToken: options.ttl?.accessToken ?? 3600,
    refreshToken: options.ttl?.refreshToken ?? 14 * 24 * 3600,
    clientCredentials: options.ttl?.clientCredentials ?? 3600,
    deviceCode: options.ttl?.deviceCode ?? 600,
  };
  const scheme = options.https ? "https" : "http";

  const [keys, module] = await Promise.all([getIdpKeys(), loadProviderModule()]);
  const cleanups: (() => Promise<void> | void)[] = [];
  const runCleanups = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  };

  try {
    const keyDir = await Deno.makeTempDir({ prefix: "axway-test-idp-" });
    cleanups.push(() => Deno.remove(keyDir, { recursive: true }).catch(() => {}));
    const keyFiles = await writeKeyFiles(keys, keyDir);

    // Listen first: the issuer contains the port.
    const ready: { provider?: OidcProvider } = {};
    const handler = createRequestHandler(() => ready.provider);
    const server: Server = options.https
      ? createHttpsServer({ cert: options.https.cert, key: options.https.key }, handler)
      : createHttpServer(handler);
    const port = await listen(server, options.port ?? 0);
    cleanups.push(() => closeServer(server));
    const baseUrl = `${scheme}://127.0.0.1:${port}`;
    const issuer = `${baseUrl}${MOUNT}`;

    const provider = new module.default(
      issuer,
      providerConfiguration(keys, { device, ttl, clockTolerance: options.clockTolerance ?? 0 }),
    );
    const state: HookState = {
      counters: zeroCounters(),
      slowDowns: 0,
      deviceInterval: options.deviceInterval,
    };
    installHooks(module, provider, state);
    ready.provider = provider;

    let platform: TestPlatform | undefined;
    if (options.platform !== false) {
      platform = await startPlatform({
        backend: platformBackend(provider),
        port: options.platformPort,
        https: options.https,
      });
      cleanups.push(() => platform!.close());
    }

    // introspect() trusts the test certificate in HTTPS mode.
    let httpClient: Deno.HttpClient | undefined;
    if (options.https) {
      httpClient = Deno.createHttpClient({ caCerts: [options.https.ca ?? options.https.cert] });
      cleanups.push(() => httpClient!.close());
    }

    const endpoint = (route: string) => `${issuer}${route}`;
    let closing: Promise<void> | undefined;
    return {
      baseUrl,
      realm: REALM,
      issuer,
      port,
      platformUrl: platform?.url ?? "",
      endpoints: {
        discovery: `${issuer}/.well-known/openid-configuration`,
        authorization: endpoint(ROUTES.authorization),
        token: endpoint(ROUTES.token),
        revocation: endpoint(ROUTES.revocation),
        introspection: endpoint(ROUTES.introspection),
        userinfo: endpoint(ROUTES.userinfo),
        jwks: endpoint(ROUTES.jwks),
        endSession: endpoint(ROUTES.end_session),
        deviceAuthorization: device ? endpoint(ROUTES.device_authorization) : "",
        deviceVerification: device ? endpoint(ROUTES.code_verification) : "",
      },
      keyFiles,
      keyPassphrase: KEY_PASSPHRASE,
      counters: state.counters,
      get platformRequests() {
        return platform?.requests ?? 0;
      },
      get platformRequestLog() {
        return platform?.requestLog ?? [];
      },
      resetCounters() {
        Object.assign(state.counters, zeroCounters());
        platform?.resetRequests();
      },
      async introspect(token: string) {
        const credentials = `${CLIENTS.basic.clientId}:${CLIENTS.basic.clientSecret}`;
        const response = await fetch(endpoint(ROUTES.introspection), {
          method: "POST",
          headers: {
            authorization: `Basic ${btoa(credentials)}`,
            "content-type": "application/x-www-form-urlencoded",
            [INTERNAL_HEADER]: "1",
          },
          body: new URLSearchParams({ token }),
          ...(httpClient ? { client: httpClient } : {}),
        });
        const body = await response.json();
        if (!response.ok) throw new Error(`introspection failed: ${JSON.stringify(body)}`);
        return body as IntrospectionResult;
      },
      forceSlowDown(n: number) {
        state.slowDowns = n;
      },
      setPlatformDown(down: boolean) {
        if (!platform) throw new Error("the platform stand-in was not started");
        platform.setDown(down);
      },
      currentOrg(sub: string) {
        return platform?.currentOrg(sub);
      },
      close() {
        closing ??= runCleanups();
        return closing;
      },
    };
  } catch (error) {
    await runCleanups();
    throw error;
  }
}
