/**
 * Service-account tokens: the client credentials grant (RFC 6749 §4.4), authenticated with a
 * client secret (RFC 6749 §2.3.1) or a private-key JWT assertion (RFC 7523 §2.2, OpenID
 * Connect Core §9 `private_key_jwt`).
 *
 * @module
 */

import { lazyImport } from "../lazy.ts";
import * as oauth from "oauth4webapi";
import type { StoredCredentials } from "../store/types.ts";
import { expectJson, type HttpContext, requestOptions, translateOAuthError } from "./oidc.ts";

/** Lifetime of a client assertion: short, and fresh for every request. */
const ASSERTION_LIFETIME_SECONDS = 120;

/**
 * Client authentication for the token and revocation endpoints. A secret uses the method the
 * provider advertises (client_secret_basic preferred, as RFC 6749 §2.3.1 asks; _post otherwise);
 * a key signs a new assertion per request with `aud` = the token endpoint URL, which is what
 * Keycloak checks; no credentials means a public client (RFC 6749 §2.1).
 */
export async function clientAuthentication(
  as: oauth.AuthorizationServer,
  credentials: StoredCredentials | undefined,
): Promise<oauth.ClientAuth> {
  if (credentials?.clientSecret !== undefined) {
    const methods = as.token_endpoint_auth_methods_supported;
    const basic = !methods || methods.includes("client_secret_basic") ||
      !methods.includes("client_secret_post");
    return basic
      ? oauth.ClientSecretBasic(credentials.clientSecret)
      : oauth.ClientSecretPost(credentials.clientSecret);
  }
  if (credentials?.privateKey) {
    const { importSigningKey } = await lazyImport<typeof import("./key_file.ts")>(
      import.meta.resolve("./key_file.ts"),
    );
    const key = await importSigningKey({
      alg: credentials.privateKey.alg,
      pkcs8: Uint8Array.from(atob(credentials.privateKey.pkcs8), (c) => c.charCodeAt(0)),
    });
    return oauth.PrivateKeyJwt(key, {
      [oauth.modifyAssertion]: (_header, payload) => {
        payload.aud = as.token_endpoint;
        payload.exp = (payload.iat as number) + ASSERTION_LIFETIME_SECONDS;
      },
    });
  }
  return oauth.None();
}

/** Requests a token with the client credentials grant, scope `openid` as the original does. */
export async function clientCredentialsGrant(
  http: HttpContext,
  as: oauth.AuthorizationServer,
  clientId: string,
  credentials: StoredCredentials,
): Promise<oauth.TokenEndpointResponse> {
  const client: oauth.Client = { client_id: clientId };
  try {
    const response = await oauth.clientCredentialsGrantRequest(
      as,
      client,
      await clientAuthentication(as, credentials),
      new URLSearchParams({ scope: "openid" }),
      requestOptions(http, as.issuer),
    );
    expectJson(response);
    return await oauth.processClientCredentialsResponse(as, client, response);
  } catch (error) {
    throw translateOAuthError(error, { clientId, url: as.token_endpoint });
  }
}
