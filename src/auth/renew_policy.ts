/**
 * When a token counts as due for renewal.
 *
 * @module
 */

/** The renewal margin: `AXWAY_REFRESH_SKEW` seconds (default 60) before expiry. */
export function refreshSkewMs(ctx: { env(name: string): string | undefined }): number {
  const raw = ctx.env("AXWAY_REFRESH_SKEW");
  const seconds = raw === undefined ? 60 : Number(raw);
  return (Number.isFinite(seconds) && seconds >= 0 ? seconds : 60) * 1000;
}
