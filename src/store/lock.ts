/**
 * Cross-process exclusive locks on small dedicated lock files.
 *
 * @module
 */

import { CliError } from "../errors.ts";

function reason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/ \(os error \d+\).*$/s, "").replace(/:? ?open '.*$/s, "").toLowerCase();
}

/**
 * Runs `fn` while holding an exclusive lock on `path` (created with mode 0600 if missing; its
 * directory must exist). Blocks until other holders, in any process, release it. Not re-entrant:
 * do not take the same lock again inside `fn`.
 */
export async function withFileLock<T>(path: string, fn: () => T | Promise<T>): Promise<T> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true, write: true, create: true, mode: 0o600 });
  } catch (error) {
    throw new CliError("FAILURE", `cannot open lock file ${path}: ${reason(error)}`, {
      hint: "the config dir must be writable (set AXWAY_CONFIG_DIR to use another one)",
      cause: error,
    });
  }
  try {
    await file.lock(true);
    try {
      return await fn();
    } finally {
      await file.unlock().catch(() => {});
    }
  } finally {
    file.close();
  }
}
