/**
 * A small plain cache of provider metadata in the config dir (`discovery-cache.json`), so that
 * sign-ins, renewals and logouts skip the discovery round trip. It holds only the provider's
 * public metadata (no secrets, no account names); entries live an hour; anything unreadable is
 * ignored and rewritten, since it is only a cache.
 *
 * @module
 */

import { ensureDir, joinPath, writeFileAtomic } from "../store/atomic.ts";

/** File name of the cache in the config dir. */
export const DISCOVERY_CACHE_FILE = "discovery-cache.json";

/** How long cached metadata is used. */
export const DISCOVERY_CACHE_TTL_MS = 60 * 60 * 1000;

interface Entry {
  fetchedAt: number;
  metadata: Record<string, unknown>;
}

async function readEntries(configDir: string): Promise<Record<string, Entry>> {
  try {
    const parsed = JSON.parse(await Deno.readTextFile(joinPath(configDir, DISCOVERY_CACHE_FILE)));
    return parsed && typeof parsed === "object" && !Array.isArray(parsed) ? parsed : {};
  } catch {
    return {};
  }
}

/** The cached metadata of `issuer`, when fresh. */
export async function readCachedMetadata(
  configDir: string,
  issuer: string,
  now: number,
): Promise<Record<string, unknown> | undefined> {
  const entry = (await readEntries(configDir))[issuer];
  if (
    !entry || typeof entry.fetchedAt !== "number" || typeof entry.metadata !== "object" ||
    entry.fetchedAt > now || now - entry.fetchedAt > DISCOVERY_CACHE_TTL_MS
  ) return undefined;
  return entry.metadata;
}

/** Stores `metadata` for `issuer`; failures are ignored (it is only a cache). */
export async function writeCachedMetadata(
  configDir: string,
  issuer: string,
  metadata: Record<string, unknown>,
  now: number,
): Promise<void> {
  try {
    const entries = await readEntries(configDir);
    for (const [key, entry] of Object.entries(entries)) {
      if (now - entry?.fetchedAt > DISCOVERY_CACHE_TTL_MS) delete entries[key];
    }
    entries[issuer] = { fetchedAt: now, metadata };
    await ensureDir(configDir);
    await writeFileAtomic(
      joinPath(configDir, DISCOVERY_CACHE_FILE),
      new TextEncoder().encode(`${JSON.stringify(entries, null, 2)}\n`),
    );
  } catch {
    // A read-only config dir still signs in; it just asks the provider every time.
  }
}
