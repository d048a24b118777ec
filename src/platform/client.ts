/**
 * The Amplify Platform API calls the CLI makes.
 *
 * @module
 */

import { CliError } from "../errors.ts";
import { displayUrl } from "../net/http.ts";
import type { PlatformOrg, PlatformUser } from "../store/types.ts";

/** A platform session: the user, the current org and the user's orgs. */
export interface PlatformSession {
  user: PlatformUser;
  org?: PlatformOrg;
  orgs: PlatformOrg[];
}

interface RawOrg {
  guid?: string;
  org_id?: string | number;
  id?: string | number;
  name?: string;
}

function toOrg(raw: RawOrg | undefined): PlatformOrg | undefined {
  if (!raw?.guid) return undefined;
  return { guid: raw.guid, id: String(raw.org_id ?? raw.id ?? ""), name: raw.name ?? raw.guid };
}

/**
 * `GET <platform>/api/v1/auth/findSession` with the access token. Returns null when the platform
 * knows no session for the token (a service account).
 */
export async function findSession(
  http: { fetch: typeof fetch },
  platformUrl: string,
  accessToken: string,
): Promise<PlatformSession | null> {
  const url = `${platformUrl}/api/v1/auth/findSession`;
  const response = await http.fetch(url, {
    headers: { accept: "application/json", authorization: `Bearer ${accessToken}` },
  });
  let body: { success?: boolean; result?: unknown; message?: string; description?: string };
  try {
    body = await response.json();
  } catch {
    throw new CliError(
      "PROVIDER_ERROR",
      `unexpected answer from ${displayUrl(url)}: HTTP ${response.status}`,
    );
  }
  if (!response.ok) {
    throw new CliError(
      "PROVIDER_ERROR",
      `${displayUrl(url)} answered HTTP ${response.status}${
        body.message ? `: ${body.message}` : ""
      }`,
    );
  }
  const result = body.result as
    | { user?: Record<string, string>; org?: RawOrg; orgs?: RawOrg[] }
    | null
    | undefined;
  if (!result?.user?.email) return null;
  const orgs = (result.orgs ?? []).map(toOrg).filter((org): org is PlatformOrg => !!org);
  const org = toOrg(result.org);
  return {
    user: {
      guid: result.user.guid ?? "",
      email: result.user.email,
      firstName: result.user.firstname ?? result.user.firstName ?? "",
      lastName: result.user.lastname ?? result.user.lastName ?? "",
    },
    ...(org ? { org } : {}),
    orgs: orgs.length || !org ? orgs : [org],
  };
}
