/**
 * The one fetch every HTTP request of the CLI goes through (discovery, token, revocation,
 * platform): it adds the per-request timeout, optional debug traces, the configured proxy and CA
 * client ({@link Network}), and turns transport failures into one-line errors naming the cause.
 *
 * @module
 */

import { lazyImport } from "../lazy.ts";
import { CliError } from "../errors.ts";
import type { CaSource, Network, Route } from "./network.ts";
import { type ProxyTarget, redactCredentials } from "./proxy.ts";

/** How to build the CLI's fetch. */
export interface HttpOptions {
  /** Per-request timeout in milliseconds. */
  timeoutMs: number;
  /** Underlying fetch (tests inject theirs). */
  baseFetch?: typeof fetch;
  /** Deno HTTP client for every request (when no {@link HttpOptions.network} is given). */
  client?: Deno.HttpClient;
  /** Proxy and CA configuration, resolved on the first request. */
  network?: Network;
  /** Receives request traces when debugging; never given secrets (no bodies, no headers). */
  trace?: (line: string) => void;
}

/** A URL safe to show: origin and path, without query or credentials. */
export function displayUrl(input: string | URL | Request): string {
  const url = new URL(input instanceof Request ? input.url : input);
  return `${url.origin}${url.pathname}`;
}

/** Builds the CLI's fetch. */
export function createFetch(options: HttpOptions): typeof fetch {
  const base = options.baseFetch ?? fetch;
  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : input);
    const shown = displayUrl(url);
    const route: Route = options.network
      ? await options.network.route(url)
      : { client: options.client };
    const timeout = AbortSignal.timeout(options.timeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    const method = init?.method ?? (input instanceof Request ? input.method : "GET");
    const via = route.proxy ? ` via ${route.proxy.shown} (${route.proxy.source})` : "";
    options.trace?.(`→ ${method} ${shown}${via}`);
    const started = performance.now();
    try {
      const requestInit: RequestInit & { client?: Deno.HttpClient } = { ...init, signal };
      if (route.client) requestInit.client = route.client;
      const response = await base(input, requestInit);
      options.trace?.(
        `← ${response.status} ${shown} (${Math.round(performance.now() - started)} ms)`,
      );
      if (response.status === 407 && route.proxy) {
        await response.body?.cancel();
        throw proxyAuthError(route.proxy, shown);
      }
      return response;
    } catch (error) {
      if (timeout.aborted) {
        const through = route.proxy ? ` through the proxy ${route.proxy.shown}` : "";
        throw new CliError(
          "TIMEOUT",
          `request to ${shown}${through} timed out after ${options.timeoutMs / 1000} s`,
          { hint: "raise AXWAY_HTTP_TIMEOUT (seconds) if the network is slow", cause: error },
        );
      }
      let tunnelStatus: number | undefined;
      if (route.proxy && isTunnelRefusal(error) && !init?.signal?.aborted) {
        const { probeTunnelStatus } = await lazyImport<typeof import("./proxy_probe.ts")>(
          import.meta.resolve("./proxy_probe.ts"),
        );
        tunnelStatus = await probeTunnelStatus(route.proxy, url);
      }
      options.trace?.(`✗ ${shown}: ${redactCredentials(describe(error))}`);
      throw translateTransportError(error, shown, {
        proxy: route.proxy,
        ca: route.ca,
        tunnelStatus,
      });
    }
  };
}

/** What is known about the failed request beyond the error. */
export interface TransportContext {
  /** The proxy the request went through. */
  proxy?: ProxyTarget;
  /** The extra CAs in use. */
  ca?: CaSource;
  /** The proxy's answer to CONNECT, when it refused the tunnel. */
  tunnelStatus?: number;
}

/** Maps a fetch failure to a one-line CliError naming the URL and the cause. */
export function translateTransportError(
  error: unknown,
  shown: string,
  context: TransportContext = {},
): unknown {
  if (error instanceof CliError) return error;
  if (error instanceof DOMException && error.name === "AbortError") {
    return new CliError("CANCELLED", "cancelled", { cause: error });
  }
  // URLs removed: a host name must not look like a cause ("tls.example.com").
  const text = describe(error).replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s)]*/gi, "<url>");
  const origin = originOf(shown);
  const { proxy } = context;

  const certificate = /invalid peer certificate:\s*([^|]*)/i.exec(text)?.[1]?.trim();
  if (certificate !== undefined) return certificateError(certificate, origin, context, error);
  if (/received corrupt message|handshake|\btls\b|\bssl\b|InvalidContentType/i.test(text)) {
    return new CliError("TLS_ERROR", `TLS handshake with ${origin} failed`, {
      hint: `is ${origin} really served over https?`,
      cause: error,
    });
  }
  if (proxy && /unsuccessful tunnel/i.test(text)) {
    return tunnelError(proxy, origin, shown, context.tunnelStatus, error);
  }
  const connecting = /\(Connect\)|tcp connect error|dns error|failed to lookup/i.test(text);
  if (proxy && connecting) {
    const reason = /dns error|failed to lookup|Name or service not known/i.test(text)
      ? "its host name does not resolve"
      : /refused/i.test(text)
      ? "connection refused"
      : /timed out/i.test(text)
      ? "connection timed out"
      : "connection failed";
    return new CliError(
      "NETWORK_ERROR",
      `cannot reach the proxy ${proxy.shown} (from ${proxy.source}): ${reason}`,
      { hint: proxyHint(proxy), cause: error },
    );
  }
  if (/dns error|failed to lookup|Name or service not known|nodename nor servname/i.test(text)) {
    return new CliError("NETWORK_ERROR", `cannot resolve the host of ${shown}`, { cause: error });
  }
  if (/refused/i.test(text)) {
    return new CliError("NETWORK_ERROR", `cannot reach ${shown}: connection refused`, {
      cause: error,
    });
  }
  const through = proxy ? ` through the proxy ${proxy.shown}` : "";
  return new CliError("NETWORK_ERROR", `cannot reach ${shown}${through}`, { cause: error });
}

