/**
 * Turning a token endpoint response (RFC 6749 §5.1) into what the store keeps.
 *
 * @module
 */

import type * as oauth from "oauth4webapi";
import type { StoredTokens } from "../store/types.ts";

/**
 * Access-token lifetime assumed when the provider omits `expires_in` (it is only RECOMMENDED,
 * RFC 6749 §5.1): five minutes, Keycloak's default, so an unknown lifetime is renewed early
 * rather than used after it lapsed.
 */
export const DEFAULT_ACCESS_TTL_SECONDS = 300;

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
  const expiresIn = typeof response.expires_in === "number" && response.expires_in > 0
    ? response.expires_in
    : DEFAULT_ACCESS_TTL_SECONDS;
  const refreshToken = response.refresh_token ?? previous?.refreshToken;
  const refreshExpiresIn = response.refresh_expires_in;
  let refreshExpires: number | null = null;
  if (response.refresh_token && typeof refreshExpiresIn === "number" && refreshExpiresIn > 0) {
    refreshExpires = now + refreshExpiresIn * 1000;
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
