/**
 * `axway auth token`: prints a valid access token, renewing it if needed. The one command that
 * outputs a token, because the user asks for it; stdout holds the token and nothing else.
 *
 * @module
 */

import { CliError } from "../../errors.ts";
import { defaultAccountName, environmentAccounts } from "../accounts.ts";
import type { Context } from "../context.ts";
import { commandEnvironment, type EnvironmentFlags } from "../environment.ts";
import { printJson } from "../output.ts";
import { usableAccount } from "../../auth/renew.ts";

/** Options of `auth token`. */
export interface TokenOptions extends EnvironmentFlags {
  account?: string;
  json: boolean;
}

/** Prints the access token of the named or default account. */
export async function runToken(ctx: Context, options: TokenOptions): Promise<void> {
  const env = await commandEnvironment(ctx, options);
  let name = options.account;
  if (name === undefined) {
    const doc = await (await ctx.store()).snapshot();
    name = defaultAccountName(doc, env.issuer);
    if (name === undefined) {
      const any = environmentAccounts(doc, env.issuer).length > 0;
      throw new CliError(
        "AUTH_REQUIRED",
        any ? "no default account in this environment" : "not signed in",
        {
          hint: any
            ? "choose one with: axway auth switch --account <name>, or pass --account <name>"
            : "sign in with: axway auth login",
        },
      );
    }
  }
  const account = await usableAccount(ctx, env, name);
  if (options.json) {
    printJson(ctx, {
      account: account.name,
      accessToken: account.tokens.accessToken,
      expiresAt: account.tokens.accessExpires,
    });
  } else {
    ctx.stdout.write(`${account.tokens.accessToken}\n`);
  }
}
