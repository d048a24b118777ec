/**
 * Cross-process exclusive locks on small dedicated lock files.
 *
 * @module
 */

/**
 * Runs `fn` while holding an exclusive lock on `path` (created with mode 0600 if missing; its
 * directory must exist). Blocks until other holders, in any process, release it. Not re-entrant:
 * do not take the same lock again inside `fn`.
 */
export async function withFileLock<T>(path: string, fn: () => T | Promise<T>): Promise<T> {
  const file = await Deno.open(path, { read: true, write: true, create: true, mode: 0o600 });
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
