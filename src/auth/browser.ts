/**
 * Opening a URL in the user's browser: the program named by `BROWSER`, else the OS opener
 * (`open` on macOS, `wslview` on WSL when present, `xdg-open` elsewhere on Unix, the URL
 * protocol handler on Windows).
 *
 * @module
 */

/** Why no browser could be started. */
export class BrowserUnavailable extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "BrowserUnavailable";
  }
}

/** What the opener needs from its surroundings. */
export interface BrowserEnvironment {
  env(name: string): string | undefined;
  os: typeof Deno.build.os;
}

/**
 * False when no graphical browser can be expected: Linux/BSD without `DISPLAY` or
 * `WAYLAND_DISPLAY`, or an SSH session (unless `BROWSER` names a program, which may be a
 * text browser or a forwarding script).
 */
export function canOpenBrowser(environment: BrowserEnvironment): boolean {
  if (environment.env("BROWSER")) return true;
  if (environment.os === "windows") return true;
  if (environment.env("SSH_CONNECTION") || environment.env("SSH_TTY")) return false;
  if (environment.os === "darwin") return true;
  return Boolean(
    environment.env("DISPLAY") || environment.env("WAYLAND_DISPLAY") || isWsl(environment),
  );
}

function isWsl(environment: BrowserEnvironment): boolean {
  return environment.os === "linux" && Boolean(environment.env("WSL_DISTRO_NAME"));
}

/** The command that opens `url`, as program + arguments (never through a shell). */
export function openerCommand(url: string, environment: BrowserEnvironment): string[] {
  const browser = environment.env("BROWSER");
  if (browser) {
    // BROWSER may list several programs separated by the path separator; use the first. A `%s`
    // marks where the URL goes.
    const first = browser.split(environment.os === "windows" ? ";" : ":")[0].trim();
    const parts = first.split(/\s+/);
    return parts.some((part) => part.includes("%s"))
      ? parts.map((part) => part.replace("%s", url))
      : [...parts, url];
  }
  switch (environment.os) {
    case "darwin":
      return ["open", url];
    case "windows":
      return ["rundll32", "url.dll,FileProtocolHandler", url];
    default:
      return isWsl(environment) ? ["wslview", url] : ["xdg-open", url];
  }
}

/** How long to wait for the opener to report failure before assuming it worked. */
const OPENER_GRACE_MS = 3000;

/** Opens `url`; throws BrowserUnavailable when the opener is missing or fails. */
export async function openBrowser(url: string, environment: BrowserEnvironment): Promise<void> {
  let [program, ...args] = openerCommand(url, environment);
  if (program === "wslview" && !(await onPath("wslview", environment))) {
    program = "xdg-open";
    args = [url];
  }
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(program, { args, stdin: "null", stdout: "null", stderr: "null" })
      .spawn();
  } catch (error) {
    throw new BrowserUnavailable(`cannot start ${program}`, { cause: error });
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const grace = new Promise<"running">((resolve) => {
    timer = setTimeout(() => resolve("running"), OPENER_GRACE_MS);
  });
  const outcome = await Promise.race([child.status, grace]);
  clearTimeout(timer);
  if (outcome === "running") {
    child.unref();
    return;
  }
  if (!outcome.success) throw new BrowserUnavailable(`${program} exited with code ${outcome.code}`);
}

async function onPath(program: string, environment: BrowserEnvironment): Promise<boolean> {
  for (const dir of (environment.env("PATH") ?? "").split(":")) {
    try {
      await Deno.stat(`${dir}/${program}`);
      return true;
    } catch {
      // not here
    }
  }
  return false;
}
