/**
 * OpenID Provider discovery and the translation of protocol errors into one-line messages.
 *
 * @module
 */

import * as oauth from "oauth4webapi";
import type { ResolvedEnvironment } from "../config/environments.ts";
import { isLoopbackUrl } from "../config/environments.ts";
import { CliError } from "../errors.ts";
import { displayUrl } from "../net/http.ts";
import { lazyImport } from "../lazy.ts";

/** What protocol calls need: the CLI's fetch. */
export interface HttpContext {
  fetch: typeof fetch;
}

/** oauth4webapi request options for an environment: our fetch; http only on loopback. */
export function requestOptions(http: HttpContext, issuer: string) {
  return {
    [oauth.customFetch]: http.fetch,
    [oauth.allowInsecureRequests]: isLoopbackUrl(new URL(issuer)),
  } as const;
}

/** What discovery needs: the CLI's fetch, and where to cache the answer (optional). */
export interface DiscoveryContext extends HttpContext {
  configDir?: string;
  now?(): number;
}

/**
 * The provider metadata (OpenID Connect Discovery 1.0 §4) from
 * `<issuer>/.well-known/openid-configuration`, its `issuer` checked, and its endpoints held to
 * the https rule; served from the config dir's cache for an hour after a successful fetch, unless
 * `fresh` asks for the provider itself.
 */
export async function discover(
  ctx: DiscoveryContext,
  env: Pick<ResolvedEnvironment, "issuer">,
  options: { fresh?: boolean } = {},
): Promise<oauth.AuthorizationServer> {
  return (await metadata(ctx, env, options.fresh ?? false)).as;
}

/**
 * Runs `use` with the provider's metadata. When the metadata came from the cache and `use` fails
 * the way a moved endpoint would (not found, not JSON, unreachable), the cache entry is dropped,
 * the provider asked again, and `use` retried once if the endpoints changed: a stale cache never
 * traps the user.
 */
export async function withProvider<T>(
  ctx: DiscoveryContext,
  env: Pick<ResolvedEnvironment, "issuer">,
  use: (as: oauth.AuthorizationServer) => Promise<T>,
): Promise<T> {
  const first = await metadata(ctx, env, false);
  try {
    return await use(first.as);
  } catch (error) {
    const endpointFailure = error instanceof CliError &&
      (error.code === "PROVIDER_ERROR" || error.code === "NETWORK_ERROR");
    if (!first.cached || !endpointFailure) throw error;
    const fresh = await metadata(ctx, env, true);
    if (ENDPOINTS.every((name) => fresh.as[name] === first.as[name])) throw error;
    return await use(fresh.as);
  }
}

async function metadata(
  ctx: DiscoveryContext,
  env: Pick<ResolvedEnvironment, "issuer">,
  fresh: boolean,
): Promise<{ as: oauth.AuthorizationServer; cached: boolean }> {
  const now = ctx.now?.() ?? Date.now();
  const cache = ctx.configDir === undefined ? undefined : await lazyImport<
    typeof import("./discovery_cache.ts")
  >(import.meta.resolve("./discovery_cache.ts"));
  const cached = !fresh && cache &&
    await cache.readCachedMetadata(ctx.configDir!, env.issuer, now);
  if (cached && cached.issuer === env.issuer) {
    try {
      return { as: checkEndpoints(cached as unknown as oauth.AuthorizationServer), cached: true };
    } catch {
      // not usable: ask the provider again
    }
  }
  const issuer = new URL(env.issuer);
  const response = await oauth.discoveryRequest(issuer, {
    ...requestOptions(ctx, env.issuer),
    algorithm: "oidc",
  });
  expectJson(response);
  let as: oauth.AuthorizationServer;
  try {
    as = checkEndpoints(await oauth.processDiscoveryResponse(issuer, response));
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(
      "PROVIDER_ERROR",
      `${
        displayUrl(response.url || env.issuer)
      } is not a valid OpenID provider configuration for ${env.issuer}${
        error instanceof Error ? ` (${error.message})` : ""
      }`,
      { cause: error },
    );
  }
  await cache?.writeCachedMetadata(ctx.configDir!, env.issuer, { ...as }, now);
  return { as, cached: false };
}

