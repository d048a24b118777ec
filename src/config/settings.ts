/**
 * The plain settings file (`settings.json` in the config dir). It never holds anything secret or
 * personal: no tokens, no account names, no proxy credentials.
 *
 * @module
 */

import { join } from "node:path";
import { CliError } from "../errors.ts";

/** Settings users can set with `axway config set`. */
export interface Settings {
  env?: string;
  "auth.baseUrl"?: string;
  "auth.realm"?: string;
  "auth.platformUrl"?: string;
  "auth.clientId"?: string;
  "auth.keyStore"?: string;
  "auth.loginTimeout"?: number;
  "network.proxy"?: string;
  "network.caFile"?: string;
}

/** Path of the settings file in a config dir. */
export function settingsPath(configDir: string): string {
  return join(configDir, "settings.json");
}

/** Reads the settings file; an absent file is empty settings, a broken one a clear error. */
export async function readSettings(configDir: string): Promise<Settings> {
  const path = settingsPath(configDir);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return {};
    throw new CliError("FAILURE", `cannot read settings file ${path}`, { cause: error });
  }
  try {
    const parsed = JSON.parse(text);
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error();
    return parsed as Settings;
  } catch {
    throw new CliError("FAILURE", `settings file ${path} is not valid JSON`, {
      hint: "fix it, or remove it to go back to the defaults",
    });
  }
}