function certificateError(
  reason: string,
  origin: string,
  context: TransportContext,
  cause: unknown,
): CliError {
  const alsoProxy = context.proxy?.url.protocol === "https:"
    ? ` (or of the proxy ${context.proxy.shown})`
    : "";
  if (/UnknownIssuer|BadSignature|unknown issuer/i.test(reason)) {
    const ca = context.ca
      ? `not trusted, not even with the CAs in ${context.ca.file} (${
        context.ca.source === "AXWAY_CA_FILE" ? "AXWAY_CA_FILE" : "settings network.caFile"
      }): add the CA that issued it there`
      : "not trusted: add your CA with AXWAY_CA_FILE or network.caFile";
    return new CliError("TLS_ERROR", `certificate of ${origin}${alsoProxy} ${ca}`, {
      hint: "to use the operating system's certificate store, set DENO_TLS_CA_STORE=system",
      cause,
    });
  }
  if (/not valid for name/i.test(reason)) {
    return new CliError(
      "TLS_ERROR",
      `certificate of ${origin}${alsoProxy} is not valid for that host name`,
      { hint: reason, cause },
    );
  }
  if (/Expired|NotValidYet/i.test(reason)) {
    return new CliError(
      "TLS_ERROR",
      `certificate of ${origin}${alsoProxy} is ${
        /Expired/i.test(reason) ? "expired" : "not valid yet"
      }`,
      { hint: "check the server's certificate and this machine's clock", cause },
    );
  }
  return new CliError(
    "TLS_ERROR",
    `certificate of ${origin}${alsoProxy} rejected: ${reason.split("\n")[0]}`,
    { cause },
  );
}

function tunnelError(
  proxy: ProxyTarget,
  origin: string,
  shown: string,
  status: number | undefined,
  cause: unknown,
): CliError {
  // 407, or 401 from proxies (tinyproxy) that reject the credentials they were given.
  if (status === 407 || (status === 401 && proxy.hasCredentials)) {
    return proxyAuthError(proxy, shown, cause, status);
  }
  const host = new URL(origin).host;
  if (status === 502 || status === 503 || status === 504) {
    return new CliError(
      "NETWORK_ERROR",
      `the proxy ${proxy.shown} (from ${proxy.source}) cannot reach ${host} (HTTP ${status})`,
      { hint: proxyHint(proxy), cause },
    );
  }
  return new CliError(
    "NETWORK_ERROR",
    `the proxy ${proxy.shown} (from ${proxy.source}) refused to connect to ${host}${
      status ? ` (HTTP ${status})` : ""
    }`,
    {
      hint: status === 403
        ? "the proxy does not allow this destination; ask its administrators, or use NO_PROXY"
        : proxyHint(proxy),
      cause,
    },
  );
}

function proxyAuthError(
  proxy: ProxyTarget,
  shown: string,
  cause?: unknown,
  status = 407,
): CliError {
  if (proxy.hasCredentials) {
    return new CliError(
      "NETWORK_ERROR",
      `the proxy ${proxy.shown} rejected the credentials in ${proxy.source} (HTTP ${status})`,
      { hint: "check the user name and password in the proxy URL", cause },
    );
  }
  const variable = proxy.source !== "network.proxy"
    ? proxy.source
    : new URL(shown).protocol === "http:"
    ? "HTTP_PROXY"
    : "HTTPS_PROXY";
  return new CliError(
    "NETWORK_ERROR",
    `the proxy ${proxy.shown} requires authentication: put credentials in ${variable}`,
    {
      hint: `${variable}=http://user:password@${proxy.url.host} (credentials are read only ` +
        "from the environment, never from settings)",
      cause,
    },
  );
}

function proxyHint(proxy: ProxyTarget): string {
  return `check ${proxy.source}, or list hosts to reach directly in NO_PROXY`;
}

function isTunnelRefusal(error: unknown): boolean {
  return /unsuccessful tunnel/i.test(describe(error));
}

function originOf(shown: string): string {
  try {
    return new URL(shown).origin;
  } catch {
    return shown;
  }
}

function describe(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    parts.push(current instanceof Error ? `${current.name}: ${current.message}` : String(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join(" | ");
}
