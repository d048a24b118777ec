/**
 * When a token counts as due for renewal.
 *
 * @module
 */

import { parseSeconds } from "../config/seconds.ts";

/** The renewal margin: `AXWAY_REFRESH_SKEW` seconds (default 60, at most a day) before expiry. */
export function refreshSkewMs(ctx: { env(name: string): string | undefined }): number {
  return parseSeconds("AXWAY_REFRESH_SKEW", ctx.env("AXWAY_REFRESH_SKEW"), 60, {
    max: 86400,
    allowZero: true,
  }) * 1000;
}
