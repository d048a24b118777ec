/**
 * Switching a platform account's organization. The Amplify platform keeps the current org in
 * the browser session, so the switch is a round trip through `<platform>/auth/org.select` back to
 * the loopback server. The platform sends no `state`: the callback is bound by a one-time random
 * path instead. Afterwards the token is renewed (the org lives in the session behind it) and the
 * platform session reloaded.
 *
 * @module
 */

import { lazyImport } from "../lazy.ts";
import type { ResolvedEnvironment } from "../config/environments.ts";
import { CliError } from "../errors.ts";
import type { PlatformOrg, StoredAccount } from "../store/types.ts";
import type { Context } from "./context.ts";

/** Makes `org` the account's current org at the platform and returns the updated account. */
export async function selectPlatformOrg(
  ctx: Context,
  env: ResolvedEnvironment,
  account: StoredAccount,
  org: PlatformOrg,
  options: { json: boolean; launchBrowser: boolean },
): Promise<StoredAccount> {
  const platformUrl = account.platformUrl;
  if (!platformUrl) {
    throw new CliError(
      "FAILURE",
      `account ${account.name} has no platform URL to switch organizations on`,
    );
  }
  const { usableAccount } = await lazyImport<typeof import("../auth/renew.ts")>(
    import.meta.resolve("../auth/renew.ts"),
  );
  await usableAccount(ctx, env, account.name); // a dead sign-in fails here, before the browser

  const { startLoopbackServer } = await lazyImport<typeof import("../auth/loopback.ts")>(
    import.meta.resolve("../auth/loopback.ts"),
  );
  const { waitFor } = await lazyImport<typeof import("../auth/pkce.ts")>(
    import.meta.resolve("../auth/pkce.ts"),
  );
  const { startWaiting } = await lazyImport<typeof import("./waiting.ts")>(
    import.meta.resolve("./waiting.ts"),
  );
  const { loginTimeoutMs } = await lazyImport<typeof import("./user_login.ts")>(
    import.meta.resolve("./user_login.ts"),
  );
  const timeoutMs = await loginTimeoutMs(ctx);
  const server = startLoopbackServer({
    port: undefined,
    handle: () => ({
      kind: "finish",
      ok: true,
      // Whether the platform really switched is known only once the session is reloaded.
      title: "Organization switch",
      message:
        `axway now checks that the platform selected ${org.name}: see the terminal for the result. You can close this tab.`,
    }),
  });
  const waiting = startWaiting(
    { ...ctx, stdin: { ...ctx.stdin, isTerminal: false } },
    options.json,
  );
  try {
    const url = new URL(`${platformUrl}/auth/org.select`);
    url.searchParams.set("org_hint", org.id);
    url.searchParams.set("redirect", server.redirectUri);
    await waiting.showUrl(url.href, options.launchBrowser, false, "switch the organization");
    await waitFor([server.finished], ctx.signal, timeoutMs, "organization switch");
  } finally {
    waiting.stop();
    await server.close();
  }

  const renewed = await usableAccount(ctx, env, account.name, { force: true });
  const { findSession } = await lazyImport<typeof import("../platform/client.ts")>(
    import.meta.resolve("../platform/client.ts"),
  );
  const session = await findSession(ctx, platformUrl, renewed.tokens.accessToken);
  const selected = session?.org ?? org;
  const updated = await (await ctx.store()).update((doc) => {
    const stored = doc.accounts.find((a) => a.issuer === env.issuer && a.name === account.name);
    if (!stored) {
      throw new CliError("NOT_FOUND", `account ${account.name} was signed out meanwhile`);
    }
    stored.org = selected;
    if (session) {
      stored.orgs = session.orgs;
      stored.user = session.user;
    }
    return structuredClone(stored);
  });
  // The platform decides: a browser signed in as someone else, or a closed org.select page,
  // leaves the org unchanged. The store now says what the platform says; the command fails.
  if (selected.guid !== org.guid) {
    throw new CliError(
      "FAILURE",
      `the platform did not switch ${account.name} to ${org.name} (${org.id}): it still reports ${selected.name} (${selected.id})`,
      {
        hint:
          "finish the organization selection in a browser signed in as this account, then run the command again",
      },
    );
  }
  return updated;
}

/** Finds an org of the account by guid, id or name (case-insensitive). */
export function matchOrg(account: StoredAccount, wanted: string): PlatformOrg {
  const needle = wanted.trim().toLowerCase();
  const org = account.orgs?.find((candidate) =>
    candidate.guid.toLowerCase() === needle || candidate.id.toLowerCase() === needle ||
    candidate.name.toLowerCase() === needle
  );
  if (!org) {
    const list = (account.orgs ?? []).map((o) => `${o.name} (${o.id})`).join(", ");
    throw new CliError("NOT_FOUND", `account ${account.name} has no organization "${wanted}"`, {
      hint: list ? `its organizations: ${list}` : undefined,
    });
  }
  return org;
}
