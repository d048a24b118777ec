/**
 * Getting an account with a usable access token, renewing it when it has expired or expires
 * within the skew margin: the refresh token grant (RFC 6749 §6) for people, a new client
 * credentials grant (RFC 6749 §4.4) for service accounts.
 *
 * Renewal runs under the account's own lock and re-reads the store once the lock is held: when
 * another process renewed meanwhile, its token is used, so N processes racing on one expired
 * account make one refresh request (rotated refresh tokens are never replayed). The store lock
 * is taken only to write the result.
 *
 * @module
 */

import { lazyImport } from "../lazy.ts";
import type * as oauth from "oauth4webapi";
import type { ResolvedEnvironment } from "../config/environments.ts";
import { CliError } from "../errors.ts";
import type { AccountStore } from "../store/account_store.ts";
import type { StoredAccount } from "../store/types.ts";
import { refreshSkewMs } from "./renew_policy.ts";

/** What renewal needs. */
export interface RenewContext {
  fetch: typeof fetch;
  /** Where discovery results are cached. */
  configDir: string;
  env(name: string): string | undefined;
  now(): number;
  store(): Promise<AccountStore>;
}

/** True when the access token is usable for at least the skew margin. */
export function isFresh(account: StoredAccount, now: number, skewMs: number): boolean {
  return !account.needsLogin && account.tokens.accessExpires - skewMs > now;
}

/**
 * Returns the account with a usable access token, renewing it if needed. `force` renews even a
 * fresh token (after an org switch, the new org lives in the session behind a new token) unless
 * another process renewed it meanwhile.
 */
export async function usableAccount(
  ctx: RenewContext,
  env: ResolvedEnvironment,
  name: string,
  options: { force?: boolean } = {},
): Promise<StoredAccount> {
  const skew = refreshSkewMs(ctx);
  const store = await ctx.store();
  const account = lookup(await store.snapshot(), env.issuer, name);
  if (!options.force && isFresh(account, ctx.now(), skew)) return account;
  if (account.needsLogin) throw signInAgain(account, env, "it can no longer renew its token");

  return await store.withAccountLock(env.issuer, name, async () => {
    const current = lookup(await store.read(), env.issuer, name);
    const renewedMeanwhile = current.tokens.accessToken !== account.tokens.accessToken;
    if ((!options.force || renewedMeanwhile) && isFresh(current, ctx.now(), skew)) {
      return current; // renewed by another process
    }
    if (current.needsLogin) throw signInAgain(current, env, "it can no longer renew its token");
    if (
      !current.credentials && current.tokens.refreshToken === undefined
    ) {
      return await markNeedsLogin(ctx, env, current, "it has no refresh token");
    }
    if (
      !current.credentials && current.tokens.refreshExpires !== null &&
      current.tokens.refreshExpires <= ctx.now()
    ) {
      return await markNeedsLogin(ctx, env, current, "its sign-in has expired");
    }

    const { withProvider, renewalGrant, storedTokens } = await lazyImport<
      typeof import("./refresh.ts")
    >(import.meta.resolve("./refresh.ts"));
    let response: oauth.TokenEndpointResponse;
    try {
      response = await withProvider(ctx, env, (as) => renewalGrant(ctx, as, current, skew));
    } catch (error) {
      if (
        error instanceof CliError &&
        (error.code === "AUTH_REQUIRED" || error.code === "INVALID_CLIENT")
      ) {
        return await markNeedsLogin(ctx, env, current, error.message);
      }
      throw error; // unreachable provider etc.: the stored tokens stay as they were
    }
    const tokens = storedTokens(response, ctx.now(), current.tokens);
    return await store.update((doc) => {
      const stored = doc.accounts.find((a) => a.issuer === env.issuer && a.name === name);
      if (!stored) throw notFound(name); // logged out meanwhile
      stored.tokens = tokens;
      stored.needsLogin = false;
      return structuredClone(stored);
    });
  });
}

async function markNeedsLogin(
  ctx: RenewContext,
  env: ResolvedEnvironment,
  account: StoredAccount,
  reason: string,
): Promise<never> {
  await (await ctx.store()).update((doc) => {
    const stored = doc.accounts.find((a) => a.issuer === env.issuer && a.name === account.name);
    if (stored) stored.needsLogin = true;
  });
  throw signInAgain(account, env, reason);
}

/** The exact command that signs an account in again. */
export function loginCommand(account: StoredAccount, env: ResolvedEnvironment): string {
  const parts = ["axway auth login"];
  if (env.name === "custom") {
    parts.push(`--base-url ${env.baseUrl}`);
    if (env.realm !== "Broker") parts.push(`--realm ${env.realm}`);
    if (env.platformUrl) parts.push(`--platform-url ${env.platformUrl}`);
  } else if (env.name !== "prod") parts.push(`--env ${env.name}`);
  if (account.credentials?.clientSecret !== undefined) {
    parts.push(`--client-id ${account.clientId} --client-secret -`);
  } else if (account.credentials?.privateKey) {
    parts.push(`--client-id ${account.clientId} --secret-file <key.pem>`);
  } else {
    if (account.clientId !== "amplify-cli") parts.push(`--client-id ${account.clientId}`);
    if (account.authenticator === "DeviceCode") parts.push("--device");
    // Without --force, another person signed in with the same client answers "Already signed
    // in" instead; --force also lets the user pick the account on the provider's login page.
    parts.push("--force");
  }
  return parts.join(" ");
}

function signInAgain(account: StoredAccount, env: ResolvedEnvironment, reason: string): CliError {
  return new CliError("AUTH_REQUIRED", `account ${account.name} must sign in again: ${reason}`, {
    hint: `run: ${loginCommand(account, env)}`,
  });
}

function notFound(name: string): CliError {
  return new CliError("NOT_FOUND", `no account named "${name}" in this environment`);
}

function lookup(
  doc: { accounts: StoredAccount[] },
  issuer: string,
  name: string,
): StoredAccount {
  const account = doc.accounts.find((a) => a.issuer === issuer && a.name === name);
  if (!account) throw notFound(name);
  return account;
}
