/**
 * Stand-in for the Amplify Platform API the CLI talks to after login: `findSession` and the
 * browser-driven `org.select`.
 *
 * @module
 */
import { findOrg, findUserBySub, type Org, type TestUser } from "./fixtures.ts";

/** Who an access token belongs to, as the identity provider knows it. */
export type TokenOwner =
  | { readonly kind: "user"; readonly sub: string }
  | { readonly kind: "service"; readonly clientId: string };

/** What the platform needs from the identity provider. */
export interface PlatformBackend {
  /** Resolves a bearer access token; undefined when unknown, revoked or expired. */
  tokenOwner(token: string): Promise<TokenOwner | undefined>;
  /** Resolves the provider's browser session from a request's cookies to a subject. */
  sessionSubject(request: Request): Promise<string | undefined>;
}

/** Options of {@link startPlatform}. */
export interface PlatformOptions {
  /** Backend used to validate tokens and browser sessions. */
  readonly backend: PlatformBackend;
  /** Port to listen on (127.0.0.1); 0 or undefined for an ephemeral port. */
  readonly port?: number;
  /** Serve HTTPS with this PEM certificate chain and key. */
  readonly https?: { readonly cert: string; readonly key: string };
}

/** A running platform stand-in. */
export interface TestPlatform {
  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  /** Number of requests received since start or the last {@link TestPlatform.resetRequests}. */
  readonly requests: number;
  /** Paths (with query) of the requests received, oldest first. */
  readonly requestLog: readonly string[];
  /** Resets {@link TestPlatform.requests} and {@link TestPlatform.requestLog}. */
  resetRequests(): void;
  /** When down, every request is answered 503. */
  setDown(down: boolean): void;
  /** The user's current org (the first of their orgs until `org.select` changes it). */
  currentOrg(sub: string): Org | undefined;
  /** Stops the server; idempotent. */
  close(): Promise<void>;
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
  });
}

function html(status: number, title: string, message: string): Response {
  const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return new Response(
    `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${escape(title)}</title></head>` +
      `<body><h1>${escape(title)}</h1><p>${escape(message)}</p></body></html>`,
    {
      status,
      headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" },
    },
  );
}

function orgJson(org: Org) {
  return { guid: org.guid, org_id: org.org_id, name: org.name };
}

/** Starts the platform stand-in on 127.0.0.1. */
export function startPlatform(options: PlatformOptions): Promise<TestPlatform> {
  const { backend } = options;
  const current = new Map<string, Org>();
  let requests = 0;
  let log: string[] = [];
  let down = false;
  let closed: Promise<void> | undefined;

  const currentOrg = (user: TestUser): Org => current.get(user.sub) ?? user.orgs[0];

  async function findSession(request: Request): Promise<Response> {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.get("authorization") ?? "");
    if (!match) return json(401, { success: false, message: "Missing bearer token" });
    const owner = await backend.tokenOwner(match[1]);
    if (!owner) return json(401, { success: false, message: "Invalid or expired access token" });
    if (owner.kind === "service") return json(200, { success: true, result: null });
    const user = findUserBySub(owner.sub);
    if (!user) return json(401, { success: false, message: "Unknown user" });
    return json(200, {
      success: true,
      result: {
        user: {
          guid: user.sub,
          email: user.email,
          firstname: user.given_name,
          lastname: user.family_name,
        },
        org: orgJson(currentOrg(user)),
        orgs: user.orgs.map(orgJson),
      },
    });
  }

  async function orgSelect(request: Request, url: URL): Promise<Response> {
    const sub = await backend.sessionSubject(request);
    const user = sub ? findUserBySub(sub) : undefined;
    if (!user) return html(401, "Not signed in", "No identity provider session in this browser.");
    const hint = url.searchParams.get("org_hint") ?? "";
    const org = findOrg(hint);
    if (!org || !user.orgs.some((o) => o.guid === org.guid)) {
      return html(400, "Unknown organization", `Organization "${hint}" is not available.`);
    }
    current.set(user.sub, org);
    const redirect = url.searchParams.get("redirect");
    if (redirect) {
      return new Response(null, {
        status: 302,
        headers: { location: redirect, "cache-control": "no-store" },
      });
    }
    return html(200, "Organization selected", `Current organization: ${org.name}`);
  }

  async function handler(request: Request): Promise<Response> {
    const url = new URL(request.url);
    requests++;
    log.push(url.pathname + url.search);
    if (down) return json(503, { success: false, message: "Service Unavailable" });
    try {
      if (request.method === "GET" && url.pathname === "/api/v1/auth/findSession") {
        return await findSession(request);
      }
      if (request.method === "GET" && url.pathname === "/auth/org.select") {
        return await orgSelect(request, url);
      }
      return json(404, { success: false, message: `Not found: ${url.pathname}` });
    } catch (error) {
      return json(500, { success: false, message: String(error) });
    }
  }

  return new Promise((resolve) => {
    const server = Deno.serve({
      hostname: "127.0.0.1",
      port: options.port ?? 0,
      ...(options.https ? { cert: options.https.cert, key: options.https.key } : {}),
      onListen: ({ port }) => {
        const scheme = options.https ? "https" : "http";
        resolve({
          url: `${scheme}://127.0.0.1:${port}`,
          get requests() {
            return requests;
          },
          get requestLog() {
            return log;
          },
          resetRequests() {
            requests = 0;
            log = [];
          },
          setDown(value: boolean) {
            down = value;
          },
          currentOrg(sub: string) {
            const user = findUserBySub(sub);
            return user ? currentOrg(user) : undefined;
          },
          close() {
            closed ??= server.shutdown();
            return closed;
          },
        });
      },
    }, handler);
  });
}
