/**
 * `axway config list|get|set|unset`: the settings file (`settings.json` in the config dir).
 *
 * `get` prints the value stored in the file (not the effective value after environment variables)
 * and, like `git config`, prints nothing and exits 1 when the key is not set. `set
 * auth.keyStore <source>` also re-encrypts the account store under the new key source.
 *
 * @module
 */

import {
  parseSettingValue,
  readSettingsFile,
  SETTING_KEYS,
  SETTING_VARIABLES,
  type SettingKey,
  settingKey,
  settingsPath,
  writeSettingsFile,
} from "../../config/settings.ts";
import { CliError, usageError } from "../../errors.ts";
import { describeNewKeySource, type RequestedKeySource } from "../../store/key_source.ts";
import type { Context } from "../context.ts";
import { keySelection } from "../../store/key_source.ts";
import { oneLine, printJson, style, writeLine } from "../output.ts";

/** Options of `config list`. */
export interface ConfigListOptions {
  json: boolean;
}

/** Options of `config get` and `config unset`. */
export interface ConfigKeyOptions {
  key: string;
  json: boolean;
}

/** Options of `config set`. */
export interface ConfigSetOptions extends ConfigKeyOptions {
  value: string;
}

/** Lists the settings, the variables overriding them, and where the store key lives. */
export async function runConfigList(ctx: Context, options: ConfigListOptions): Promise<void> {
  const raw = await readSettingsFile(ctx.configDir);
  const path = settingsPath(ctx.configDir);
  const keyStore = await describeStoreKey(ctx);
  const settings: Record<string, unknown> = {};
  for (const key of SETTING_KEYS) if (raw[key] !== undefined) settings[key] = masked(key, raw[key]);
  for (const [key, value] of Object.entries(raw)) {
    if (!(key in settings) && value !== undefined) settings[key] = masked(key, value);
  }
  const overriddenBy: Record<string, string> = {};
  for (const key of Object.keys(settings)) {
    const variable = overridingVariable(ctx, key);
    if (variable) overriddenBy[key] = variable;
  }
  if (options.json) {
    printJson(ctx, { path, settings, overriddenBy, keyStore });
    return;
  }
  const keys = Object.keys(settings);
  if (keys.length === 0) writeLine(ctx.stdout, "No settings.");
  for (const key of keys) {
    let note = "";
    if (!(SETTING_KEYS as readonly string[]).includes(key)) note = "  (unknown setting, ignored)";
    else if (overriddenBy[key]) note = `  (${overriddenBy[key]} is set and takes precedence)`;
    writeLine(
      ctx.stdout,
      `${oneLine(key)} = ${display(key, settings[key])}${note && style(ctx, "dim", note)}`,
    );
  }
  writeLine(ctx.stdout);
  writeLine(ctx.stdout, style(ctx, "dim", `settings file: ${path}`));
  writeLine(ctx.stdout, style(ctx, "dim", `store key: ${keyStore}`));
}

/** Prints one setting; exits 1 without output when it is not set. */
export async function runConfigGet(ctx: Context, options: ConfigKeyOptions): Promise<void> {
  const key = settingKey(options.key);
  const value = (await readSettingsFile(ctx.configDir))[key];
  const set = value !== undefined && value !== null;
  if (options.json) printJson(ctx, { key, value: set ? masked(key, value) : null });
  else if (set) writeLine(ctx.stdout, display(key, value));
  if (!set) throw new CliError("NOT_FOUND", `${key} is not set`, { silent: true });
}

/** Checks and stores one setting (re-encrypting the store for `auth.keyStore`). */
export async function runConfigSet(ctx: Context, options: ConfigSetOptions): Promise<void> {
  const key = settingKey(options.key);
  const value = await parseSettingValue(key, options.value);
  const raw = await readSettingsFile(ctx.configDir);
  const moved = key === "auth.keyStore" ? await rekey(ctx, value as RequestedKeySource) : undefined;
  raw[key] = value;
  await writeSettingsFile(ctx.configDir, raw);
  const variable = overridingVariable(ctx, key);
  if (options.json) {
    printJson(ctx, { key, value, ...moved });
  } else {
    writeLine(ctx.stdout, `${key} = ${display(key, value)}`);
    if (moved?.reencrypted) writeLine(ctx.stdout, `Account store re-encrypted: ${moved.keyStore}.`);
    else if (moved) writeLine(ctx.stdout, `New account stores will use: ${moved.keyStore}.`);
  }
  if (variable) {
    writeLine(ctx.stderr, `note: ${variable} is set and takes precedence over this setting`);
  }
}

/** Removes one setting; removing one that is not set is not an error. */
export async function runConfigUnset(ctx: Context, options: ConfigKeyOptions): Promise<void> {
  const key = settingKey(options.key);
  const raw = await readSettingsFile(ctx.configDir);
  const removed = raw[key] !== undefined;
  if (removed) {
    delete raw[key];
    await writeSettingsFile(ctx.configDir, raw);
  }
  if (options.json) printJson(ctx, { key, removed });
  else writeLine(ctx.stdout, removed ? `${key} unset` : `${key} was not set`);
}

/**
 * Re-encrypts an existing store under the key source `requested` picks (keeping every account),
 * before the setting is written: if the current key cannot be had, or the new source cannot be
 * used, nothing changes. Without a store there is nothing to move (and no key is created yet).
 * Returns where the key lives (or will live) and whether the store was re-encrypted.
 */
async function rekey(
  ctx: Context,
  requested: RequestedKeySource,
): Promise<{ keyStore: string; reencrypted: boolean }> {
  const passphrase = ctx.env("AXWAY_AUTH_PASSPHRASE");
  if (requested === "passphrase" && passphrase === undefined) {
    throw usageError(
      "auth.keyStore passphrase needs a passphrase: set AXWAY_AUTH_PASSPHRASE",
      "the store key is then derived from it on every run",
    );
  }
  const selection = { ...keySelection(ctx.env), requested };
  const store = await ctx.store();
  if (!await exists(store.path)) {
    return { keyStore: describeNewKeySource(ctx.configDir, selection), reencrypted: false };
  }
  await store.rekey(selection);
  return { keyStore: await store.describeKey(), reencrypted: true };
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** Where the store key lives, or why that cannot be said (never fails `config list`). */
async function describeStoreKey(ctx: Context): Promise<string> {
  try {
    return await (await ctx.store()).describeKey();
  } catch (error) {
    return `unknown (${error instanceof Error ? error.message : String(error)})`;
  }
}

/** The environment variable that overrides `key`, when one is set (its value is never shown). */
function overridingVariable(ctx: Context, key: string): string | undefined {
  const variables = SETTING_VARIABLES[key as SettingKey] as readonly string[] | undefined;
  return variables?.find((name) => ctx.env(name) !== undefined);
}

/** A JSON value with any credentials in a URL masked (see `display`). */
function masked(key: string, value: unknown): unknown {
  return typeof value === "string" ? display(key, value) : value;
}

/**
 * A value as printed. `set` never stores credentials, but a hand-edited file might hold some in
 * a URL (or a bare `user:password@host` proxy): they are masked wherever a value is shown.
 */
function display(key: string, value: unknown): string {
  // A hand-edited file may hold anything: shown on one line, without control characters.
  const text = oneLine(typeof value === "string" ? value : JSON.stringify(value));
  const userInfo = key === "network.proxy"
    ? /^([a-z][a-z0-9+.-]*:\/\/)?[^/?#]*@/i
    : /^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i;
  return text.replace(userInfo, "$1***@");
}
