/**
 * `axway auth login`: a service account with a client secret or key (client credentials), or a
 * person in the browser (authorization code + PKCE) or with a device code.
 *
 * @module
 */

import { lazyImport } from "../../lazy.ts";
import type { ResolvedEnvironment } from "../../config/environments.ts";
import { usageError } from "../../errors.ts";
import { checkClientId } from "../../config/settings.ts";
import type { StoredAccount, StoredCredentials } from "../../store/types.ts";
import { accountJson, upsertAccount } from "../accounts.ts";
import type { Context } from "../context.ts";
import { commandEnvironment, type EnvironmentFlags } from "../environment.ts";
import { printJson, writeLine } from "../output.ts";
import { refreshSkewMs } from "../../auth/renew_policy.ts";

/** Options of `auth login`. */
export interface LoginOptions extends EnvironmentFlags {
  clientId?: string;
  clientSecret?: string;
  secretFile?: string;
  service: boolean;
  force: boolean;
  device: boolean;
  launchBrowser: boolean;
  json: boolean;
}

/** Default client ID of the CLI's browser sign-in. */
export const DEFAULT_CLIENT_ID = "amplify-cli";

/** What a service-account login was given, after flags and variables were merged. */
interface ServiceCredentialsInput {
  clientId: string;
  secret?: { value: string };
  keyFile?: { path: string; passphrase?: string };
}

/** Signs in. */
export async function runLogin(ctx: Context, options: LoginOptions): Promise<void> {
  const env = await commandEnvironment(ctx, options);
  const givenClientId = options.clientId ?? ctx.env("AXWAY_CLIENT_ID");
  if (givenClientId !== undefined) {
    checkClientId(
      givenClientId,
      options.clientId !== undefined ? "--client-id" : "AXWAY_CLIENT_ID",
    );
  }
  const service = await serviceCredentials(ctx, options);
  if (service) {
    await serviceLogin(ctx, env, service, options);
    return;
  }
  const settings = await ctx.settings();
  const clientId = options.clientId ?? ctx.env("AXWAY_CLIENT_ID") ?? settings["auth.clientId"] ??
    DEFAULT_CLIENT_ID;
  const { userLogin } = await lazyImport<typeof import("../user_login.ts")>(
    import.meta.resolve("../user_login.ts"),
  );
  await userLogin(ctx, env, clientId, options);
}

/**
 * Merges service-account flags with `AXWAY_CLIENT_ID`, `AXWAY_CLIENT_SECRET`, `AXWAY_SECRET_FILE`
 * (flags win) and checks the combination. Returns undefined for a browser/device login.
 */
async function serviceCredentials(
  ctx: Context,
  options: LoginOptions,
): Promise<ServiceCredentialsInput | undefined> {
  if (options.clientSecret !== undefined && options.secretFile !== undefined) {
    throw usageError("use either --client-secret or --secret-file, not both");
  }
  let secretValue = options.clientSecret;
  let secretFile = options.secretFile;
  if (secretValue === undefined && secretFile === undefined) {
    secretValue = ctx.env("AXWAY_CLIENT_SECRET");
    secretFile = ctx.env("AXWAY_SECRET_FILE");
    if (secretValue !== undefined && secretFile !== undefined) {
      throw usageError("AXWAY_CLIENT_SECRET and AXWAY_SECRET_FILE are both set: unset one");
    }
  }
  if (secretValue === undefined && secretFile === undefined) {
    if (options.service) {
      throw usageError(
        "--service needs credentials: add --client-secret <secret> or --secret-file <path>",
      );
    }
    return undefined;
  }
  if (options.device) {
    const fromEnv = options.clientSecret === undefined && options.secretFile === undefined;
    throw usageError(
      fromEnv
        ? `--device signs a person in, but ${
          secretFile !== undefined ? "AXWAY_SECRET_FILE" : "AXWAY_CLIENT_SECRET"
        } is set for a service account: unset it for this command`
        : "--device signs a person in: it cannot be used with a client secret or key",
    );
  }
  const clientId = options.clientId ?? ctx.env("AXWAY_CLIENT_ID");
  if (!clientId) {
    throw usageError(
      `${
        secretFile !== undefined ? "--secret-file" : "--client-secret"
      } needs the service account's client ID: add --client-id <id> (or set AXWAY_CLIENT_ID)`,
    );
  }
  if (secretFile !== undefined) {
    return {
      clientId,
      keyFile: { path: secretFile, passphrase: ctx.env("AXWAY_SECRET_FILE_PASSPHRASE") },
    };
  }
  if (secretValue === "-") secretValue = await readSecret(ctx);
  if (!secretValue) throw usageError("the client secret is empty");
  return { clientId, secret: { value: secretValue } };
}

