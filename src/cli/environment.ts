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
import { usageError } from "../errors.ts";

/** The environment flags every `auth` command takes. */
export type EnvironmentFlags = EnvironmentLevel;

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}

/** Flag → variable → settings → defaults. */
export async function commandEnvironment(
  ctx: Pick<Context, "env" | "settings">,
  flags: EnvironmentFlags,
): Promise<ResolvedEnvironment> {
  const settings = await ctx.settings();
  for (const [flag, value] of Object.entries(flags)) {
    if (value === "") throw usageError(`--${kebab(flag)} needs a value`);
  }
  // Getters: resolution reads only the levels it needs, so a bad value in the settings file does
  // not stop a command whose flags override it.
  return resolveEnvironment([
    {
      get env() {
        return settings.env;
      },
      get baseUrl() {
        return settings["auth.baseUrl"];
      },
      get realm() {
        return settings["auth.realm"];
      },
      get platformUrl() {
        return settings["auth.platformUrl"];
      },
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