const ENDPOINTS = [
  "authorization_endpoint",
  "token_endpoint",
  "revocation_endpoint",
  "device_authorization_endpoint",
  "userinfo_endpoint",
] as const;

/**
 * Holds the provider's endpoints to the rule the issuer follows (https, plain http only on
 * loopback hosts): a discovery document must not send secrets or tokens over plain http.
 */
function checkEndpoints(as: oauth.AuthorizationServer): oauth.AuthorizationServer {
  for (const name of ENDPOINTS) {
    const value = as[name];
    if (value === undefined) continue;
    let url: URL | undefined;
    try {
      url = new URL(value);
    } catch {
      url = undefined;
    }
    if (!url || !(url.protocol === "https:" || (url.protocol === "http:" && isLoopbackUrl(url)))) {
      throw new CliError(
        "PROVIDER_ERROR",
        `the provider ${as.issuer} lists an insecure ${name} (${
          url ? displayUrl(url) : "not a URL"
        }): only https (or http on loopback) is used`,
      );
    }
  }
  return as;
}

/**
 * Rejects answers that are not JSON (a proxy's HTML page, a load balancer's 502) with the URL
 * and status, before the protocol library sees them; OAuth error bodies are JSON and pass
 * through. Only the status and headers are read: the body is left to the library, or dropped
 * without waiting on it.
 */
export function expectJson(response: Response): void {
  const type = response.headers.get("content-type") ?? "";
  if (response.status >= 500 || !/json/i.test(type)) {
    response.body?.cancel().catch(() => {});
    throw new CliError(
      "PROVIDER_ERROR",
      `unexpected answer from ${displayUrl(response.url)}: HTTP ${response.status}${
        /json/i.test(type) ? "" : `, ${type.split(";")[0] || "no content type"}`
      }`,
    );
  }
}

/** Context for naming what failed. */
export interface ErrorSubject {
  clientId: string;
  /** The endpoint that answered. */
  url?: string;
}

/** Turns an OAuth error response (RFC 6749 §5.2) into a CliError. */
export function translateOAuthError(error: unknown, subject: ErrorSubject): unknown {
  if (error instanceof CliError) return error;
  if (error instanceof oauth.WWWAuthenticateChallengeError) {
    const challenge = error.cause[0]?.parameters;
    const code = challenge?.error ?? (error.status === 401 ? "invalid_client" : "invalid_request");
    return translateOAuthError(
      new oauth.ResponseBodyError("challenge", {
        cause: { error: code, error_description: challenge?.error_description },
        response: error.response,
      }),
      subject,
    );
  }
  if (
    error instanceof oauth.ResponseBodyError || error instanceof oauth.AuthorizationResponseError
  ) {
    const code = error.error;
    const description = error.error_description ? `: ${error.error_description}` : "";
    switch (code) {
      case "invalid_client":
      case "unauthorized_client":
        return new CliError(
          "INVALID_CLIENT",
          `client authentication failed for client ID "${subject.clientId}"${
            /client authentication failed/i.test(description) ? "" : description
          }`,
          { hint: "check the client ID and its secret or key", cause: error },
        );
      case "access_denied":
        return new CliError("ACCESS_DENIED", `sign-in was refused${description}`, { cause: error });
      case "invalid_grant":
        return new CliError("AUTH_REQUIRED", `the provider refused the grant${description}`, {
          cause: error,
        });
      default:
        return new CliError(
          "PROVIDER_ERROR",
          `${
            subject.url ? displayUrl(subject.url) : "the provider"
          } answered ${code}${description}`,
          { cause: error },
        );
    }
  }
  if (
    error instanceof oauth.OperationProcessingError ||
    error instanceof oauth.UnsupportedOperationError || error instanceof TypeError
  ) {
    return new CliError(
      "PROVIDER_ERROR",
      `invalid answer from ${
        subject.url ? displayUrl(subject.url) : "the provider"
      }: ${error.message}`,
      { cause: error },
    );
  }
  return error;
}