/** Reads a secret given as `-`: hidden prompt on a terminal, else all of stdin. */
async function readSecret(ctx: Context): Promise<string> {
  if (ctx.stdin.isTerminal) {
    const { askSecret } = await lazyImport<typeof import("../prompt.ts")>(
      import.meta.resolve("../prompt.ts"),
    );
    return await askSecret("Client secret:");
  }
  return (await ctx.stdin.readAll()).replace(/\r?\n$/, "");
}

function sameCredentials(a: StoredCredentials | undefined, b: StoredCredentials): boolean {
  return a?.clientSecret === b.clientSecret &&
    a?.privateKey?.pkcs8 === b.privateKey?.pkcs8;
}

/** Client credentials login (RFC 6749 §4.4). */
async function serviceLogin(
  ctx: Context,
  env: ResolvedEnvironment,
  input: ServiceCredentialsInput,
  options: LoginOptions,
): Promise<void> {
  let credentials: StoredCredentials;
  if (input.keyFile) {
    const { loadKeyFile } = await lazyImport<typeof import("../../auth/key_file.ts")>(
      import.meta.resolve("../../auth/key_file.ts"),
    );
    const key = await loadKeyFile(input.keyFile.path, input.keyFile.passphrase);
    let binary = "";
    for (const byte of key.pkcs8) binary += String.fromCharCode(byte);
    credentials = { privateKey: { pkcs8: btoa(binary), alg: key.alg } };
  } else {
    credentials = { clientSecret: input.secret!.value };
  }
  // The protocol modules load while the store is checked.
  const protocol = Promise.all([
    lazyImport<typeof import("../../auth/oidc.ts")>(import.meta.resolve("../../auth/oidc.ts")),
    lazyImport<typeof import("../../auth/client_credentials.ts")>(
      import.meta.resolve("../../auth/client_credentials.ts"),
    ),
    lazyImport<typeof import("../../auth/tokens.ts")>(import.meta.resolve("../../auth/tokens.ts")),
  ]);
  protocol.catch(() => {}); // awaited below, unless already signed in
  const store = await ctx.store();
  await store.prepare(); // an unusable store fails now, not after the provider issued a token
  const stored = await store.snapshot();
  const existing = stored.accounts.find((account) =>
    account.issuer === env.issuer && account.name === input.clientId
  );
  if (
    existing && !options.force && !existing.needsLogin &&
    existing.tokens.accessExpires - refreshSkewMs(ctx) > ctx.now() &&
    sameCredentials(existing.credentials, credentials)
  ) {
    const isDefault = stored.defaults[env.issuer]?.account === existing.name;
    if (options.json) printJson(ctx, accountJson(existing, isDefault));
    else writeLine(ctx.stdout, `Already signed in as service account ${existing.name}.`);
    return;
  }

  const [{ withProvider }, { clientCredentialsGrant }, { storedTokens }] = await protocol;
  const response = await withProvider(
    ctx,
    env,
    (as) => clientCredentialsGrant(ctx, as, input.clientId, credentials),
  );
  const account: StoredAccount = {
    name: input.clientId,
    issuer: env.issuer,
    env: env.name,
    baseUrl: env.baseUrl,
    realm: env.realm,
    ...(env.platformUrl ? { platformUrl: env.platformUrl } : {}),
    clientId: input.clientId,
    authenticator: input.keyFile ? "SignedJWT" : "ClientSecret",
    tokens: storedTokens(response, ctx.now()),
    credentials,
    isPlatform: false,
    needsLogin: false,
  };
  const isDefault = await store.update((doc) => upsertAccount(doc, account));
  if (options.json) {
    printJson(ctx, accountJson(account, isDefault));
    return;
  }
  writeLine(
    ctx.stdout,
    `Signed in as service account ${account.name} (${
      input.keyFile ? "signed JWT" : "client secret"
    }) on ${env.name === "custom" ? env.baseUrl : env.name}.`,
  );
  writeLine(
    ctx.stdout,
    isDefault
      ? "It is the default account."
      : `To make it the default account, run: axway auth switch --account ${account.name}`,
  );
}
