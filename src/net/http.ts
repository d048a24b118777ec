/**
 * The one fetch every HTTP request of the CLI goes through (discovery, token, revocation,
 * platform): it adds the per-request timeout, optional debug traces, and turns transport
 * failures into one-line errors naming the URL. Proxies and extra CAs plug in here.
 *
 * @module
 */

import { CliError } from "../errors.ts";

/** How to build the CLI's fetch. */
export interface HttpOptions {
  /** Per-request timeout in milliseconds. */
  timeoutMs: number;
  /** Underlying fetch (tests and proxies inject theirs). */
  baseFetch?: typeof fetch;
  /** Deno HTTP client carrying proxy and CA settings. */
  client?: Deno.HttpClient;
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
    const shown = displayUrl(input);
    const timeout = AbortSignal.timeout(options.timeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    const method = init?.method ?? (input instanceof Request ? input.method : "GET");
    options.trace?.(`→ ${method} ${shown}`);
    const started = performance.now();
    try {
      const requestInit: RequestInit & { client?: Deno.HttpClient } = { ...init, signal };
      if (options.client) requestInit.client = options.client;
      const response = await base(input, requestInit);
      options.trace?.(
        `← ${response.status} ${shown} (${Math.round(performance.now() - started)} ms)`,
      );
      return response;
    } catch (error) {
      if (timeout.aborted) {
        throw new CliError(
          "TIMEOUT",
          `request to ${shown} timed out after ${options.timeoutMs / 1000} s`,
          { hint: "raise AXWAY_HTTP_TIMEOUT (seconds) if the network is slow", cause: error },
        );
      }
      throw translateTransportError(error, shown);
    }
  };
}

/** Maps a fetch failure to a one-line CliError naming the URL. */
export function translateTransportError(error: unknown, shown: string): unknown {
  if (error instanceof CliError) return error;
  if (error instanceof DOMException && error.name === "AbortError") {
    return new CliError("CANCELLED", "cancelled", { cause: error });
  }
  const text = describe(error);
  if (/certificate|UnknownIssuer|tls|ssl|handshake/i.test(text)) {
    return new CliError("TLS_ERROR", `TLS error talking to ${shown}: certificate not trusted`, {
      hint: "add your CA bundle with AXWAY_CA_FILE, or use DENO_TLS_CA_STORE=system",
      cause: error,
    });
  }
  if (/dns error|failed to lookup|Name or service not known|nodename nor servname/i.test(text)) {
    return new CliError("NETWORK_ERROR", `cannot resolve the host of ${shown}`, { cause: error });
  }
  if (/proxy/i.test(text)) {
    return new CliError("NETWORK_ERROR", `cannot reach ${shown} through the proxy`, {
      hint: "check HTTPS_PROXY / NO_PROXY",
      cause: error,
    });
  }
  if (/refused/i.test(text)) {
    return new CliError("NETWORK_ERROR", `cannot reach ${shown}: connection refused`, {
      cause: error,
    });
  }
  return new CliError("NETWORK_ERROR", `cannot reach ${shown}`, { cause: error });
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
