/**
 * Named Amplify environments and the resolution of which one a command talks to.
 *
 * Precedence is flag → environment variable → settings file → the environment's defaults. An
 * `env` named at one level replaces any URL that came from a lower level, and a base URL given
 * without a platform URL means "no platform calls": a token issued by one provider is never sent
 * to another environment's platform.
 *
 * @module
 */

import { usageError } from "../errors.ts";

/** Names of the built-in environments. */
export type EnvironmentName = "prod" | "staging" | "preprod";

interface EnvironmentDefaults {
  baseUrl: string;
  platformUrl: string;
}

const ENVIRONMENTS: Record<EnvironmentName, EnvironmentDefaults> = {
  prod: { baseUrl: "https://login.axway.com", platformUrl: "https://platform.axway.com" },
  staging: {
    baseUrl: "https://login.axwaytest.net",
    platformUrl: "https://platform.axwaytest.net",
  },
  preprod: {
    baseUrl: "https://login.na-us.axwaypreprod.net",
    platformUrl: "https://platform.na-us.axwaypreprod.net",
  },
};

const ALIASES: Record<string, EnvironmentName> = {
  prod: "prod",
  production: "prod",
  staging: "staging",
  test: "staging",
  preprod: "preprod",
  preproduction: "preprod",
  "pre-production": "preprod",
};

/** The default realm, as Axway ID uses it. */
export const DEFAULT_REALM = "Broker";

/** One level of environment selection (flags, variables or settings); every field optional. */
export interface EnvironmentLevel {
  env?: string;
  baseUrl?: string;
  realm?: string;
  platformUrl?: string;
}

/** The environment a command talks to. */
export interface ResolvedEnvironment {
  /** `prod`, `staging`, `preprod`, or `custom` when the URLs are not a named environment's. */
  name: EnvironmentName | "custom";
  baseUrl: string;
  realm: string;
  /** `<baseUrl>/auth/realms/<realm>`: identifies the environment. */
  issuer: string;
  /** Absent when platform calls are off (custom base URL without a platform URL). */
  platformUrl?: string;
}

/** Maps an environment name or alias (case-insensitive) to its canonical name. */
export function canonicalEnvironmentName(name: string): EnvironmentName {
  const canonical = ALIASES[name.trim().toLowerCase()];
  if (!canonical) {
    throw usageError(
      `unknown environment "${name}": use prod, staging or preprod`,
    );
  }
  return canonical;
}

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "[::1]", "localhost"]);

/** True when the URL's host is a loopback address or `localhost`. */
export function isLoopbackUrl(url: URL): boolean {
  return LOOPBACK_HOSTS.has(url.hostname);
}

/**
 * Parses and normalises a base or platform URL: https only, except plain http on loopback
 * hosts; no query or fragment; no trailing slash.
 */
export function normaliseUrl(value: string, what: string): string {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw usageError(`${what} "${value}" is not a valid URL`);
  }
  if (url.protocol === "http:" && !isLoopbackUrl(url)) {
    throw usageError(
      `${what} "${value}" must use https:// (plain http is allowed only for loopback hosts)`,
    );
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw usageError(`${what} "${value}" must be an https:// URL`);
  }
  if (url.search || url.hash || url.username || url.password) {
    throw usageError(`${what} "${value}" must not contain credentials, a query or a fragment`);
  }
  return url.href.replace(/\/+$/, "");
}

/**
 * Resolves the environment from levels given lowest precedence first (settings, variables,
 * flags).
 */
export function resolveEnvironment(levels: EnvironmentLevel[]): ResolvedEnvironment {
  let named: EnvironmentName = "prod";
  let baseUrl = ENVIRONMENTS.prod.baseUrl;
  let platformUrl: string | undefined = ENVIRONMENTS.prod.platformUrl;
  let realm = DEFAULT_REALM;
  let custom = false;
  for (const level of levels) {
    if (level.env !== undefined && level.env !== "") {
      named = canonicalEnvironmentName(level.env);
      baseUrl = ENVIRONMENTS[named].baseUrl;
      platformUrl = ENVIRONMENTS[named].platformUrl;
      custom = false;
    }
    if (level.baseUrl) {
      baseUrl = normaliseUrl(level.baseUrl, "base URL");
      platformUrl = undefined;
      custom = true;
    }
    if (level.platformUrl) {
      platformUrl = normaliseUrl(level.platformUrl, "platform URL");
      custom = true;
    }
    if (level.realm) {
      const trimmed = level.realm.trim();
      if (!/^[\w.-]+$/.test(trimmed)) {
        throw usageError(`realm "${level.realm}" is not a valid realm name`);
      }
      realm = trimmed;
    }
  }
  let name: ResolvedEnvironment["name"] = named;
  if (custom) {
    const match = (Object.keys(ENVIRONMENTS) as EnvironmentName[]).find((candidate) =>
      ENVIRONMENTS[candidate].baseUrl === baseUrl &&
      (platformUrl === undefined || ENVIRONMENTS[candidate].platformUrl === platformUrl)
    );
    name = match ?? "custom";
  }
  return { name, baseUrl, realm, issuer: `${baseUrl}/auth/realms/${realm}`, platformUrl };
}
