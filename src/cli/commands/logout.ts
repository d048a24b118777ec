/**
 * `axway auth logout`: revokes each account's tokens at the provider, then removes the account.
 * A failed revocation does not keep the account: it is removed all the same and the output says
 * so (the tokens then lapse on their own).
 *
 * @module
 */

import { lazyImport } from "../../lazy.ts";
import type { StoredAccount } from "../../store/types.ts";
import { CliError, usageError } from "../../errors.ts";
import { accountJson, defaultAccountName, environmentAccounts } from "../accounts.ts";
import type { Context } from "../context.ts";
import { commandEnvironment, type EnvironmentFlags } from "../environment.ts";
import { printJson, writeLine } from "../output.ts";
import type { RevocationResult } from "../../auth/revoke.ts";

/** Options of `auth logout`. */
export interface LogoutOptions extends EnvironmentFlags {
  accounts: string[];
  all: boolean;
  json: boolean;
}

/** Signs accounts out. */
export async function runLogout(ctx: Context, options: LogoutOptions): Promise<void> {
  if (options.all && options.accounts.length > 0) {
    throw usageError("name accounts or use --all, not both");
  }
  const env = await commandEnvironment(ctx, options);
  const store = await ctx.store();
  const before = await store.read();
  const inEnvironment = environmentAccounts(before, env.issuer);
  const unknown = options.accounts.filter((name) => !inEnvironment.some((a) => a.name === name));
  if (unknown.length > 0) {
    throw new CliError(
      "NOT_FOUND",
      `no account named ${unknown.map((name) => `"${name}"`).join(", ")} in this environment`,
      {
        hint: inEnvironment.length
          ? `accounts: ${inEnvironment.map((a) => a.name).join(", ")}`
          : "there are no signed-in accounts",
      },
    );
  }
  const targets = options.accounts.length
    ? inEnvironment.filter((a) => options.accounts.includes(a.name))
    : inEnvironment;
  if (targets.length === 0) {
    if (options.json) printJson(ctx, []);
    else writeLine(ctx.stdout, "No authenticated accounts.");
    return;
  }

  const results = await revokeAll(ctx, targets);

  const names = new Set(targets.map((a) => a.name));
  const { wasDefault, newDefault } = await store.update((doc) => {
    const previousDefault = defaultAccountName(doc, env.issuer);
    doc.accounts = doc.accounts.filter((a) => !(a.issuer === env.issuer && names.has(a.name)));
    const wasDefault = previousDefault !== undefined && names.has(previousDefault);
    let newDefault: string | undefined;
    if (wasDefault) {
      newDefault = environmentAccounts(doc, env.issuer)[0]?.name;
      if (newDefault) {
        doc.defaults[env.issuer] = { ...doc.defaults[env.issuer], account: newDefault };
      } else delete doc.defaults[env.issuer];
    }
    return { wasDefault, newDefault };
  });

  if (options.json) {
    const previousDefault = wasDefault ? defaultAccountName(before, env.issuer) : undefined;
    printJson(
      ctx,
      targets.map((account, index) => ({
        ...accountJson(account, account.name === previousDefault),
        revoked: results[index].revoked,
      })),
    );
    return;
  }
  targets.forEach((account, index) => {
    const result = results[index];
    writeLine(
      ctx.stdout,
      result.revoked
        ? `Signed out ${account.name}; its tokens were revoked.`
        : `Signed out ${account.name}, but its tokens could not be revoked (${result.reason}); they stay valid until they expire.`,
    );
  });
  if (newDefault) writeLine(ctx.stdout, `${newDefault} is now the default account.`);
}

/** Revokes every target's tokens; one discovery for all; failures become results. */
async function revokeAll(ctx: Context, targets: StoredAccount[]): Promise<RevocationResult[]> {
  const { discover } = await lazyImport<typeof import("../../auth/oidc.ts")>(
    import.meta.resolve("../../auth/oidc.ts"),
  );
  const { revokeAccountTokens } = await lazyImport<typeof import("../../auth/revoke.ts")>(
    import.meta.resolve("../../auth/revoke.ts"),
  );
  let as;
  try {
    // Fresh metadata: revoking against a stale cached endpoint would leave tokens alive.
    as = await discover(ctx, targets[0], { fresh: true });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return targets.map(() => ({ revoked: false, reason }));
  }
  return await Promise.all(targets.map((account) => revokeAccountTokens(ctx, as, account)));
}
