/**
 * `axway auth whoami`: the default (or named) account with its user, organization and expiry,
 * its token renewed when needed.
 *
 * @module
 */

import { CliError } from "../../errors.ts";
import type { StoredAccount } from "../../store/types.ts";
import { accountJson, accountType, defaultAccountName, environmentAccounts } from "../accounts.ts";
import type { Context } from "../context.ts";
import { commandEnvironment, type EnvironmentFlags } from "../environment.ts";
import { printJson, relativeTime, writeLine } from "../output.ts";
import { usableAccount } from "../../auth/renew.ts";

/** Options of `auth whoami`. */
export interface WhoamiOptions extends EnvironmentFlags {
  account?: string;
  json: boolean;
}

/** Shows who is signed in. */
export async function runWhoami(ctx: Context, options: WhoamiOptions): Promise<void> {
  const env = await commandEnvironment(ctx, options);
  const doc = await (await ctx.store()).read();
  const defaultName = defaultAccountName(doc, env.issuer);
  const name = options.account ?? defaultName;
  const exists = name !== undefined &&
    environmentAccounts(doc, env.issuer).some((account) => account.name === name);
  if (!exists) {
    // No account at all: sign-in needed (exit 4). A named account that does not exist: exit 1.
    const error = options.account === undefined
      ? new CliError("AUTH_REQUIRED", "You are not logged in.", {
        hint: "sign in with: axway auth login",
        silent: options.json,
      })
      : new CliError("NOT_FOUND", `no account named "${options.account}" in this environment`, {
        hint: "list them with: axway auth ls",
        silent: options.json,
      });
    if (options.json) printJson(ctx, []);
    throw error;
  }
  const account = await usableAccount(ctx, env, name);
  if (options.json) {
    printJson(ctx, [accountJson(account, account.name === defaultName)]);
    return;
  }
  describe(ctx, account, account.name === defaultName);
}

function describe(ctx: Context, account: StoredAccount, isDefault: boolean): void {
  const who = account.user
    ? `${
      [account.user.firstName, account.user.lastName].filter(Boolean).join(" ") ||
      account.user.email
    } <${account.user.email}>`
    : account.name;
  writeLine(ctx.stdout, `You are signed in as ${who}.`);
  writeLine(ctx.stdout, `Account:       ${account.name}${isDefault ? " (default)" : ""}`);
  writeLine(ctx.stdout, `Type:          ${accountType(account)}`);
  if (account.org) {
    writeLine(
      ctx.stdout,
      `Organization:  ${account.org.name} (id ${account.org.id}, guid ${account.org.guid})`,
    );
  }
  writeLine(ctx.stdout, `Environment:   ${account.env} (${account.issuer})`);
  const now = ctx.now();
  writeLine(
    ctx.stdout,
    `Access token:  expires ${relativeTime(account.tokens.accessExpires, now)}`,
  );
  if (account.tokens.refreshToken) {
    writeLine(
      ctx.stdout,
      `Sign-in:       ${
        account.tokens.refreshExpires === null
          ? "renews itself (no known limit)"
          : `needed again ${relativeTime(account.tokens.refreshExpires, now)}`
      }`,
    );
  }
}
