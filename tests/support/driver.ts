/**
 * A fetch-based stand-in for the user's browser: follows redirects by hand, keeps cookies per host
 * name (ignoring the port, as browsers do) and fills in the test identity provider's forms.
 *
 * ```ts
 * const browser = new BrowserDriver();
 * const { callbackUrl, response } = await browser.completeBrowserLogin(authUrl, { user: USERS.alice });
 * await browser.visit(`${idp.platformUrl}/auth/org.select?org_hint=100002&redirect=...`);
 * ```
 *
 * @module
 */
import { PASSWORD, type TestUser } from "./fixtures.ts";

/** A response as the driver saw it (body already read). */
export interface DriverResponse {
  /** URL that produced this response. */
  readonly url: string;
  /** HTTP status. */
  readonly status: number;
  /** Response headers. */
  readonly headers: Headers;
  /** Body text. */
  readonly body: string;
  /** URLs requested before this one while following redirects / forms, oldest first. */
  readonly history: readonly string[];
}

/** Thrown when a flow reaches a page the driver does not expect (error page, refused login...). */
export class BrowserFlowError extends Error {
  /** The page that stopped the flow. */
  readonly response: DriverResponse;

  /** Creates the error for `response`. */
  constructor(message: string, response: DriverResponse) {
    super(`${message} (${response.status} at ${response.url}): ${snippet(response.body)}`);
    this.name = "BrowserFlowError";
    this.response = response;
  }
}

/** Who signs in: a {@link TestUser} or a login name (email). */
export type LoginUser = TestUser | string;

/** Options of {@link BrowserDriver.completeBrowserLogin}. */
export interface BrowserLoginOptions {
  /** The user to sign in as (only used when the login form is shown). */
  readonly user: LoginUser;
  /** Password (default: the user's, i.e. "password"). */
  readonly password?: string;
  /** Press "Cancel" on the login form instead: the provider redirects with `error=access_denied`. */
  readonly deny?: boolean;
  /** Perform the final GET to the loopback redirect URI (default true). */
  readonly followCallback?: boolean;
  /**
   * Stop early: `"login"` returns the login page unsubmitted (empty `callbackUrl`); `"callback"`
   * is the same as `followCallback: false`.
   */
  readonly stopAt?: "login" | "callback";
}

/** Outcome of {@link BrowserDriver.completeBrowserLogin}. */
export interface BrowserLoginResult {
  /** The loopback URL the provider redirected to (with `code`/`state` or `error`). */
  readonly callbackUrl: string;
  /**
   * The loopback server's response when the callback was followed; otherwise the provider's
   * redirect response (or the login page with `stopAt: "login"`).
   */
  readonly response: DriverResponse;
}

/** Options of {@link BrowserDriver.approveDeviceCode}. */
export interface DeviceApprovalOptions {
  /** The device verification page (`verification_uri` or `verification_uri_complete`). */
  readonly verificationUri: string;
  /** The user to sign in as (only used when the login form is shown). */
  readonly user: LoginUser;
  /** Password (default: the user's). */
  readonly password?: string;
  /** Press "Abort" on the confirmation page: the device polling gets `access_denied`. */
  readonly deny?: boolean;
}

/** Outcome of {@link BrowserDriver.approveDeviceCode}. */
export interface DeviceApprovalResult {
  /** "approved" after the success page, "denied" after aborting. */
  readonly outcome: "approved" | "denied";
  /** The final page. */
  readonly response: DriverResponse;
}

/** Options of {@link BrowserDriver.visit}. */
export interface VisitOptions {
  /** Follow redirects (default true), including those to loopback URIs. */
  readonly follow?: boolean;
}

interface Cookie {
  name: string;
  value: string;
  host: string;
  path: string;
  secure: boolean;
  expires: number;
}

interface HtmlForm {
  id?: string;
  action: string;
  method: string;
  fields: [string, string][];
}

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);
const MAX_STEPS = 25;

function snippet(body: string): string {
  const text = body.replace(/<style[\s\S]*?<\/style>/gi, "").replace(/<[^>]+>/g, " ")
    .replace(/\s+/g, " ").trim();
  return text.length > 300 ? `${text.slice(0, 300)}...` : text;
}

function decodeEntities(value: string): string {
  const named: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
  return value.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (whole, entity: string) => {
    if (entity[0] === "#") {
      const code = entity[1].toLowerCase() === "x"
        ? parseInt(entity.slice(2), 16)
        : parseInt(entity.slice(1), 10);
      return String.fromCodePoint(code);
    }
    return named[entity.toLowerCase()] ?? whole;
  });
}

