/**
 * Crash-safe file writes and private directories for the store.
 *
 * @module
 */

/** Whether file modes apply (they do not on Windows). */
export function supportsModes(): boolean {
  return Deno.build.os !== "windows";
}

/**
 * Writes `data` to `path` atomically: a temp file (mode 0600, `createNew`) in the same directory is
 * written, synced and renamed over `path`. On failure the temp file is removed and `path` is left as
 * it was.
 */
export async function writeFileAtomic(path: string, data: Uint8Array): Promise<void> {
  const suffix = crypto.getRandomValues(new Uint8Array(6)).toHex();
  const temp = `${path}.${suffix}.tmp`;
  let renamed = false;
  try {
    const file = await Deno.open(temp, { write: true, createNew: true, mode: 0o600 });
    try {
      let written = 0;
      while (written < data.length) written += await file.write(data.subarray(written));
      await file.syncData();
    } finally {
      file.close();
    }
    await Deno.rename(temp, path);
    renamed = true;
  } finally {
    if (!renamed) await Deno.remove(temp).catch(() => {});
  }
  await syncDir(dirname(path));
}

/**
 * Creates `dir` (and missing parents) with mode 0700, chmod-ing it explicitly on POSIX so the umask
 * cannot widen it. An existing directory is left as it is.
 */
export async function ensureDir(dir: string): Promise<void> {
  try {
    if ((await Deno.stat(dir)).isDirectory) return;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  if (supportsModes()) await Deno.chmod(dir, 0o700);
}

/** The directory part of `path` ("." when there is none). */
export function dirname(path: string): string {
  const index = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  if (index < 0) return ".";
  return index === 0 ? path.slice(0, 1) : path.slice(0, index);
}

export { joinPath } from "../config/paths.ts";

/** Best-effort fsync of a directory so a rename survives a crash (POSIX only). */
async function syncDir(dir: string): Promise<void> {
  if (!supportsModes()) return;
  try {
    const handle = await Deno.open(dir, { read: true });
    try {
      await handle.syncData();
    } finally {
      handle.close();
    }
  } catch {
    // Not all file systems allow syncing a directory; the data itself is already synced.
  }
}
