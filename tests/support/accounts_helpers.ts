/**
 * Helpers of the CLI integration tests that sign accounts in and look at (or change) what the
 * store holds: a config dir per test, the environment pointing the CLI at a test provider, a
 * browser sign-in driven end to end, and direct store access to move expiries instead of sleeping.
 *
 * @module
 */

import { AccountStore } from "../../src/store/account_store.ts";
import type { StoredAccount } from "../../src/store/types.ts";
import { type CliResult, runCli } from "./cli.ts";
import { completeBrowserLogin } from "./driver.ts";
import type { TestIdp, TestUser } from "./idp.ts";
import { AUTHORIZATION_URL, startCli } from "./login_flow.ts";

/** A fresh config dir, removed on dispose. */
export async function tempConfigDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "axway-cli-test-" });
  return {
    path,
    [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }).catch(() => {}),
  };
}

/** Environment that points the CLI at `idp` (and its platform stand-in), plus `extra`. */
export function idpEnv(idp: TestIdp, extra: Record<string, string> = {}): Record<string, string> {
  return {
    AXWAY_BASE_URL: idp.baseUrl,
    ...(idp.platformUrl ? { AXWAY_PLATFORM_URL: idp.platformUrl } : {}),
    AXWAY_LOGIN_TIMEOUT: "60",
    ...extra,
  };
}

/** `axway auth login --no-launch-browser` completed by the driver as `user`; asserts success. */
export async function browserLogin(
  configDir: string,
  env: Record<string, string>,
  user: TestUser,
  args: string[] = [],
): Promise<CliResult> {
  const cli = startCli(configDir, ["auth", "login", "--no-launch-browser", ...args], { env });
  try {
    const [url] = await cli.waitFor(AUTHORIZATION_URL);
    await completeBrowserLogin(url, { user });
  } catch (error) {
    cli.kill();
    await cli.finish();
    throw error;
  }
  const result = await cli.finish();
  if (result.code !== 0) {
    throw new Error(`browser login failed (${result.code}): ${result.stdout}${result.stderr}`);
  }
  return result;
}

/** A service-account login with a client secret; asserts success. */
export async function secretLogin(
  configDir: string,
  env: Record<string, string>,
  clientId: string,
  secret: string,
): Promise<CliResult> {
  const result = await runCli(
    configDir,
    ["auth", "login", "--client-id", clientId, "--client-secret", "-"],
    { env, stdin: secret },
  );
  if (result.code !== 0) {
    throw new Error(`service login failed (${result.code}): ${result.stdout}${result.stderr}`);
  }
  return result;
}

/** The store of a config dir, opened the way the CLI opens it by default (key file). */
export function openStore(configDir: string): AccountStore {
  return new AccountStore({ configDir, keySource: { requested: "file" } });
}

/** The stored account named `name` (fails when there is none). */
export async function storedAccount(configDir: string, name: string): Promise<StoredAccount> {
  const account = (await openStore(configDir).read()).accounts.find((a) => a.name === name);
  if (!account) throw new Error(`no stored account ${name}`);
  return account;
}

/** Changes the stored account named `name` in place (e.g. to move its expiry). */
export async function editAccount(
  configDir: string,
  name: string,
  change: (account: StoredAccount) => void,
): Promise<void> {
  await openStore(configDir).update((doc) => {
    const account = doc.accounts.find((a) => a.name === name);
    if (!account) throw new Error(`no stored account ${name}`);
    change(account);
  });
}

/** Marks the access token of `name` as expired a second ago. */
export function expireAccessToken(configDir: string, name: string): Promise<void> {
  return editAccount(configDir, name, (account) => {
    account.tokens.accessExpires = Date.now() - 1000;
  });
}

/** The name the CLI gives a person's account signed in with the default client. */
export function personName(user: TestUser): string {
  return `amplify-cli:${user.email}`;
}
