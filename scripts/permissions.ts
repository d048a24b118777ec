/**
 * The one permission list of the CLI: `scripts/build.ts` hands it to `deno compile`, and the
 * integration tests and benchmarks run the CLI with exactly these flags.
 *
 * - env: unscoped, because libraries read variables of their own (commander, inquirer).
 * - net: the provider, the platform, proxies, and the loopback server for browser sign-in.
 * - read/write: the config dir (any path the user picks) and key files given on the command line.
 * - run: the browser opener (`xdg-open`, `open`, `BROWSER`…) and keychain tools.
 * - ffi, on Windows only: Credential Manager (advapi32), which holds the store key there.
 *
 * @module
 */

/** Permission flags the CLI runs with, everywhere. */
export const CLI_PERMISSIONS: readonly string[] = [
  "--allow-env",
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-run",
];

/** Operating systems the CLI is built for. */
export type TargetOs = "linux" | "macos" | "windows";

/**
 * The permission list of one OS: {@link CLI_PERMISSIONS}, plus FFI on Windows, where the store key
 * lives in Credential Manager (reached through advapi32) and not through a command.
 */
export function permissionsFor(os: TargetOs): string[] {
  return os === "windows" ? [...CLI_PERMISSIONS, "--allow-ffi"] : [...CLI_PERMISSIONS];
}
