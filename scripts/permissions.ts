/**
 * The one permission list of the CLI: `scripts/build.ts` hands it to `deno compile`, and the
 * integration tests and benchmarks run the CLI with exactly these flags.
 *
 * - env: unscoped, because libraries read variables of their own (commander, inquirer).
 * - net: the provider, the platform, proxies, and the loopback server for browser sign-in.
 * - read/write: the config dir (any path the user picks) and key files given on the command line.
 * - run: the browser opener (`xdg-open`, `open`, `BROWSER`…) and keychain tools.
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
