/**
 * Building a person's account from a token response: the platform session when the platform
 * knows one, else the ID token's claims.
 *
 * @module
 */

import { lazyImport } from "../lazy.ts";
import * as oauth from "oauth4webapi";
import type { ResolvedEnvironment } from "../config/environments.ts";
import type { Authenticator, StoredAccount } from "../store/types.ts";
import { storedTokens } from "./tokens.ts";

/** A freshly signed-in person, and why the platform session could not be had (if so). */
export interface UserAccountResult {
  account: StoredAccount;
  /** Set when the account fell back to the ID token's claims. */
  fallbackReason?: string;
}

/** Builds the account for a token response of a person's sign-in. */
export async function userAccount(
  http: { fetch: typeof fetch },
  env: ResolvedEnvironment,
  clientId: string,
  authenticator: Authenticator,
  response: oauth.TokenEndpointResponse,
  now: number,
): Promise<UserAccountResult> {
  const tokens = storedTokens(response, now);
  const base = {
    issuer: env.issuer,
    env: env.name,
    baseUrl: env.baseUrl,
    realm: env.realm,
    ...(env.platformUrl ? { platformUrl: env.platformUrl } : {}),
    clientId,
    authenticator,
    tokens,
    needsLogin: false,
  };
  let fallbackReason = "no platform URL is set for this environment";
  if (env.platformUrl) {
    try {
      const { findSession } = await lazyImport<typeof import("../platform/client.ts")>(
        import.meta.resolve("../platform/client.ts"),
      );
      const session = await findSession(http, env.platformUrl, tokens.accessToken);
      if (session) {
        return {
          account: {
            ...base,
            name: `${clientId}:${session.user.email}`,
            isPlatform: true,
            user: session.user,
            ...(session.org ? { org: session.org } : {}),
            orgs: session.orgs,
          },
        };
      }
      fallbackReason = "the platform has no session for this sign-in";
    } catch (error) {
      fallbackReason = error instanceof Error ? error.message : String(error);
    }
  }
  const claims = oauth.getValidatedIdTokenClaims(response);
  const email = typeof claims?.email === "string" ? claims.email : undefined;
  const subject = email ?? claims?.sub ?? "unknown";
  return {
    account: {
      ...base,
      name: `${clientId}:${subject}`,
      isPlatform: false,
      ...(email
        ? {
          user: {
            guid: claims?.sub ?? "",
            email,
            firstName: typeof claims?.given_name === "string" ? claims.given_name : "",
            lastName: typeof claims?.family_name === "string" ? claims.family_name : "",
          },
        }
        : {}),
    },
    fallbackReason,
  };
}
