/**
 * `axway auth switch`: chooses the environment's default account and, for platform accounts, the
 * organization.
 *
 * @module
 */

import { lazyImport } from "../../lazy.ts";
import { CliError, usageError } from "../../errors.ts";
import type { StoredAccount } from "../../store/types.ts";
import { accountJson, defaultAccountName, environmentAccounts, findAccount } from "../accounts.ts";
import type { Context } from "../context.ts";
import { commandEnvironment, type EnvironmentFlags } from "../environment.ts";
import { printJson, writeLine } from "../output.ts";

/** Options of `auth switch`. */
export interface SwitchOptions extends EnvironmentFlags {
  account?: string;
  org?: string;
  launchBrowser: boolean;
  json: boolean;
}

/** Switches the default account and organization. */
export async function runSwitch(ctx: Context, options: SwitchOptions): Promise<void> {
  const env = await commandEnvironment(ctx, options);
  const store = await ctx.store();
  const doc = await store.read();
  const accounts = environmentAccounts(doc, env.issuer);
  if (accounts.length === 0) {
    throw new CliError("AUTH_REQUIRED", "no authenticated accounts", {
      hint: "run: axway auth login",
    });
  }
  const currentDefault = defaultAccountName(doc, env.issuer);
  let name = options.account;
  if (name === undefined) {
    if (accounts.length === 1) name = accounts[0].name;
    else if (options.org !== undefined && currentDefault) name = currentDefault;
    else {
      const { chooseOne } = await lazyImport<typeof import("../prompt.ts")>(
        import.meta.resolve("../prompt.ts"),
      );
      name = await chooseOne(ctx, {
        message: "Choose the default account",
        missingOption: "--account <name>",
        json: options.json,
        choices: accounts.map((a) => ({ name: a.name, value: a.name })),
        initial: currentDefault,
      });
    }
  }
  let account = findAccount(doc, env.issuer, name);

  const orgs = account.orgs ?? [];
  let wanted = options.org;
  if (wanted !== undefined && !account.isPlatform) {
    throw usageError(
      `${account.name} is a ${
        account.authenticator === "PKCE" || account.authenticator === "DeviceCode"
          ? "user account without platform organizations"
          : "service account: service accounts have no organizations"
      }; drop --org`,
    );
  }
  if (
    wanted === undefined && options.account === undefined && account.isPlatform && orgs.length > 1
  ) {
    const { chooseOne } = await lazyImport<typeof import("../prompt.ts")>(
      import.meta.resolve("../prompt.ts"),
    );
    wanted = await chooseOne(ctx, {
      message: "Choose the organization",
      missingOption: "--org <id|guid|name>",
      json: options.json,
      choices: orgs.map((org) => ({ name: `${org.name} (${org.id})`, value: org.guid })),
      initial: account.org?.guid,
    });
  }
  if (wanted !== undefined) {
    const { matchOrg, selectPlatformOrg } = await lazyImport<typeof import("../org_switch.ts")>(
      import.meta.resolve("../org_switch.ts"),
    );
    const org = matchOrg(account, wanted);
    if (org.guid !== account.org?.guid) {
      account = await selectPlatformOrg(ctx, env, account, org, {
        json: options.json,
        launchBrowser: options.launchBrowser,
      });
    }
  }

  await store.update((fresh) => {
    findAccount(fresh, env.issuer, account.name);
    fresh.defaults[env.issuer] = { ...fresh.defaults[env.issuer], account: account.name };
  });
  report(ctx, account, options.json);
}

function report(ctx: Context, account: StoredAccount, json: boolean): void {
  if (json) {
    printJson(ctx, accountJson(account, true));
    return;
  }
  writeLine(
    ctx.stdout,
    account.org
      ? `Default account set to ${account.name} in organization ${account.org.name} (${account.org.id}).`
      : `Default account set to ${account.name}.`,
  );
}
