/**
 * The loopback redirect server of a native app (RFC 8252 §7.3). It listens on 127.0.0.1 and ::1
 * only — never on all interfaces — on the same port, so `localhost` reaches it whichever family
 * it resolves to, and it accepts requests on one unguessable path only.
 *
 * @module
 */

import { CliError } from "../errors.ts";

/** What the login decides about one callback request. */
export type CallbackVerdict =
  /** Not for this login (stale tab, wrong state): answer 400 and keep waiting. */
  | { kind: "reject"; message: string }
  /** The login is over (success or provider error); the page shows `title` and `message`. */
  | { kind: "finish"; ok: boolean; message: string; title?: string };

/** Options of the loopback server. */
export interface LoopbackOptions {
  /** Fixed port (`AXWAY_CALLBACK_PORT`); ephemeral when absent. */
  port?: number;
  /** Host written in the redirect URI: `localhost` (default), `127.0.0.1` or `[::1]`. */
  redirectHost?: string;
  /** Judges a callback's query parameters. */
  handle(params: URLSearchParams): Promise<CallbackVerdict> | CallbackVerdict;
}

/** A running loopback server. */
export interface LoopbackServer {
  /** `http://<host>:<port>/callback/<random id>`. */
  redirectUri: string;
  /** Resolves once a callback finished the login. */
  finished: Promise<void>;
  /** Stops listening (idempotent). */
  close(): Promise<void>;
}

/** A random URL-safe id. */
export function randomId(bytes = 16): string {
  const raw = crypto.getRandomValues(new Uint8Array(bytes));
  return btoa(String.fromCharCode(...raw)).replace(/\+/g, "-").replace(/\//g, "_").replace(
    /=+$/,
    "",
  );
}

/** Starts the loopback server. */
export function startLoopbackServer(options: LoopbackOptions): LoopbackServer {
  const path = `/callback/${randomId(12)}`;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => finish = resolve);
  let done = false;

  const handler = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    if (url.pathname !== path || request.method !== "GET") {
      return page(404, "Not found", "This address is not an axway sign-in callback.");
    }
    if (done) return page(410, "Sign-in already finished", "You can close this tab.");
    const verdict = await options.handle(url.searchParams);
    if (verdict.kind === "reject") return page(400, "Sign-in link not accepted", verdict.message);
    done = true;
    queueMicrotask(finish);
    return page(
      verdict.ok ? 200 : 400,
      verdict.title ?? (verdict.ok ? "Signed in" : "Sign-in failed"),
      verdict.message,
    );
  };

  const servers = listenOnLoopback(options.port, handler);
  const host = options.redirectHost ?? "localhost";
  const redirectUri = `http://${host}:${servers.port}${path}`;
  let closing: Promise<void> | undefined;
  return {
    redirectUri,
    finished,
    close: () =>
      closing ??= Promise.all(servers.list.map((server) => server.shutdown())).then(() => {}),
  };
}

function listenOnLoopback(
  fixedPort: number | undefined,
  handler: (request: Request) => Promise<Response>,
): { port: number; list: Deno.HttpServer[] } {
  // An ephemeral port free on 127.0.0.1 may be taken on ::1: retry a few times with a new one.
  for (let attempt = 0; attempt < 5; attempt++) {
    let v4: Deno.HttpServer<Deno.NetAddr>;
    try {
      v4 = Deno.serve({ hostname: "127.0.0.1", port: fixedPort ?? 0, onListen() {} }, handler);
    } catch (error) {
      if (error instanceof Deno.errors.AddrInUse && fixedPort !== undefined) {
        throw new CliError(
          "FAILURE",
          `port ${fixedPort} (AXWAY_CALLBACK_PORT) is already in use`,
          { hint: "free it, or unset AXWAY_CALLBACK_PORT to use any free port", cause: error },
        );
      }
      throw error;
    }
    const port = v4.addr.port;
    try {
      const v6 = Deno.serve({ hostname: "::1", port, onListen() {} }, handler);
      return { port, list: [v4, v6] };
    } catch (error) {
      if (error instanceof Deno.errors.AddrInUse && fixedPort === undefined) {
        void v4.shutdown();
        continue;
      }
      // No IPv6 on this machine (or the fixed port is taken there): 127.0.0.1 alone still works.
      return { port, list: [v4] };
    }
  }
  throw new CliError("FAILURE", "could not find a free loopback port for the sign-in callback");
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(status: number, title: string, message: string): Response {
  const body = `<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>axway: ${escapeHtml(title)}</title>
<style>body{font:16px system-ui,sans-serif;max-width:36em;margin:4em auto;padding:0 1em}</style>
</head><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p></body></html>`;
  return new Response(body, {
    status,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "referrer-policy": "no-referrer",
    },
  });
}
