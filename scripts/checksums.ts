/**
 * SHA-256 checksums of the release artifacts: `dist/SHA256SUMS` in the format of `sha256sum`
 * (`<hex>  <file>`), so `sha256sum -c SHA256SUMS` checks a download.
 *
 * Run directly, it regenerates `SHA256SUMS` from the artifacts in a directory (the release
 * workflow does so after signing the macOS binaries):
 * `deno run --allow-read --allow-write scripts/checksums.ts [--dist dist] [--version X]`.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { targetOfArtifact } from "./build_plan.ts";

/** File name of the checksum list inside the dist directory. */
export const CHECKSUMS_FILE = "SHA256SUMS";

/** Lower-case hex SHA-256 of bytes. */
export async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** Lower-case hex SHA-256 of a file's content. */
export async function sha256File(path: string): Promise<string> {
  return await sha256Hex(await Deno.readFile(path));
}

/** Renders checksum lines, sorted by file name. */
export function formatChecksums(sums: ReadonlyMap<string, string>): string {
  return [...sums.keys()].sort().map((name) => `${sums.get(name)}  ${name}\n`).join("");
}

/** Parses `sha256sum` output (text or `*` binary mode); throws on a malformed line. */
export function parseChecksums(text: string): Map<string, string> {
  const sums = new Map<string, string>();
  for (const [index, line] of text.split("\n").entries()) {
    if (line.trim() === "") continue;
    const match = /^([0-9a-fA-F]{64}) [ *](.+)$/.exec(line.trimEnd());
    if (!match) throw new Error(`${CHECKSUMS_FILE} line ${index + 1} is malformed: ${line}`);
    sums.set(match[2], match[1].toLowerCase());
  }
  return sums;
}

/** Names of the artifacts of a version present in a directory, sorted. */
export async function listArtifacts(distDir: string, version: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(distDir)) {
    if (entry.isFile && targetOfArtifact(version, entry.name)) names.push(entry.name);
  }
  return names.sort();
}

/** Hashes every artifact of a version in a directory and writes its `SHA256SUMS`. */
export async function writeChecksums(
  distDir: string,
  version: string,
): Promise<Map<string, string>> {
  const sums = new Map<string, string>();
  for (const name of await listArtifacts(distDir, version)) {
    sums.set(name, await sha256File(join(distDir, name)));
  }
  await Deno.writeTextFile(join(distDir, CHECKSUMS_FILE), formatChecksums(sums));
  return sums;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { dist: { type: "string" }, version: { type: "string" } },
  });
  const root = new URL("..", import.meta.url);
  const dist = values.dist ?? fileURLToPath(new URL("dist", root));
  const version = values.version ??
    JSON.parse(await Deno.readTextFile(new URL("deno.json", root))).version;
  const sums = await writeChecksums(dist, version);
  if (sums.size === 0) {
    console.error(`error: no axway-${version}-* artifact in ${dist}`);
    Deno.exit(1);
  }
  console.log(formatChecksums(sums).trimEnd());
}
