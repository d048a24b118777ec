/**
 * Where axway keeps its files.
 *
 * @module
 */

/** Joins path segments with the platform separator. */
export function joinPath(...parts: string[]): string {
  const sep = Deno.build.os === "windows" ? "\\" : "/";
  return parts.map((part, i) => (i === 0 ? part.replace(/[\\/]+$/, "") : part)).join(sep);
}

const join = joinPath;

/**
 * The config dir: `AXWAY_CONFIG_DIR`; else `$XDG_CONFIG_HOME/axway` (default `~/.config/axway`)
 * on Linux and other Unixes, `~/Library/Application Support/axway` on macOS, `%APPDATA%\axway`
 * on Windows.
 */
export function configDir(env: (name: string) => string | undefined, os: string): string {
  const explicit = env("AXWAY_CONFIG_DIR");
  if (explicit) return explicit;
  if (os === "windows") {
    const appData = env("APPDATA");
    if (appData) return join(appData, "axway");
    return join(env("USERPROFILE") ?? ".", "AppData", "Roaming", "axway");
  }
  const home = env("HOME") ?? ".";
  if (os === "darwin") return join(home, "Library", "Application Support", "axway");
  const xdg = env("XDG_CONFIG_HOME");
  return join(xdg && xdg.startsWith("/") ? xdg : join(home, ".config"), "axway");
}
