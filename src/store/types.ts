/**
 * Shapes of what the encrypted account store holds. Only the store module reads or writes these
 * as a whole; commands go through `AccountStore`.
 *
 * @module
 */

/** How an account signs in; the original tool's names, kept for JSON compatibility. */
export type Authenticator = "PKCE" | "ClientSecret" | "SignedJWT" | "DeviceCode";

/**
 * Tokens of an account. Never printed, except the access token by `auth token`. The ID token is
 * not kept: it is validated and read at sign-in, and nothing needs it afterwards (logout revokes
 * instead of sending `id_token_hint`), so it is one secret less at rest.
 */
export interface StoredTokens {
  accessToken: string;
  refreshToken?: string;
  /** Access-token expiry, ms since the epoch. */
  accessExpires: number;
  /** Refresh-token expiry, ms since the epoch; null when there is none or it is unknown. */
  refreshExpires: number | null;
}

/** What a service account needs to renew without the user. */
export interface StoredCredentials {
  clientSecret?: string;
  /** Decrypted private key, PKCS#8 DER in base64, and the JWS algorithm it signs with. */
  privateKey?: { pkcs8: string; alg: "RS256" | "ES256" };
}

/** A platform user. */
export interface PlatformUser {
  guid: string;
  email: string;
  firstName: string;
  lastName: string;
}

/** A platform organization. */
export interface PlatformOrg {
  guid: string;
  id: string;
  name: string;
}

/** One signed-in account. */
export interface StoredAccount {
  /** `<clientId>:<email>` for people, the client ID for service accounts. */
  name: string;
  /** Normalised issuer URL: identifies the environment the account belongs to. */
  issuer: string;
  /** `prod`, `staging`, `preprod` or `custom`. */
  env: string;
  baseUrl: string;
  realm: string;
  /** Platform API base URL; absent means no platform calls for this account. */
  platformUrl?: string;
  clientId: string;
  authenticator: Authenticator;
  tokens: StoredTokens;
  credentials?: StoredCredentials;
  isPlatform: boolean;
  /** Set when renewal became impossible; cleared by a successful login. */
  needsLogin: boolean;
  user?: PlatformUser;
  /** The selected organization. */
  org?: PlatformOrg;
  orgs?: PlatformOrg[];
}

/** Per-environment settings kept in the store (they may name accounts, so they are encrypted). */
export interface EnvironmentDefaults {
  /** Name of the default account. */
  account?: string;
}

/** The decrypted store content. */
export interface StoreDocument {
  version: 1;
  accounts: StoredAccount[];
  /** Keyed by normalised issuer URL. */
  defaults: Record<string, EnvironmentDefaults>;
}
