/**
 * Token revocation (RFC 7009): the refresh token first (revoking it ends the whole grant at
 * Keycloak-style providers), then the access token.
 *
 * @module
 */

import * as oauth from "oauth4webapi";
import type { StoredAccount } from "../store/types.ts";
import { clientAuthentication } from "./client_credentials.ts";
import { type HttpContext, requestOptions, translateOAuthError } from "./oidc.ts";

/** Outcome of revoking one account's tokens. */
export type RevocationResult = { revoked: true } | { revoked: false; reason: string };

/** Revokes an account's tokens at the provider's revocation endpoint. Never throws. */
export async function revokeAccountTokens(
  http: HttpContext,
  as: oauth.AuthorizationServer,
  account: StoredAccount,
): Promise<RevocationResult> {
  if (!as.revocation_endpoint) {
    return { revoked: false, reason: "the provider has no revocation endpoint" };
  }
  const client: oauth.Client = { client_id: account.clientId };
  const tokens = [
    [account.tokens.refreshToken, "refresh_token"],
    [account.tokens.accessToken, "access_token"],
  ] as const;
  try {
    const auth = await clientAuthentication(as, account.credentials);
    for (const [token, hint] of tokens) {
      if (!token) continue;
      const response = await oauth.revocationRequest(as, client, auth, token, {
        ...requestOptions(http, as.issuer),
        additionalParameters: { token_type_hint: hint },
      });
      await oauth.processRevocationResponse(response);
    }
    return { revoked: true };
  } catch (error) {
    const translated = translateOAuthError(error, {
      clientId: account.clientId,
      url: as.revocation_endpoint,
    });
    return {
      revoked: false,
      reason: translated instanceof Error ? translated.message : String(translated),
    };
  }
}
