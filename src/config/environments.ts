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

/** True when the URL's host is a loopback address (127.0.0.0/8, ::1) or `localhost`. */
export function isLoopbackUrl(url: URL): boolean {
  return url.hostname === "localhost" || url.hostname === "[::1]" ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(url.hostname);
}

/**
 * A URL as it may be shown: whatever stands before an `@` in its authority (user, password or a
 * token in the user name, however the URL is spelled) becomes `***`.
 */
function shown(value: string): string {
  return value.replace(/^([^@]*?)(?:[^/\\@]*)@/, (_match, prefix: string) => {
    const scheme = /^[a-z][a-z0-9+.-]*:[/\\]*/i.exec(prefix)?.[0] ?? "";
    return `${scheme}***@`;
  });
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
    throw usageError(`${what} "${shown(value)}" is not a valid URL`);
  }
  if (url.protocol === "http:" && !isLoopbackUrl(url)) {
    throw usageError(
      `${what} "${shown(value)}" must use https:// (plain http is allowed only for loopback hosts)`,
    );
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw usageError(`${what} "${shown(value)}" must be an https:// URL`);
  }
  if (url.search || url.hash || url.username || url.password || /[?#]/.test(value)) {
    throw usageError(
      `${what} "${shown(value)}" must not contain credentials, a query or a fragment`,
    );
  }
  if (/\/auth\/realms\/[^/]+\/?$/.test(url.pathname)) {
    throw usageError(
      `${what} "${shown(value)}" is an issuer URL: give the base URL ${url.origin} (and --realm)`,
    );
  }
  return url.href.replace(/\/+$/, "");
}

/**
 * Resolves the environment from levels given lowest precedence first (settings, variables,
 * flags). Only the values that win are checked, so a flag can override a bad variable or setting.
 */
export function resolveEnvironment(levels: EnvironmentLevel[]): ResolvedEnvironment {
  let envName: string | undefined;
  let base: string | undefined;
  let platform: string | undefined;
  let realmName: string | undefined;
  // From the highest level down: an env at one level hides URLs of the levels below it, and a
  // base URL hides platform URLs below it (a custom base URL alone means no platform calls).
  for (const level of [...levels].reverse()) {
    realmName ??= level.realm || undefined;
    if (envName !== undefined) continue;
    if (base === undefined) platform ??= level.platformUrl || undefined;
    base ??= level.baseUrl || undefined;
    envName = level.env || undefined;
  }
  const named = envName === undefined ? "prod" : canonicalEnvironmentName(envName);
  const baseUrl = base === undefined ? ENVIRONMENTS[named].baseUrl : normaliseUrl(base, "base URL");
  const platformUrl = platform !== undefined
    ? normaliseUrl(platform, "platform URL")
    : base === undefined
    ? ENVIRONMENTS[named].platformUrl
    : undefined;
  let realm = DEFAULT_REALM;
  if (realmName !== undefined) {
    realm = realmName.trim();
    if (!/^[\w.-]+$/.test(realm) || /^\.+$/.test(realm)) {
      throw usageError(`realm "${realmName}" is not a valid realm name`);
    }
  }
  let name: ResolvedEnvironment["name"] = named;
  if (base !== undefined || platform !== undefined) {
    const match = (Object.keys(ENVIRONMENTS) as EnvironmentName[]).find((candidate) =>
      ENVIRONMENTS[candidate].baseUrl === baseUrl &&
      (platformUrl === undefined || ENVIRONMENTS[candidate].platformUrl === platformUrl)
    );
    name = match ?? "custom";
  }
  return { name, baseUrl, realm, issuer: `${baseUrl}/auth/realms/${realm}`, platformUrl };
}
