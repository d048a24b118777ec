/**
 * Minimal HTML pages of the test identity provider. No external resources (offline Chromium
 * stalls on web fonts), stable ids and names so both the fetch driver and Playwright can use them:
 *
 * - login: `form#kc-form-login` with `input[name=username]`, `input[name=password]`,
 *   `button#kc-login` (submit) and `button#kc-cancel` (`name=cancel`, denies the request);
 * - device code input: `form#op.deviceInputForm` with `input[name=user_code]`, `button#device-continue`;
 * - device confirm: `form#op.deviceConfirmForm`, `button#device-confirm`, `button#device-abort`.
 *
 * @module
 */

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = "body{font-family:sans-serif;max-width:28em;margin:2em auto}" +
  "label,input,button{display:block;margin:.4em 0}.error{color:#b00}";

/** Wraps a body in a complete HTML document. */
export function layout(title: string, body: string): string {
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><h1>${escapeHtml(title)}</h1>
${body}
</body></html>`;
}

/** The login form (Keycloak-like field names). */
export function loginPage(options: {
  action: string;
  clientName: string;
  username?: string;
  error?: string;
}): string {
  return layout(
    "Sign in",
    `<p>Sign in to continue to <strong>${escapeHtml(options.clientName)}</strong></p>
${options.error ? `<p class="error" id="input-error">${escapeHtml(options.error)}</p>` : ""}
<form id="kc-form-login" method="post" action="${escapeHtml(options.action)}">
<label for="username">Email</label>
<input id="username" name="username" type="text" autocomplete="username" autofocus value="${
      escapeHtml(options.username ?? "")
    }">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password">
<button id="kc-login" type="submit" name="login" value="yes">Sign In</button>
<button id="kc-cancel" type="submit" name="cancel" value="yes">Cancel</button>
</form>`,
  );
}

/** The device flow "enter your code" page around oidc-provider's own form. */
export function deviceInputPage(form: string, error?: string): string {
  return layout(
    "Device sign-in",
    `${
      error
        ? `<p class="error" id="device-error">${escapeHtml(error)}</p>`
        : "<p>Enter the code displayed on your device</p>"
    }
${form}
<button id="device-continue" type="submit" form="op.deviceInputForm">Continue</button>`,
  );
}

/** The device flow confirmation page around oidc-provider's own form. */
export function deviceConfirmPage(form: string, clientName: string, userCode: string): string {
  return layout(
    "Confirm device",
    `<p><strong>${escapeHtml(clientName)}</strong> is asking to sign in.</p>
<p>The following code should be displayed on your device: <code id="user-code">${
      escapeHtml(userCode)
    }</code></p>
${form}
<button id="device-confirm" type="submit" form="op.deviceConfirmForm">Continue</button>
<button id="device-abort" type="submit" form="op.deviceConfirmForm" name="abort" value="yes">Abort</button>`,
  );
}

/** The device flow success page. */
export function deviceSuccessPage(clientName: string): string {
  return layout(
    "Sign-in Success",
    `<p id="device-success">Your sign-in with ${
      escapeHtml(clientName)
    } was successful, you can now close this page.</p>`,
  );
}

/** A generic error page listing the OAuth error fields. */
export function errorPage(out: Record<string, unknown>): string {
  const rows = Object.entries(out).map(([key, value]) =>
    `<p><strong>${escapeHtml(key)}</strong>: <span class="${escapeHtml(key)}">${
      escapeHtml(value)
    }</span></p>`
  ).join("\n");
  return layout("Error", rows);
}

/** The RP-initiated logout confirmation page around oidc-provider's own form. */
export function logoutPage(form: string): string {
  return layout(
    "Sign out",
    `<p>Do you want to sign out?</p>
${form}
<button id="logout-yes" type="submit" form="op.logoutForm" name="logout" value="yes">Sign out</button>`,
  );
}
