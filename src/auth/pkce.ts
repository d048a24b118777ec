/**
 * Browser sign-in for a public client: the authorization code grant (RFC 6749 §4.1) with PKCE
 * S256 (RFC 7636), `state` (RFC 6749 §10.12) and `nonce` (OpenID Connect Core §3.1.2.1), through
 * the loopback redirect server (RFC 8252 §7.3). The callback may also arrive as a URL the user
 * pastes (copied from a browser on another machine).
 *
 * @module
 */

import * as oauth from "oauth4webapi";
import { CliError } from "../errors.ts";
import { type CallbackVerdict, startLoopbackServer } from "./loopback.ts";
import { expectJson, type HttpContext, requestOptions, translateOAuthError } from "./oidc.ts";

/** Scopes of a person's sign-in; no `offline_access`: offline tokens would never expire. */
export const USER_SCOPES = "openid email profile";

/** How the waiting is shown and what may cut it short. */
export interface WaitControls {
  /** Called with the authorization URL once the server listens. */
  onAuthorizationUrl(url: string): Promise<void> | void;
  /** Lines the user pastes (when stdin is a terminal); each is tried as a redirect URL. */
  pastedLines?: AsyncIterable<string>;
  /** Told when a pasted line is refused. */
  onPasteRejected?(message: string): void;
  signal: AbortSignal;
  timeoutMs: number;
}

/** Parameters of one browser sign-in. */
export interface AuthorizationCodeParams {
  as: oauth.AuthorizationServer;
  clientId: string;
  /** Adds `prompt=login` so that another person can sign in. */
  forceLogin: boolean;
  port?: number;
  redirectHost?: string;
}

/** Runs the browser sign-in and returns the validated token response. */
export async function authorizationCodeLogin(
  http: HttpContext,
  params: AuthorizationCodeParams,
  controls: WaitControls,
): Promise<oauth.TokenEndpointResponse> {
  const { as, clientId } = params;
  const client: oauth.Client = { client_id: clientId };
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const nonce = oauth.generateRandomNonce();
  let result: oauth.TokenEndpointResponse | undefined;
  let failure: unknown;

  // One judge for browser callbacks and pasted URLs: wrong state → keep waiting; provider error
  // → the login ends; a good code → exchanged at once, so the page can tell the outcome.
  const judge = async (parameters: URLSearchParams): Promise<CallbackVerdict> => {
    let validated: URLSearchParams;
    try {
      validated = oauth.validateAuthResponse(as, client, parameters, state);
    } catch (error) {
      if (error instanceof oauth.AuthorizationResponseError) {
        failure = translateOAuthError(error, { clientId, url: as.authorization_endpoint });
        return { kind: "finish", ok: false, message: (failure as Error).message };
      }
      return {
        kind: "reject",
        message: "This link does not belong to the sign-in in progress (stale or wrong state).",
      };
    }
    try {
      const response = await oauth.authorizationCodeGrantRequest(
        as,
        client,
        oauth.None(),
        validated,
        server.redirectUri,
        codeVerifier,
        requestOptions(http, as.issuer),
      );
      expectJson(response);
      result = await oauth.processAuthorizationCodeResponse(as, client, response, {
        expectedNonce: nonce,
        requireIdToken: true,
      });
      return {
        kind: "finish",
        ok: true,
        message: "You are signed in to axway. You can close this tab.",
      };
    } catch (error) {
      failure = translateOAuthError(error, { clientId, url: as.token_endpoint });
      return {
        kind: "finish",
        ok: false,
        message: "Sign-in failed: see the terminal for details.",
      };
    }
  };

  const server = startLoopbackServer({
    port: params.port,
    redirectHost: params.redirectHost,
    handle: judge,
  });
  try {
    const url = new URL(as.authorization_endpoint!);
    url.searchParams.set("client_id", clientId);
    url.searchParams.set("response_type", "code");
    url.searchParams.set("redirect_uri", server.redirectUri);
    url.searchParams.set("scope", USER_SCOPES);
    url.searchParams.set("state", state);
    url.searchParams.set("nonce", nonce);
    url.searchParams.set("code_challenge", await oauth.calculatePKCECodeChallenge(codeVerifier));
    url.searchParams.set("code_challenge_method", "S256");
    if (params.forceLogin) url.searchParams.set("prompt", "login");
    await controls.onAuthorizationUrl(url.href);

    let pasteDone = false;
    const pasted = controls.pastedLines
      ? (async () => {
        for await (const line of controls.pastedLines!) {
          if (pasteDone) return;
          const parameters = parsePastedRedirect(line, server.redirectUri);
          if (!parameters) {
            if (line.trim()) controls.onPasteRejected?.("That is not the sign-in redirect URL.");
            continue;
          }
          const verdict = await judge(parameters);
          if (verdict.kind === "finish") return;
          controls.onPasteRejected?.(verdict.message);
        }
        await new Promise(() => {}); // stdin closed: keep waiting for the browser
      })()
      : new Promise<void>(() => {});

    await waitFor([server.finished, pasted], controls.signal, controls.timeoutMs);
    pasteDone = true;
  } finally {
    await server.close();
  }
  if (failure) throw failure;
  if (!result) throw new CliError("FAILURE", "sign-in ended without a token");
  return result;
}

/** The query of a pasted redirect URL, when it points at our callback path. */
export function parsePastedRedirect(
  line: string,
  redirectUri: string,
): URLSearchParams | undefined {
  let url: URL;
  try {
    url = new URL(line.trim());
  } catch {
    return undefined;
  }
  const expected = new URL(redirectUri);
  if (url.pathname !== expected.pathname) return undefined;
  if (!url.searchParams.has("code") && !url.searchParams.has("error")) return undefined;
  return url.searchParams;
}

/**
 * Waits for the first of `events`, or fails on Ctrl-C or after the timeout; `activity` names
 * what was waited for in those messages.
 */
export async function waitFor(
  events: Promise<unknown>[],
  signal: AbortSignal,
  timeoutMs: number,
  activity = "sign-in",
): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() =>
      reject(
        new CliError(
          "TIMEOUT",
          `${activity} not finished after ${Math.round(timeoutMs / 1000)} s: gave up`,
          {
            hint: "run the command again; AXWAY_LOGIN_TIMEOUT sets the wait in seconds",
          },
        ),
      ), timeoutMs);
  });
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(new CliError("CANCELLED", `${activity} cancelled`));
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    await Promise.race([...events, timeout, aborted]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal.removeEventListener("abort", onAbort);
  }
}
