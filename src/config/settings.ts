/**
 * The plain settings file (`settings.json` in the config dir). It never holds anything secret or
 * personal: no tokens, no account names, no proxy credentials.
 *
 * Values are checked when `axway config set` writes them and again (form only) whenever the file
 * is read, so a hand-edited file with a bad value fails naming the file and the key instead of
 * somewhere downstream.
 *
 * @module
 */

import { CliError, usageError } from "../errors.ts";
import { ensureDir, joinPath, writeFileAtomic } from "../store/atomic.ts";
import { canonicalEnvironmentName, normaliseUrl } from "./environments.ts";
import { parseSeconds } from "./seconds.ts";

/** The longest wait for the browser a setting may ask for: a day. */
export const MAX_LOGIN_TIMEOUT_SECONDS = 86400;

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

/** A settings key. */
export type SettingKey = keyof Settings;

/** Every settings key, in the order `config list` shows them. */
export const SETTING_KEYS: readonly SettingKey[] = [
  "env",
  "auth.baseUrl",
  "auth.realm",
  "auth.platformUrl",
  "auth.clientId",
  "auth.keyStore",
  "auth.loginTimeout",
  "network.proxy",
  "network.caFile",
];

/** Values `auth.keyStore` accepts (the same as `AXWAY_KEY_STORE`). */
export const KEY_STORE_VALUES: readonly string[] = ["auto", "keychain", "file", "passphrase"];

/** Proxy URL schemes `network.proxy` accepts (what `Deno.createHttpClient` supports). */
const PROXY_SCHEMES = ["http:", "https:", "socks5:", "socks5h:"];

/** The environment variables that take precedence over each setting. */
export const SETTING_VARIABLES: Readonly<Record<SettingKey, readonly string[]>> = {
  env: ["AXWAY_ENV"],
  "auth.baseUrl": ["AXWAY_BASE_URL"],
  "auth.realm": ["AXWAY_REALM"],
  "auth.platformUrl": ["AXWAY_PLATFORM_URL"],
  "auth.clientId": ["AXWAY_CLIENT_ID"],
  "auth.keyStore": ["AXWAY_KEY_STORE"],
  "auth.loginTimeout": ["AXWAY_LOGIN_TIMEOUT"],
  "network.proxy": ["HTTPS_PROXY", "https_proxy"],
  "network.caFile": ["AXWAY_CA_FILE"],
};

/** Path of the settings file in a config dir. */
export function settingsPath(configDir: string): string {
  return joinPath(configDir, "settings.json");
}

/** Maps a key as typed (case-insensitive) to its canonical spelling; unknown keys are a usage
 * error listing the valid ones. */
export function settingKey(name: string): SettingKey {
  const key = SETTING_KEYS.find((candidate) => candidate.toLowerCase() === name.toLowerCase());
  if (!key) throw usageError(`unknown setting "${name}": use one of ${SETTING_KEYS.join(", ")}`);
  return key;
}

/**
 * Checks and normalises a value as typed on the command line (`axway config set`): everything
 * `checkValue` does, plus for `network.caFile` a file that exists, is readable and holds PEM
 * certificates (stored as an absolute path, relative to `cwd`). Bad values are usage errors.
 */
export async function parseSettingValue(
  key: SettingKey,
  raw: string,
  cwd: string = Deno.cwd(),
): Promise<string | number> {
  if (key !== "network.caFile") return checkValue(key, raw);
  const path = checkValue(key, raw) as string;
  const absolute = isAbsolutePath(path) ? path : joinPath(cwd, path);
  let text: string;
  try {
    text = await Deno.readTextFile(absolute);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound
      ? "does not exist"
      : error instanceof Deno.errors.IsADirectory
      ? "is a directory"
      : `cannot be read (${error instanceof Error ? error.message : error})`;
    throw usageError(`network.caFile: ${absolute} ${reason}`, "give a PEM file of CA certificates");
  }
  if (!text.includes("-----BEGIN CERTIFICATE-----")) {
    throw usageError(
      `network.caFile: ${absolute} holds no PEM certificate ("-----BEGIN CERTIFICATE-----")`,
      "give a PEM file of CA certificates",
    );
  }
  return absolute;
}

/**
 * A client ID as given by a flag, variable or setting: not empty, and no spaces, control or
 * bidirectional-override characters (it is shown in tables and messages, and sent in headers).
 */
export function checkClientId(value: string, source: string): string {
  // deno-lint-ignore no-control-regex
  if (value === "" || /[\s\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]/.test(value)) {
    throw usageError(`${source} must be a client ID without spaces or control characters`);
  }
  return value;
}

/**
 * Checks the form of a value and returns it normalised (canonical environment name, URL without
 * trailing slash, seconds as a number). Throws a usage error saying what is valid. Never echoes
 * a proxy URL, which could carry credentials.
 */
export function checkValue(key: SettingKey, value: unknown): string | number {
  if (key === "auth.loginTimeout") {
    if (typeof value !== "number" && typeof value !== "string") {
      throw usageError(
        `auth.loginTimeout must be a number of seconds, got ${JSON.stringify(value)}`,
      );
    }
    return parseSeconds("auth.loginTimeout", value, 0, { max: MAX_LOGIN_TIMEOUT_SECONDS });
  }
  if (typeof value !== "string" || value.trim() === "") {
    throw usageError(`${key} must be a non-empty string`);
  }
  const text = value.trim();
  switch (key) {
    case "env":
      return canonicalEnvironmentName(text);
    case "auth.baseUrl":
    case "auth.platformUrl":
      return normaliseUrl(text, key);
    case "auth.realm":
      if (!/^[\w.-]+$/.test(text)) {
        throw usageError(
          `auth.realm "${value}" is not a valid realm name (letters, digits, ".", "_", "-")`,
        );
      }
      return text;
    case "auth.clientId":
      return checkClientId(text, "auth.clientId");
    case "auth.keyStore": {
      const name = text.toLowerCase();
      if (!KEY_STORE_VALUES.includes(name)) {
        throw usageError(`auth.keyStore must be one of ${KEY_STORE_VALUES.join(", ")}`);
      }
      return name;
    }
    case "network.proxy":
      return checkProxyUrl(text);
    case "network.caFile":
      return text;
  }
}

