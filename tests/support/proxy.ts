/**
 * A real HTTP proxy for the network tests: Debian's `tinyproxy`, started in the foreground on a
 * loopback port with a generated configuration that allows CONNECT to the given ports only, and a
 * log file the test reads to see which requests went through it.
 *
 * ```ts
 * if (!(await tinyproxyAvailable())) return; // skip with a message
 * const proxy = await startTinyproxy({ connectPorts: [idp.port] });
 * try {
 *   // HTTPS_PROXY=proxy.url ...; (await proxy.connects()).length
 * } finally {
 *   await proxy.close();
 * }
 * ```
 *
 * @module
 */
import { join } from "node:path";

/** Options of {@link startTinyproxy}. */
export interface TinyproxyOptions {
  /** Ports CONNECT may reach (tinyproxy refuses the others with 403). */
  readonly connectPorts: readonly number[];
  /** Require these credentials (tinyproxy `BasicAuth`; letters, digits, `-`, `_`, `.` only). */
  readonly basicAuth?: { readonly user: string; readonly password: string };
}

/** A running tinyproxy. */
export interface TestProxy {
  /** `http://127.0.0.1:<port>`, without credentials. */
  readonly url: string;
  readonly port: number;
  /** The log so far. */
  log(): Promise<string>;
  /** `host:port` of every CONNECT request logged so far, oldest first. */
  connects(): Promise<string[]>;
  /** Stops the proxy and removes its files. */
  close(): Promise<void>;
}

/** Path of the tinyproxy binary, or undefined when it is not installed. */
export async function tinyproxyPath(): Promise<string | undefined> {
  for (const path of ["/usr/bin/tinyproxy", "/usr/sbin/tinyproxy", "/usr/local/bin/tinyproxy"]) {
    try {
      if ((await Deno.stat(path)).isFile) return path;
    } catch {
      // not here
    }
  }
  return undefined;
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

async function accepting(port: number): Promise<boolean> {
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.close();
    return true;
  } catch {
    return false;
  }
}

/** Starts tinyproxy on 127.0.0.1; throws when it is missing or does not come up. */
export async function startTinyproxy(options: TinyproxyOptions): Promise<TestProxy> {
  const binary = await tinyproxyPath();
  if (!binary) throw new Error("tinyproxy is not installed");
  const dir = await Deno.makeTempDir({ prefix: "axway-test-proxy-" });
  const logFile = join(dir, "tinyproxy.log");
  let lastError = "";
  // The port is picked, released and handed to tinyproxy: retry if someone took it meanwhile.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = freePort();
    const config = [
      `Port ${port}`,
      "Listen 127.0.0.1",
      "Timeout 30",
      `LogFile "${logFile}"`,
      "LogLevel Connect",
      "MaxClients 20",
      "Allow 127.0.0.1",
      "DisableViaHeader Yes",
      ...options.connectPorts.map((connectPort) => `ConnectPort ${connectPort}`),
      ...(options.basicAuth
        ? [`BasicAuth ${options.basicAuth.user} ${options.basicAuth.password}`]
        : []),
    ].join("\n") + "\n";
    const configFile = join(dir, "tinyproxy.conf");
    await Deno.writeTextFile(configFile, config);
    const child = new Deno.Command(binary, {
      args: ["-d", "-c", configFile],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const stderr = new Response(child.stderr).text();
    let exited = false;
    const status = child.status.then((value) => {
      exited = true;
      return value;
    });
    const deadline = Date.now() + 5000;
    while (!exited && Date.now() < deadline && !(await accepting(port))) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    if (!exited && await accepting(port)) {
      const url = `http://127.0.0.1:${port}`;
      let closing: Promise<void> | undefined;
      const log = () => Deno.readTextFile(logFile).catch(() => "");
      return {
        url,
        port,
        log,
        async connects() {
          // tinyproxy's log lines: "CONNECT ... Request (file descriptor 5): CONNECT host:port HTTP/1.1"
          return [...(await log()).matchAll(/Request \(file descriptor \d+\): CONNECT (\S+)/g)]
            .map((match) => match[1]);
        },
        close() {
          closing ??= (async () => {
            if (!exited) child.kill("SIGTERM");
            await status;
            await stderr;
            await Deno.remove(dir, { recursive: true }).catch(() => {});
          })();
          return closing;
        },
      };
    }
    if (!exited) child.kill("SIGKILL");
    await status;
    lastError = (await stderr).trim();
  }
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  throw new Error(`tinyproxy did not start: ${lastError}`);
}
