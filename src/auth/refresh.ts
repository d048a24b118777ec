/**
 * The network half of renewal: a new token for an account, by the refresh token grant (RFC 6749
 * §6) for people, or a new client credentials grant (RFC 6749 §4.4) for service accounts. Loaded
 * only when a token is actually due, so a still-valid `auth token` never loads the protocol
 * library.
 *
 * @module
 */

import * as oauth from "oauth4webapi";
import type { StoredAccount } from "../store/types.ts";
import { clientCredentialsGrant } from "./client_credentials.ts";
import { expectJson, type HttpContext, requestOptions, translateOAuthError } from "./oidc.ts";

export { withProvider } from "./oidc.ts";
export { storedTokens } from "./tokens.ts";

/** Requests a new token for `account`; OAuth errors come back as CliErrors. */
export async function renewalGrant(
  http: HttpContext,
  as: oauth.AuthorizationServer,
  account: StoredAccount,
  skewMs: number,
): Promise<oauth.TokenEndpointResponse> {
  if (account.credentials) {
    return await clientCredentialsGrant(http, as, account.clientId, account.credentials);
  }
  // The ID token that may come back is validated with the same tolerance as our skew margin.
  const client: oauth.Client = {
    client_id: account.clientId,
    [oauth.clockTolerance]: Math.max(1, Math.round(skewMs / 1000)),
  };
  try {
    const response = await oauth.refreshTokenGrantRequest(
      as,
      client,
      oauth.None(),
      account.tokens.refreshToken!,
      requestOptions(http, as.issuer),
    );
    expectJson(response);
    return await oauth.processRefreshTokenResponse(as, client, response);
  } catch (error) {
    throw translateOAuthError(error, { clientId: account.clientId, url: as.token_endpoint });
  }
}
