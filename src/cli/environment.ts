/**
 * Resolves the environment a command talks to from its flags, the environment variables and
 * the settings file.
 *
 * @module
 */

import {
  type EnvironmentLevel,
  type ResolvedEnvironment,
  resolveEnvironment,
} from "../config/environments.ts";
import type { Context } from "./context.ts";

/** The environment flags every `auth` command takes. */
export type EnvironmentFlags = EnvironmentLevel;

/** Flag → variable → settings → defaults. */
export async function commandEnvironment(
  ctx: Pick<Context, "env" | "settings">,
  flags: EnvironmentFlags,
): Promise<ResolvedEnvironment> {
  const settings = await ctx.settings();
  return resolveEnvironment([
    {
      env: settings.env,
      baseUrl: settings["auth.baseUrl"],
      realm: settings["auth.realm"],
      platformUrl: settings["auth.platformUrl"],
    },
    {
      env: ctx.env("AXWAY_ENV"),
      baseUrl: ctx.env("AXWAY_BASE_URL"),
      realm: ctx.env("AXWAY_REALM"),
      platformUrl: ctx.env("AXWAY_PLATFORM_URL"),
    },
    flags,
  ]);
}
