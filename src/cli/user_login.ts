/**
 * A person's sign-in (`axway auth login` without a secret or key): in the browser through the
 * loopback server, or with a device code.
 *
 * @module
 */

import { lazyImport } from "../lazy.ts";
import type { ResolvedEnvironment } from "../config/environments.ts";
import { parseSeconds } from "../config/seconds.ts";
import { MAX_LOGIN_TIMEOUT_SECONDS } from "../config/settings.ts";
import { CliError, usageError } from "../errors.ts";
import type { StoredAccount } from "../store/types.ts";
import { accountJson, environmentAccounts, upsertAccount } from "./accounts.ts";
import type { Context } from "./context.ts";
import type { LoginOptions } from "./commands/login.ts";
import { printJson, writeLine } from "./output.ts";

/** Default wait for the browser, seconds. */
const DEFAULT_LOGIN_TIMEOUT_SECONDS = 300;

/** Signs a person in and stores the account. */
export async function userLogin(
  ctx: Context,
  env: ResolvedEnvironment,
  clientId: string,
  options: LoginOptions,
): Promise<void> {
  const store = await ctx.store();
  if (!options.force) {
    const doc = await store.snapshot();
    const signedIn = environmentAccounts(doc, env.issuer).find((account) =>
      account.clientId === clientId && isPersonalAccount(account) && !account.needsLogin &&
      (account.tokens.accessExpires > ctx.now() ||
        (account.tokens.refreshToken !== undefined &&
          (account.tokens.refreshExpires === null || account.tokens.refreshExpires > ctx.now())))
    );
    if (signedIn) {
      if (options.json) {
        printJson(ctx, accountJson(signedIn, doc.defaults[env.issuer]?.account === signedIn.name));
      } else {
        writeLine(ctx.stdout, `Already signed in as ${signedIn.name}.`);
        writeLine(ctx.stdout, "To sign in as someone else, run: axway auth login --force");
      }
      return;
    }
  }
  if (isCi(ctx) && !options.device) {
    throw new CliError("AUTH_REQUIRED", "CI is set and no service-account credentials were given", {
      hint:
        "set AXWAY_CLIENT_ID with AXWAY_CLIENT_SECRET or AXWAY_SECRET_FILE, or pass --client-id with --client-secret/--secret-file",
    });
  }

  // Settings and the store are checked before any network call or browser.
  const timeoutMs = await loginTimeoutMs(ctx);
  const port = callbackPort(ctx);
  const host = redirectHost(ctx);
  await store.prepare(); // an unusable store fails now, not after the sign-in
  const { discover } = await lazyImport<typeof import("../auth/oidc.ts")>(
    import.meta.resolve("../auth/oidc.ts"),
  );
  // Fresh metadata for a person's sign-in: a stale cached endpoint must not waste their time.
  const as = await discover(ctx, env, { fresh: true });
  const { userAccount } = await lazyImport<typeof import("../auth/user_account.ts")>(
    import.meta.resolve("../auth/user_account.ts"),
  );
  const status = await lazyImport<typeof import("./waiting.ts")>(
    import.meta.resolve("./waiting.ts"),
  );
  let response;
  if (options.device) {
    const { deviceLogin } = await lazyImport<typeof import("./device_login.ts")>(
      import.meta.resolve("./device_login.ts"),
    );
    response = await deviceLogin(ctx, as, clientId, options, timeoutMs);
  } else {
    if (!as.authorization_endpoint) {
      throw new CliError("PROVIDER_ERROR", `${env.issuer} has no authorization endpoint`);
    }
    const { authorizationCodeLogin } = await lazyImport<typeof import("../auth/pkce.ts")>(
      import.meta.resolve("../auth/pkce.ts"),
    );
    const waiting = status.startWaiting(ctx, options.json);
    try {
      response = await authorizationCodeLogin(ctx, {
        as,
        clientId,
        forceLogin: options.force,
        port,
        redirectHost: host,
      }, {
        signal: ctx.signal,
        timeoutMs,
        pastedLines: waiting.pastedLines,
        onPasteRejected: waiting.rejected,
        onAuthorizationUrl: async (url) => {
          await waiting.showUrl(
            url,
            options.launchBrowser,
            as.device_authorization_endpoint !== undefined,
          );
        },
      });
    } finally {
      waiting.stop();
    }
  }
  const authenticator = options.device ? "DeviceCode" : "PKCE";
  const { account, fallbackReason } = await userAccount(
    ctx,
    env,
    clientId,
    authenticator,
    response,
    ctx.now(),
  );
  if (fallbackReason) {
    writeLine(
      ctx.stderr,
      `note: platform details unavailable (${fallbackReason}); signed in as a user without organizations${
        env.platformUrl ? " (sign in again with --force once the platform answers)" : ""
      }.`,
    );
  }
  const isDefault = await store.update((doc) => {
    const previous = doc.accounts.find((a) =>
      a.issuer === account.issuer && a.name === account.name
    );
    // Keep the organization the user selected earlier when it is still one of theirs.
    if (previous?.org && account.orgs?.some((org) => org.guid === previous.org!.guid)) {
      account.org = account.orgs.find((org) => org.guid === previous.org!.guid);
    }
    return upsertAccount(doc, account);
  });
  report(ctx, account, isDefault, options.json);
}

