/**
 * Turning a token endpoint response (RFC 6749 §5.1) into what the store keeps.
 *
 * @module
 */

import type * as oauth from "oauth4webapi";
import type { StoredTokens } from "../store/types.ts";
import { CliError } from "../errors.ts";

/**
 * Access-token lifetime assumed when the provider omits `expires_in` (it is only RECOMMENDED,
 * RFC 6749 §5.1): five minutes, Keycloak's default, so an unknown lifetime is renewed early
 * rather than used after it lapsed.
 */
export const DEFAULT_ACCESS_TTL_SECONDS = 300;

/** Lifetimes above a year are taken as a year: absurd values must not overflow dates. */
const MAX_LIFETIME_SECONDS = 365 * 24 * 3600;

/**
 * RFC 6749 §A.12/§A.17: tokens are VSCHAR (printable ASCII). Anything else would be printed by
 * `auth token` into terminals and headers, so it is refused.
 */
function checkTokenSyntax(token: string, what: string): void {
  if (!/^[\x20-\x7e]+$/.test(token)) {
    throw new CliError("PROVIDER_ERROR", `the provider returned a malformed ${what}`);
  }
}

/**
 * Builds stored tokens from a token response. `refresh_expires_in` is Keycloak's extension:
 * absent or 0 (Keycloak's "no limit") means the refresh token's expiry is unknown (null). When a
 * renewal answer carries no new refresh token, the previous one stays (RFC 6749 §6).
 */
export function storedTokens(
  response: oauth.TokenEndpointResponse,
  now: number,
  previous?: StoredTokens,
): StoredTokens {
  checkTokenSyntax(response.access_token, "access token");
  if (response.refresh_token !== undefined) {
    checkTokenSyntax(response.refresh_token, "refresh token");
  }
  const expiresIn = typeof response.expires_in === "number" && response.expires_in > 0
    ? Math.min(response.expires_in, MAX_LIFETIME_SECONDS)
    : DEFAULT_ACCESS_TTL_SECONDS;
  const refreshToken = response.refresh_token ?? previous?.refreshToken;
  const refreshExpiresIn = response.refresh_expires_in;
  let refreshExpires: number | null = null;
  if (response.refresh_token && typeof refreshExpiresIn === "number" && refreshExpiresIn > 0) {
    refreshExpires = now + Math.min(refreshExpiresIn, MAX_LIFETIME_SECONDS) * 1000;
  } else if (!response.refresh_token && previous?.refreshToken) {
    refreshExpires = previous.refreshExpires;
  }
  return {
    accessToken: response.access_token,
    ...(refreshToken ? { refreshToken } : {}),
    accessExpires: now + expiresIn * 1000,
    refreshExpires: refreshToken ? refreshExpires : null,
  };
}