function attributes(tag: string): Map<string, string> {
  const attrs = new Map<string, string>();
  for (const m of tag.matchAll(/([\w:.-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?/g)) {
    attrs.set(m[1].toLowerCase(), decodeEntities(m[2] ?? m[3] ?? m[4] ?? ""));
  }
  return attrs;
}

/** Parses the forms of a page: hidden/text/password inputs with their values. */
function parseForms(html: string): HtmlForm[] {
  const forms: HtmlForm[] = [];
  for (const m of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const attrs = attributes(m[1]);
    const fields: [string, string][] = [];
    for (const input of m[2].matchAll(/<input\b([^>]*)>/gi)) {
      const a = attributes(input[1]);
      const type = (a.get("type") ?? "text").toLowerCase();
      const name = a.get("name");
      if (!name || ["submit", "button", "image", "reset"].includes(type)) continue;
      if ((type === "checkbox" || type === "radio") && !a.has("checked")) continue;
      fields.push([name, a.get("value") ?? ""]);
    }
    forms.push({
      id: attrs.get("id"),
      action: attrs.get("action") ?? "",
      method: (attrs.get("method") ?? "get").toUpperCase(),
      fields,
    });
  }
  return forms;
}

function loginName(user: LoginUser): string {
  return typeof user === "string" ? user : user.email;
}

function loginPassword(user: LoginUser, password?: string): string {
  return password ?? (typeof user === "string" ? PASSWORD : user.password);
}

/** A browser stand-in with one cookie jar shared by every request it makes. */
export class BrowserDriver {
  readonly #cookies: Cookie[] = [];
  readonly #client?: Deno.HttpClient;

  /** `caCerts`: PEM certificates to trust (for an IdP started with `https`). */
  constructor(options: { caCerts?: string[] } = {}) {
    if (options.caCerts?.length) this.#client = Deno.createHttpClient({ caCerts: options.caCerts });
  }

  /** The cookies currently in the jar (host is the host name without port). */
  get cookies(): readonly { name: string; value: string; host: string; path: string }[] {
    this.#expire();
    return this.#cookies.map(({ name, value, host, path }) => ({ name, value, host, path }));
  }

  /** Forgets every cookie (a fresh browser profile). */
  clearCookies(): void {
    this.#cookies.length = 0;
  }

  /** Releases the HTTP client (only needed when `caCerts` was given). */
  close(): void {
    this.#client?.close();
  }

  /**
   * One request with the jar's cookies, without following redirects. `localhost` falls back to
   * 127.0.0.1 and then [::1] when the connection is refused (whatever the loopback server binds).
   */
  async request(
    url: string | URL,
    init: { method?: string; form?: [string, string][]; history?: string[] } = {},
  ): Promise<DriverResponse> {
    const target = new URL(url);
    const headers = new Headers({ "user-agent": "axway-test-browser/1.0", accept: "text/html" });
    const cookie = this.#cookieHeader(target);
    if (cookie) headers.set("cookie", cookie);
    let body: string | undefined;
    if (init.form) {
      headers.set("content-type", "application/x-www-form-urlencoded");
      body = new URLSearchParams(init.form).toString();
    }
    const requestInit: RequestInit & { client?: Deno.HttpClient } = {
      method: init.method ?? (body === undefined ? "GET" : "POST"),
      headers,
      body,
      redirect: "manual",
      ...(this.#client ? { client: this.#client } : {}),
    };
    const response = await this.#fetchLoopbackAware(target, requestInit);
    this.#store(target, response.headers.getSetCookie());
    return {
      url: target.href,
      status: response.status,
      headers: response.headers,
      body: await response.text(),
      history: init.history ?? [],
    };
  }

  /** GETs `url` with the shared cookies and follows redirects (see {@link VisitOptions}). */
  async visit(url: string | URL, options: VisitOptions = {}): Promise<DriverResponse> {
    let response = await this.request(url);
    const history: string[] = [];
    for (let step = 0; options.follow !== false && step < MAX_STEPS; step++) {
      const next = this.#redirectTarget(response);
      if (!next) return response;
      history.push(response.url);
      response = await this.request(next, { method: "GET", history: [...history] });
    }
    return response;
  }

  /**
   * Completes an authorization request like a user in a browser: signs in on the login form when
   * it is shown (an existing session skips it) and stops at the redirect to the loopback URI.
   * Throws {@link BrowserFlowError} on a refused login or an unexpected page.
   */
  async completeBrowserLogin(
    authorizationUrl: string | URL,
    options: BrowserLoginOptions,
  ): Promise<BrowserLoginResult> {
    const start = new URL(authorizationUrl);
    const redirectUri = URL.parse(start.searchParams.get("redirect_uri") ?? "");
    const isCallback = (url: URL) =>
      redirectUri
        ? url.origin === redirectUri.origin && url.pathname === redirectUri.pathname
        : LOOPBACK.has(url.hostname) && url.origin !== start.origin;
    const followCallback = options.followCallback !== false && options.stopAt !== "callback";

    const history: string[] = [];
    let response = await this.request(start);
    let submittedLogin = false;
    for (let step = 0; step < MAX_STEPS; step++) {
      const next = this.#redirectTarget(response);
      if (next) {
        history.push(response.url);
        if (isCallback(next)) {
          if (!followCallback) return { callbackUrl: next.href, response };
          const final = await this.request(next, { method: "GET", history: [...history] });
          return { callbackUrl: next.href, response: final };
        }
        response = await this.request(next, {
          method: this.#redirectMethod(response),
          history: [...history],
        });
        continue;
      }
      const forms = parseForms(response.body);
      const login = forms.find((form) => form.id === "kc-form-login");
      if (response.status === 200 && login) {
        if (options.stopAt === "login") return { callbackUrl: "", response };
        if (submittedLogin && !options.deny) {
          throw new BrowserFlowError("login refused", response);
        }
        submittedLogin = true;
        history.push(response.url);
        response = await this.#submitLogin(response, login, options, history);
        continue;
      }
      const autoPost = this.#autoSubmitForm(response, forms);
      if (autoPost) {
        history.push(response.url);
        response = await this.#submit(response, autoPost, [], history);
        continue;
      }
      throw new BrowserFlowError("unexpected page during login", response);
    }
    throw new BrowserFlowError("too many steps", response);
  }

  /**
   * Enters `userCode` on the device verification page, confirms (or aborts with `deny`) and signs
   * in when the login form is shown. Throws {@link BrowserFlowError} for a wrong/expired/used code.
   */
  async approveDeviceCode(
    userCode: string,
    options: DeviceApprovalOptions,
  ): Promise<DeviceApprovalResult> {
    const start = new URL(options.verificationUri);
    if (!start.searchParams.has("user_code")) start.searchParams.set("user_code", userCode);
    const history: string[] = [];
    let response = await this.request(start);
    let submittedLogin = false;
    for (let step = 0; step < MAX_STEPS; step++) {
      const next = this.#redirectTarget(response);
      if (next) {
        history.push(response.url);
        response = await this.request(next, {
          method: this.#redirectMethod(response),
          history: [...history],
        });
        continue;
      }
      if (response.body.includes('id="device-success"')) {
        return { outcome: "approved", response };
      }
      const forms = parseForms(response.body);
      const confirm = forms.find((form) => form.id === "op.deviceConfirmForm");
      if (confirm) {
        history.push(response.url);
        const extra: [string, string][] = options.deny ? [["abort", "yes"]] : [];
        response = await this.#submit(response, confirm, extra, history);
        if (options.deny && /interrupted/i.test(response.body)) {
          return { outcome: "denied", response };
        }
        continue;
      }
      const login = forms.find((form) => form.id === "kc-form-login");
      if (login && response.status === 200) {
        if (submittedLogin) throw new BrowserFlowError("login refused", response);
        submittedLogin = true;
        history.push(response.url);
        response = await this.#submitLogin(response, login, options, history);
        continue;
      }
      if (response.body.includes('id="device-error"')) {
        throw new BrowserFlowError("device code rejected", response);
      }
      const autoPost = this.#autoSubmitForm(response, forms);
      if (autoPost) {
        history.push(response.url);
        response = await this.#submit(response, autoPost, [], history);
        continue;
      }
      throw new BrowserFlowError("unexpected page during device approval", response);
    }
    throw new BrowserFlowError("too many steps", response);
  }

  #submitLogin(
    page: DriverResponse,
    form: HtmlForm,
    options: { user: LoginUser; password?: string; deny?: boolean },
    history: string[],
  ): Promise<DriverResponse> {
    const fields = form.fields.filter(([name]) => name !== "username" && name !== "password");
    fields.push(
      ["username", loginName(options.user)],
      ["password", loginPassword(options.user, options.password)],
    );
    const button: [string, string] = options.deny ? ["cancel", "yes"] : ["login", "yes"];
    return this.#submit(page, { ...form, fields }, [button], history);
  }

  #submit(
    page: DriverResponse,
    form: HtmlForm,
    extra: [string, string][],
    history: string[],
  ): Promise<DriverResponse> {
    const action = new URL(form.action || page.url, page.url);
    const fields = [...form.fields, ...extra];
    if (form.method === "GET") {
      for (const [name, value] of fields) action.searchParams.append(name, value);
      return this.request(action, { method: "GET", history: [...history] });
    }
    return this.request(action, { method: "POST", form: fields, history: [...history] });
  }

  /** A page that submits itself with script (response_mode=form_post, device `?user_code=`). */
  #autoSubmitForm(page: DriverResponse, forms: HtmlForm[]): HtmlForm | undefined {
    if (page.status !== 200 || !/\.submit\(\)/.test(page.body)) return undefined;
    return forms.length === 1 ? forms[0] : undefined;
  }

  #redirectTarget(response: DriverResponse): URL | undefined {
    if (response.status < 300 || response.status > 399) return undefined;
    const location = response.headers.get("location");
    return location ? new URL(location, response.url) : undefined;
  }

  #redirectMethod(response: DriverResponse): string {
    // 307/308 would repeat the method; the provider only answers 302/303 here.
    return response.status === 307 || response.status === 308 ? "POST" : "GET";
  }

  async #fetchLoopbackAware(target: URL, init: RequestInit): Promise<Response> {
    try {
      return await fetch(target, init);
    } catch (error) {
      if (target.hostname !== "localhost") throw error;
      for (const host of ["127.0.0.1", "[::1]"]) {
        const alternative = new URL(target);
        alternative.hostname = host;
        try {
          return await fetch(alternative, init);
        } catch {
          // try the next address
        }
      }
      throw error;
    }
  }

  #expire(): void {
    const now = Date.now();
    for (let i = this.#cookies.length - 1; i >= 0; i--) {
      if (this.#cookies[i].expires <= now) this.#cookies.splice(i, 1);
    }
  }

  #cookieHeader(url: URL): string {
    this.#expire();
    return this.#cookies
      .filter((c) =>
        c.host === url.hostname && (!c.secure || url.protocol === "https:") &&
        (url.pathname === c.path ||
          url.pathname.startsWith(c.path.endsWith("/") ? c.path : `${c.path}/`))
      )
      .sort((a, b) => b.path.length - a.path.length)
      .map((c) => `${c.name}=${c.value}`)
      .join("; ");
  }

  #store(url: URL, setCookies: string[]): void {
    for (const header of setCookies) {
      const [pair, ...attrs] = header.split(";");
      const eq = pair.indexOf("=");
      if (eq <= 0) continue;
      const cookie: Cookie = {
        name: pair.slice(0, eq).trim(),
        value: pair.slice(eq + 1).trim(),
        host: url.hostname,
        path: url.pathname.slice(0, url.pathname.lastIndexOf("/")) || "/",
        secure: false,
        expires: Infinity,
      };
      for (const attr of attrs) {
        const [key, ...rest] = attr.split("=");
        const value = rest.join("=").trim();
        switch (key.trim().toLowerCase()) {
          case "path":
            if (value.startsWith("/")) cookie.path = value;
            break;
          case "expires": {
            const time = Date.parse(value);
            if (!Number.isNaN(time) && cookie.expires === Infinity) cookie.expires = time;
            break;
          }
          case "max-age":
            cookie.expires = Date.now() + Number(value) * 1000;
            break;
          case "secure":
            cookie.secure = true;
            break;
        }
      }
      const index = this.#cookies.findIndex((c) =>
        c.name === cookie.name && c.host === cookie.host && c.path === cookie.path
      );
      if (index >= 0) this.#cookies.splice(index, 1);
      if (cookie.expires > Date.now()) this.#cookies.push(cookie);
    }
  }
}

/** {@link BrowserDriver.completeBrowserLogin} with a fresh browser (empty cookie jar). */
export async function completeBrowserLogin(
  authorizationUrl: string | URL,
  options: BrowserLoginOptions & { caCerts?: string[] },
): Promise<BrowserLoginResult> {
  const driver = new BrowserDriver({ caCerts: options.caCerts });
  try {
    return await driver.completeBrowserLogin(authorizationUrl, options);
  } finally {
    driver.close();
  }
}

/** {@link BrowserDriver.approveDeviceCode} with a fresh browser (empty cookie jar). */
export async function approveDeviceCode(
  userCode: string,
  options: DeviceApprovalOptions & { caCerts?: string[] },
): Promise<DeviceApprovalResult> {
  const driver = new BrowserDriver({ caCerts: options.caCerts });
  try {
    return await driver.approveDeviceCode(userCode, options);
  } finally {
    driver.close();
  }
}