/** `CI` set to anything but `0`/`false` (how CI services announce themselves). */
function isCi(ctx: Context): boolean {
  const value = ctx.env("CI")?.toLowerCase();
  return value !== undefined && value !== "0" && value !== "false";
}

function isPersonalAccount(account: StoredAccount): boolean {
  return account.authenticator === "PKCE" || account.authenticator === "DeviceCode";
}

function report(ctx: Context, account: StoredAccount, isDefault: boolean, json: boolean): void {
  if (json) {
    printJson(ctx, accountJson(account, isDefault));
    return;
  }
  const who = account.user?.email ?? account.name;
  writeLine(
    ctx.stdout,
    account.isPlatform && account.org
      ? `Signed in as ${who} in organization ${account.org.name} (${account.org.id}).`
      : `Signed in as ${who}.`,
  );
  writeLine(ctx.stdout, `Account name: ${account.name}`);
  writeLine(
    ctx.stdout,
    isDefault
      ? "It is the default account."
      : `To make it the default account, run: axway auth switch --account ${account.name}`,
  );
}

/**
 * How long to wait for the browser (sign-in, org switch): `AXWAY_LOGIN_TIMEOUT` seconds, else the
 * settings' `auth.loginTimeout`, else 5 minutes.
 */
export async function loginTimeoutMs(ctx: Context): Promise<number> {
  const fromEnv = ctx.env("AXWAY_LOGIN_TIMEOUT");
  const raw = fromEnv ?? (await ctx.settings())["auth.loginTimeout"];
  const name = fromEnv === undefined ? "auth.loginTimeout" : "AXWAY_LOGIN_TIMEOUT";
  return parseSeconds(name, raw, DEFAULT_LOGIN_TIMEOUT_SECONDS, {
    max: MAX_LOGIN_TIMEOUT_SECONDS,
  }) * 1000;
}

function callbackPort(ctx: Context): number | undefined {
  const raw = ctx.env("AXWAY_CALLBACK_PORT");
  if (raw === undefined) return undefined;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw usageError(`AXWAY_CALLBACK_PORT must be a port number (1-65535), got "${raw}"`);
  }
  return port;
}

function redirectHost(ctx: Context): string | undefined {
  const raw = ctx.env("AXWAY_REDIRECT_HOST");
  if (raw === undefined) return undefined;
  const allowed = ["localhost", "127.0.0.1", "[::1]"];
  if (!allowed.includes(raw)) {
    throw usageError(`AXWAY_REDIRECT_HOST must be one of ${allowed.join(", ")}, got "${raw}"`);
  }
  return raw;
}
