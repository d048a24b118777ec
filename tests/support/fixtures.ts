/**
 * Fixed test data of the bundled identity provider: realm, clients, users and orgs.
 *
 * @module
 */

/** Name of the Keycloak realm the provider imitates (the issuer ends in `/auth/realms/<realm>`). */
export const REALM = "Broker";

/** Password of every test user. */
export const PASSWORD = "password";

/** An organization on the Amplify Platform stand-in. */
export interface Org {
  /** Org guid (uuid). */
  readonly guid: string;
  /** Numeric-ish org id as the platform shows it, e.g. "100001". */
  readonly org_id: string;
  /** Display name. */
  readonly name: string;
}

/** The orgs known to the platform stand-in. */
export const ORGS = {
  acme: { guid: "6c1b7a52-3f6e-4c55-9a0e-0d7b1c2a0001", org_id: "100001", name: "Acme" },
  beta: { guid: "6c1b7a52-3f6e-4c55-9a0e-0d7b1c2a0002", org_id: "100002", name: "Beta Corp" },
} as const satisfies Record<string, Org>;

/** A test user of the identity provider. */
export interface TestUser {
  /** Stable subject identifier (a guid), also the platform user guid. */
  readonly sub: string;
  /** Login name and email claim. */
  readonly email: string;
  /** Password accepted by the login form. */
  readonly password: string;
  /** `given_name` claim (platform `firstname`). */
  readonly given_name: string;
  /** `family_name` claim (platform `lastname`). */
  readonly family_name: string;
  /** `name` claim. */
  readonly name: string;
  /** Orgs the user belongs to; the first is the initial current org. */
  readonly orgs: readonly Org[];
}

/** The test users: alice (orgs Acme and Beta Corp) and bob (org Acme). */
export const USERS = {
  alice: {
    sub: "0b5c6f7e-1a2b-4c3d-8e9f-a11ce0000001",
    email: "alice@example.com",
    password: PASSWORD,
    given_name: "Alice",
    family_name: "Anders",
    name: "Alice Anders",
    orgs: [ORGS.acme, ORGS.beta],
  },
  bob: {
    sub: "0b5c6f7e-1a2b-4c3d-8e9f-b0b000000002",
    email: "bob@example.com",
    password: PASSWORD,
    given_name: "Bob",
    family_name: "Brown",
    name: "Bob Brown",
    orgs: [ORGS.acme],
  },
} as const satisfies Record<string, TestUser>;

/** Looks a user up by subject. */
export function findUserBySub(sub: string): TestUser | undefined {
  return Object.values(USERS).find((user) => user.sub === sub);
}

/** Looks a user up by email / login name (case-insensitive). */
export function findUserByEmail(email: string): TestUser | undefined {
  const wanted = email.trim().toLowerCase();
  return Object.values(USERS).find((user) => user.email === wanted);
}

/** Looks an org up by its numeric-ish org id or its guid. */
export function findOrg(id: string): Org | undefined {
  return Object.values(ORGS).find((org) => org.org_id === id || org.guid === id);
}

/** The OAuth clients registered with the test provider. */
export const CLIENTS = {
  /** Confidential service client authenticating with client_secret_basic (post also works). */
  basic: {
    clientId: "svc-basic",
    clientSecret: "svc-basic-secret-1234",
    authMethod: "client_secret_basic",
  },
  /** Confidential service client authenticating with client_secret_post (basic also works). */
  post: {
    clientId: "svc-post",
    clientSecret: "svc-post-secret-5678",
    authMethod: "client_secret_post",
  },
  /** Service client authenticating with private_key_jwt signed RS256 (key in `idp.keyFiles.rsa*`). */
  rs256: { clientId: "svc-rs256", authMethod: "private_key_jwt", alg: "RS256" },
  /** Service client authenticating with private_key_jwt signed ES256 (key in `idp.keyFiles.ec*`). */
  es256: { clientId: "svc-es256", authMethod: "private_key_jwt", alg: "ES256" },
  /** The CLI's public native client (PKCE S256, any loopback redirect URI). */
  cli: { clientId: "amplify-cli", authMethod: "none" },
  /** A public client like `cli` that may not use the device flow (Keycloak lists the endpoint). */
  browserOnly: { clientId: "browser-only-cli", authMethod: "none" },
} as const;
