/**
 * The public shape of an account (the original tool's keys, minus every token and secret), and
 * the lookups commands share.
 *
 * @module
 */

import type { StoredAccount, StoreDocument } from "../store/types.ts";
import { CliError } from "../errors.ts";

/** An account as `--json` prints it. */
export interface AccountJson {
  name: string;
  default: boolean;
  isPlatform: boolean;
  needsLogin: boolean;
  auth: {
    authenticator: StoredAccount["authenticator"];
    baseUrl: string;
    realm: string;
    env: string;
    clientId: string;
    expires: { access: number; refresh: number | null };
  };
  user?: StoredAccount["user"];
  org?: StoredAccount["org"];
  orgs?: { guid: string; id: string; name: string; default: boolean }[];
}

/** Builds the public view of an account; it never includes tokens or credentials. */
export function accountJson(account: StoredAccount, isDefault: boolean): AccountJson {
  const view: AccountJson = {
    name: account.name,
    default: isDefault,
    isPlatform: account.isPlatform,
    needsLogin: account.needsLogin,
    auth: {
      authenticator: account.authenticator,
      baseUrl: account.baseUrl,
      realm: account.realm,
      env: account.env,
      clientId: account.clientId,
      expires: { access: account.tokens.accessExpires, refresh: account.tokens.refreshExpires },
    },
  };
  if (account.user) view.user = { ...account.user };
  if (account.org) view.org = { ...account.org };
  if (account.orgs) {
    view.orgs = account.orgs.map((org) => ({ ...org, default: org.guid === account.org?.guid }));
  }
  return view;
}

/** The accounts of one environment, sorted by name. */
export function environmentAccounts(doc: StoreDocument, issuer: string): StoredAccount[] {
  return doc.accounts.filter((account) => account.issuer === issuer)
    .sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/** The default account's name of an environment, if it still exists. */
export function defaultAccountName(doc: StoreDocument, issuer: string): string | undefined {
  const name = doc.defaults[issuer]?.account;
  return name !== undefined && doc.accounts.some((a) => a.issuer === issuer && a.name === name)
    ? name
    : undefined;
}

/** Finds an account by exact name in an environment, or fails naming it. */
export function findAccount(doc: StoreDocument, issuer: string, name: string): StoredAccount {
  const account = doc.accounts.find((a) => a.issuer === issuer && a.name === name);
  if (!account) {
    const names = environmentAccounts(doc, issuer).map((a) => a.name);
    throw new CliError("NOT_FOUND", `no account named "${name}" in this environment`, {
      hint: names.length ? `accounts: ${names.join(", ")}` : "run: axway auth login",
    });
  }
  return account;
}

/** Human label of an account's kind for tables: Platform, User or Service. */
export function accountType(account: StoredAccount): string {
  if (account.isPlatform) return "Platform";
  return account.authenticator === "ClientSecret" || account.authenticator === "SignedJWT"
    ? "Service"
    : "User";
}

/**
 * Stores an account (replacing one of the same name in its environment) and makes it the
 * default when its environment has none. Returns whether it is the default.
 */
export function upsertAccount(doc: StoreDocument, account: StoredAccount): boolean {
  const index = doc.accounts.findIndex((a) =>
    a.issuer === account.issuer && a.name === account.name
  );
  if (index >= 0) doc.accounts[index] = account;
  else doc.accounts.push(account);
  if (defaultAccountName(doc, account.issuer) === undefined) {
    doc.defaults[account.issuer] = { ...doc.defaults[account.issuer], account: account.name };
  }
  return doc.defaults[account.issuer]?.account === account.name;
}
