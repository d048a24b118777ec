/**
 * Sign-in with a device code (RFC 8628): the user opens a URL on any device and enters a short
 * code while this process polls the token endpoint.
 *
 * @module
 */

import { lazyImport } from "../lazy.ts";
import * as oauth from "oauth4webapi";
import { CliError } from "../errors.ts";
import { expectJson, requestOptions, translateOAuthError } from "../auth/oidc.ts";
import { USER_SCOPES } from "../auth/pkce.ts";
import type { Context } from "./context.ts";
import type { LoginOptions } from "./commands/login.ts";
import { oneLine, writeLine } from "./output.ts";

/** RFC 8628 §3.5: the default polling interval, and the increase on `slow_down`. */
const DEFAULT_INTERVAL_S = 5;
const SLOW_DOWN_STEP_S = 5;

/** Runs the device authorization grant and returns the token response. */
export async function deviceLogin(
  ctx: Context,
  as: oauth.AuthorizationServer,
  clientId: string,
  options: LoginOptions,
  timeoutMs: number,
): Promise<oauth.TokenEndpointResponse> {
  if (!as.device_authorization_endpoint) {
    throw new CliError(
      "PROVIDER_ERROR",
      `the provider ${as.issuer} does not support device sign-in (it lists no device authorization endpoint)`,
      { hint: "sign in in a browser: axway auth login" },
    );
  }
  const client: oauth.Client = { client_id: clientId };
  const http = requestOptions(ctx, as.issuer);
  let authorization: oauth.DeviceAuthorizationResponse;
  try {
    const response = await oauth.deviceAuthorizationRequest(
      as,
      client,
      oauth.None(),
      new URLSearchParams({ scope: USER_SCOPES }),
      http,
    );
    expectJson(response);
    authorization = await oauth.processDeviceAuthorizationResponse(as, client, response);
  } catch (error) {
    if (error instanceof oauth.ResponseBodyError && error.error === "unauthorized_client") {
      throw new CliError(
        "INVALID_CLIENT",
        `client ${clientId} is not allowed to use the device flow`,
        { hint: "sign in in a browser instead: axway auth login", cause: error },
      );
    }
    throw translateOAuthError(error, { clientId, url: as.device_authorization_endpoint });
  }

  // Only the device_code is secret; the user code and the URLs are meant to be shown.
  // They come from the provider: shown as one line each, without control characters.
  const out = ctx.stderr;
  writeLine(out, `To sign in, open ${oneLine(authorization.verification_uri)}`);
  writeLine(out, `and enter the code: ${oneLine(authorization.user_code)}`);
  if (authorization.verification_uri_complete) {
    writeLine(out, `(or open ${oneLine(authorization.verification_uri_complete)})`);
  }
  if (options.launchBrowser) {
    const { canOpenBrowser } = await lazyImport<typeof import("../auth/browser.ts")>(
      import.meta.resolve("../auth/browser.ts"),
    );
    if (canOpenBrowser(ctx)) {
      await ctx.openBrowser(
        authorization.verification_uri_complete ?? authorization.verification_uri,
      )
        .catch(() => {});
    }
  }

  let interval = authorization.interval ?? DEFAULT_INTERVAL_S;
  const deadline = Date.now() + Math.min(authorization.expires_in * 1000, timeoutMs);
  while (true) {
    await sleep(interval * 1000, ctx.signal);
    if (Date.now() > deadline) {
      throw new CliError("TIMEOUT", "the device code expired before sign-in finished", {
        hint: "run the command again",
      });
    }
    try {
      const response = await oauth.deviceCodeGrantRequest(
        as,
        client,
        oauth.None(),
        authorization.device_code,
        http,
      );
      expectJson(response);
      return await oauth.processDeviceCodeResponse(as, client, response);
    } catch (error) {
      if (error instanceof oauth.ResponseBodyError) {
        if (error.error === "authorization_pending") continue;
        if (error.error === "slow_down") {
          interval += SLOW_DOWN_STEP_S;
          continue;
        }
        if (error.error === "access_denied") {
          throw new CliError("ACCESS_DENIED", "sign-in was denied on the verification page", {
            cause: error,
          });
        }
        if (error.error === "expired_token") {
          throw new CliError("TIMEOUT", "the device code expired before sign-in finished", {
            hint: "run the command again",
            cause: error,
          });
        }
      }
      throw translateOAuthError(error, { clientId, url: as.token_endpoint });
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new CliError("CANCELLED", "sign-in cancelled"));
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new CliError("CANCELLED", "sign-in cancelled"));
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