/**
 * A proxy URL: http, https, socks5 or socks5h, host and optional port (a bare `host:port` is
 * http), no credentials.
 */
function checkProxyUrl(text: string): string {
  const expected = "use http://host:port (also https://, socks5://, socks5h://)";
  // Checked before parsing, so that no part of a value with credentials is ever echoed.
  if (text.includes("@")) {
    throw usageError(
      "network.proxy must not contain credentials (user:password@)",
      "set proxy credentials only in HTTPS_PROXY / HTTP_PROXY, never in the settings file",
    );
  }
  let url: URL;
  try {
    // "host:port" means an http proxy, as in HTTPS_PROXY.
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`);
  } catch {
    throw usageError(`network.proxy is not a valid URL: ${expected}`);
  }
  if (!PROXY_SCHEMES.includes(url.protocol)) {
    throw usageError(`network.proxy has an unsupported scheme "${url.protocol}": ${expected}`);
  }
  if (url.username || url.password) {
    throw usageError("network.proxy must not contain credentials (user:password@)");
  }
  if (!url.hostname || (url.pathname !== "/" && url.pathname !== "") || url.search || url.hash) {
    throw usageError(`network.proxy must be just a scheme, host and port: ${expected}`);
  }
  return `${url.protocol}//${url.host}`;
}

/** The raw JSON object of the settings file (no checks of the values); `{}` when absent. */
export async function readSettingsFile(configDir: string): Promise<Record<string, unknown>> {
  const path = settingsPath(configDir);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return {};
    throw cannotRead(path, error);
  }
  return parseObject(text, path);
}

/** Reads the settings file; an absent file is empty settings, a broken one a clear error. */
export async function readSettings(configDir: string): Promise<Settings> {
  return checkSettings(await readSettingsFile(configDir), settingsPath(configDir));
}

/** `readSettings`, synchronously (for the key-source choice, which is made synchronously). */
export function readSettingsSync(configDir: string): Settings {
  const path = settingsPath(configDir);
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return {};
    throw cannotRead(path, error);
  }
  return checkSettings(parseObject(text, path), path);
}

/**
 * Writes the settings file atomically (mode 0600; the config dir is created 0700). Keys are
 * written in `SETTING_KEYS` order; unknown keys (from a newer version) are kept after them.
 */
export async function writeSettingsFile(
  configDir: string,
  values: Record<string, unknown>,
): Promise<void> {
  const ordered: Record<string, unknown> = {};
  for (const key of SETTING_KEYS) if (values[key] !== undefined) ordered[key] = values[key];
  for (const [key, value] of Object.entries(values)) {
    if (!(key in ordered) && value !== undefined) ordered[key] = value;
  }
  const path = settingsPath(configDir);
  try {
    await ensureDir(configDir);
    await writeFileAtomic(path, new TextEncoder().encode(`${JSON.stringify(ordered, null, 2)}\n`));
  } catch (error) {
    throw new CliError(
      "FAILURE",
      `cannot write settings file ${path}: ${error instanceof Error ? error.message : error}`,
      { cause: error },
    );
  }
}

/**
 * The settings' `auth.keyStore`, for the key-source choice of the store: it applies when
 * `AXWAY_KEY_STORE` is not set (environment variable, then settings file, then `auto`).
 */
export function keyStoreSetting(configDir: string): string | undefined {
  return readSettingsSync(configDir)["auth.keyStore"];
}

/**
 * The settings with each value checked when it is first read: a bad value fails the commands that
 * use it (naming the file and the fix), and only those — a flag that overrides it still works.
 */
function checkSettings(raw: Record<string, unknown>, path: string): Settings {
  const settings: Record<string, string | number> = {};
  for (const key of SETTING_KEYS) {
    if (raw[key] === undefined || raw[key] === null) continue;
    let checked: string | number | undefined;
    Object.defineProperty(settings, key, {
      enumerable: true,
      get() {
        try {
          return checked ??= checkValue(key, raw[key]);
        } catch (error) {
          const detail = error instanceof Error ? error.message : String(error);
          throw new CliError("FAILURE", `settings file ${path}: ${detail}`, {
            hint: `fix it with: axway config set ${key} <value>  (or: axway config unset ${key})`,
          });
        }
      },
    });
  }
  return settings as Settings;
}

function parseObject(text: string, path: string): Record<string, unknown> {
  try {
    const parsed = JSON.parse(text);
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error();
    return parsed as Record<string, unknown>;
  } catch {
    throw new CliError("FAILURE", `settings file ${path} is not valid JSON`, {
      hint: "fix it, or remove it to go back to the defaults",
    });
  }
}

function cannotRead(path: string, error: unknown): CliError {
  return new CliError(
    "FAILURE",
    `cannot read settings file ${path}: ${error instanceof Error ? error.message : error}`,
    { cause: error },
  );
}

/** True for `/x`, `C:\\x`, `C:/x` and `\\\\server\\share` paths. */
function isAbsolutePath(path: string): boolean {
  return path.startsWith("/") || path.startsWith("\\\\") || /^[A-Za-z]:[\\/]/.test(path);
}
