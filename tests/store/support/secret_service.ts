/**
 * A private, real Secret Service for the keychain tests: a `dbus-daemon` session bus of its own
 * (no service activation, so nothing else is started on it) and `gnome-keyring-daemon` unlocked
 * with a known password, keeping its keyrings under a temp HOME. The keyring daemon can be
 * stopped and started again over the same keyring files.
 *
 * @module
 */

/** The password of the test login keyring. */
const KEYRING_PASSWORD = "axway-test";

/** Tools the real Secret Service tests need, with the Debian package of each. */
const TOOLS = [
  ["secret-tool", "libsecret-tools"],
  ["gnome-keyring-daemon", "gnome-keyring"],
  ["dbus-daemon", "dbus"],
] as const;

/** Why the real Secret Service tests cannot run here, or undefined when they can. */
export async function secretServiceUnavailable(): Promise<string | undefined> {
  if (Deno.build.os !== "linux") return "the Secret Service tests run on Linux only";
  const missing: string[] = [];
  for (const [tool, pkg] of TOOLS) {
    if (!(await onPath(tool))) missing.push(`${tool} (package ${pkg})`);
  }
  return missing.length ? `not installed: ${missing.join(", ")}` : undefined;
}

/** A running private Secret Service. */
export interface SecretService extends AsyncDisposable {
  /** Environment for clients: PATH, HOME, XDG_*, DBUS_SESSION_BUS_ADDRESS. */
  readonly env: Record<string, string>;
  /** Reads a variable of `env` (the shape `KeySourceSelection.env` takes). */
  readonly getEnv: (name: string) => string | undefined;
  /** Stops the keyring daemon (the bus stays up; the Secret Service is then gone). */
  stopKeyring(): Promise<void>;
  /** Starts the keyring daemon again over the same keyring files, unlocked. */
  startKeyring(): Promise<void>;
  /** Runs `secret-tool` with `args` against this service. */
  secretTool(args: string[], stdin?: string): Promise<{ code: number; stdout: string }>;
}

/** Starts a private session bus and an unlocked gnome-keyring on it. */
export async function startSecretService(): Promise<SecretService> {
  const root = await Deno.makeTempDir({ prefix: "axway-keyring-" });
  const home = `${root}/home`;
  const runtime = `${root}/run`;
  await Deno.mkdir(`${home}/.local/share`, { recursive: true });
  await Deno.mkdir(runtime, { mode: 0o700 });
  await Deno.chmod(runtime, 0o700);
  const config = `${root}/session.conf`;
  await Deno.writeTextFile(config, busConfig(`${runtime}/bus`));

  const bus = new Deno.Command("dbus-daemon", {
    args: [`--config-file=${config}`, "--nofork", "--print-address=1"],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  let address: string;
  try {
    address = await firstLine(bus.stdout, 5_000);
  } catch (error) {
    bus.kill("SIGKILL");
    await bus.status;
    await Deno.remove(root, { recursive: true });
    throw error;
  }

  const env: Record<string, string> = {
    PATH: Deno.env.get("PATH") ?? "/usr/local/bin:/usr/bin:/bin",
    HOME: home,
    XDG_DATA_HOME: `${home}/.local/share`,
    XDG_CONFIG_HOME: `${home}/.config`,
    XDG_RUNTIME_DIR: runtime,
    DBUS_SESSION_BUS_ADDRESS: address,
  };
  let keyring: Deno.ChildProcess | undefined;

  const secretTool = async (args: string[], stdin = "") => {
    const child = new Deno.Command("secret-tool", {
      args,
      env,
      clearEnv: true,
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(stdin));
    await writer.close();
    const output = await child.output();
    return { code: output.code, stdout: new TextDecoder().decode(output.stdout) };
  };

  const stopKeyring = async () => {
    if (!keyring) return;
    const running = keyring;
    keyring = undefined;
    try {
      running.kill("SIGTERM");
    } catch {
      // already gone
    }
    await running.status;
  };

  const startKeyring = async () => {
    if (keyring) return;
    keyring = new Deno.Command("gnome-keyring-daemon", {
      args: ["--foreground", "--unlock", "--components=secrets"],
      env,
      clearEnv: true,
      stdin: "piped",
      stdout: "null",
      stderr: "null",
    }).spawn();
    const writer = keyring.stdin.getWriter();
    await writer.write(new TextEncoder().encode(KEYRING_PASSWORD));
    await writer.close();
    // Ready once a lookup answers "not found" (exit 1) rather than failing to reach the service.
    const deadline = Date.now() + 10_000;
    for (;;) {
      const probe = await secretToolStatus(env);
      if (probe === "answered") return;
      if (Date.now() > deadline) {
        await stopKeyring();
        throw new Error("gnome-keyring-daemon did not come up on the private bus within 10 s");
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  const stop = async () => {
    await stopKeyring();
    try {
      bus.kill("SIGTERM");
    } catch {
      // already gone
    }
    await bus.status;
    await Deno.remove(root, { recursive: true });
  };

  try {
    await startKeyring();
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    env,
    getEnv: (name) => env[name],
    stopKeyring,
    startKeyring,
    secretTool,
    [Symbol.asyncDispose]: stop,
  };
}

/** Whether a lookup reached the service: "answered" (found or not found) or "unreachable". */
async function secretToolStatus(env: Record<string, string>): Promise<"answered" | "unreachable"> {
  const output = await new Deno.Command("secret-tool", {
    args: ["lookup", "service", "axway-test-probe", "account", "probe"],
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(output.stderr).trim();
  return output.code === 0 || (output.code === 1 && stderr === "") ? "answered" : "unreachable";
}

/** A session bus config listening on `socket`, with no service directories. */
function busConfig(socket: string): string {
  return `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=${socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`;
}

async function firstLine(stream: ReadableStream<Uint8Array>, timeoutMs: number): Promise<string> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("dbus-daemon printed no address")), timeoutMs);
  });
  let text = "";
  try {
    while (!text.includes("\n")) {
      const { done, value } = await Promise.race([reader.read(), timeout]);
      if (done) throw new Error("dbus-daemon exited without printing its address");
      text += value;
    }
  } finally {
    clearTimeout(timer);
    await reader.cancel().catch(() => {});
  }
  return text.slice(0, text.indexOf("\n")).trim();
}

async function onPath(tool: string): Promise<boolean> {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (!dir) continue;
    try {
      const info = await Deno.stat(`${dir}/${tool}`);
      if (info.isFile && (info.mode ?? 0) & 0o111) return true;
    } catch {
      // not here
    }
  }
  return false;
}
