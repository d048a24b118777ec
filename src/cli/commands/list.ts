/**
 * `axway auth ls`: the signed-in accounts of the environment, from the store only (no network).
 *
 * @module
 */

import type { Context } from "../context.ts";
import { commandEnvironment, type EnvironmentFlags } from "../environment.ts";
import { accountJson, accountType, defaultAccountName, environmentAccounts } from "../accounts.ts";
import { printJson, relativeTime, style, table, writeLine } from "../output.ts";

/** Options of `auth ls`. */
export interface ListOptions extends EnvironmentFlags {
  json: boolean;
}

/** Lists accounts. */
export async function runList(ctx: Context, options: ListOptions): Promise<void> {
  const env = await commandEnvironment(ctx, options);
  const store = await ctx.store();
  const doc = await store.snapshot();
  const accounts = environmentAccounts(doc, env.issuer);
  const defaultName = defaultAccountName(doc, env.issuer);
  if (options.json) {
    printJson(ctx, accounts.map((account) => accountJson(account, account.name === defaultName)));
    return;
  }
  if (accounts.length === 0) {
    writeLine(ctx.stdout, "No authenticated accounts.");
    return;
  }
  const now = ctx.now();
  const rows = accounts.map((account) => {
    const isDefault = account.name === defaultName;
    const org = account.org ? `${account.org.name} (${account.org.id})` : "—";
    let signIn = "—";
    if (account.needsLogin) signIn = "now";
    else if (account.tokens.refreshToken) {
      signIn = account.tokens.refreshExpires === null
        ? "—"
        : relativeTime(account.tokens.refreshExpires, now);
    } else if (accountType(account) !== "Service") {
      signIn = relativeTime(account.tokens.accessExpires, now);
    }
    return [
      isDefault ? style(ctx, "green", `* ${account.name}`) : `  ${account.name}`,
      accountType(account),
      org,
      signIn,
    ];
  });
  ctx.stdout.write(table(["ACCOUNT NAME", "TYPE", "ORGANIZATION", "SIGN-IN NEEDED"], rows));
  writeLine(ctx.stdout);
  writeLine(ctx.stdout, style(ctx, "dim", `* default account · ${env.name} (${env.issuer})`));
  writeLine(ctx.stdout, style(ctx, "dim", `store key: ${await store.describeKey()}`));
}
