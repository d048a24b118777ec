/**
 * Shared helpers of the store tests.
 *
 * @module
 */

import { CliError, type ErrorCode } from "../../../src/errors.ts";
import type { StoredAccount } from "../../../src/store/types.ts";

/** Whether file modes can be checked here. */
export const posix = Deno.build.os !== "windows";

/** A fresh temp dir; removed when the returned object is disposed. */
export async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "axway-store-" });
  return {
    path,
    [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }),
  };
}

/** A sample account named `name`. */
export function sampleAccount(name: string, overrides: Partial<StoredAccount> = {}): StoredAccount {
  return {
    name,
    issuer: "https://login.example.com/auth/realms/Broker",
    env: "prod",
    baseUrl: "https://login.example.com",
    realm: "Broker",
    clientId: "axway-cli",
    authenticator: "PKCE",
    tokens: { accessToken: `at-${name}`, accessExpires: 1_700_000_000_000, refreshExpires: null },
    isPlatform: false,
    needsLogin: false,
    ...overrides,
  };
}

/** Asserts that `promise` rejects with a CliError of `code`; returns it. */
export async function rejectsWithCode(
  promise: Promise<unknown>,
  code: ErrorCode,
): Promise<CliError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof CliError && error.code === code) return error;
    throw new Error(`expected CliError ${code}, got ${error}`, { cause: error });
  }
  throw new Error(`expected CliError ${code}, but it resolved`);
}

/** The permission bits of `path`. */
export async function modeOf(path: string): Promise<number> {
  return (await Deno.stat(path)).mode! & 0o777;
}

/** Every regular file under `dir`, recursively. */
export async function listFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) files.push(...await listFiles(path));
    else if (entry.isFile) files.push(path);
  }
  return files;
}
