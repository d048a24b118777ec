/**
 * Durations given in seconds by environment variables or settings (`AXWAY_HTTP_TIMEOUT`,
 * `AXWAY_LOGIN_TIMEOUT`, `AXWAY_REFRESH_SKEW`…): one parser, so every one of them rejects the
 * same bad values the same way.
 *
 * @module
 */

import { usageError } from "../errors.ts";

/** Bounds of a duration; `allowZero` for margins such as the refresh skew. */
export interface SecondsBounds {
  max: number;
  allowZero?: boolean;
}

/**
 * Parses a number of seconds from `raw` (undefined → `fallback`). Not a number, negative, zero
 * (unless allowed) or above `max` is a usage error naming `name`: a timeout too large for the
 * platform's timers would otherwise fire at once.
 */
export function parseSeconds(
  name: string,
  raw: string | number | undefined,
  fallback: number,
  bounds: SecondsBounds,
): number {
  if (raw === undefined) return fallback;
  const value = typeof raw === "number" ? raw : Number(raw.trim() === "" ? NaN : raw);
  const low = bounds.allowZero ? value < 0 : value <= 0;
  if (!Number.isFinite(value) || low || value > bounds.max) {
    throw usageError(
      `${name} must be a number of seconds between ${
        bounds.allowZero ? 0 : "1"
      } and ${bounds.max}, got "${raw}"`,
    );
  }
  return value;
}
