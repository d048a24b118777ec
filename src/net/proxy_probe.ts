/**
 * Deno reports any refused CONNECT as "unsuccessful tunnel", without the proxy's status. After
 * such a failure (and only then) the CLI asks the proxy once more itself, to tell "407: the
 * proxy wants credentials" from "403: destination not allowed" or "502: the proxy cannot reach
 * it". Loaded lazily: it is on the error path only.
 *
 * @module
 */

import type { ProxyTarget } from "./proxy.ts";

/** The status line's code of a CONNECT to `target` through `proxy`, or undefined. */
export async function probeTunnelStatus(
  proxy: ProxyTarget,
  target: URL,
  options: { timeoutMs?: number; caCerts?: string[] } = {},
): Promise<number | undefined> {
  const scheme = proxy.url.protocol;
  if (scheme !== "http:" && scheme !== "https:") return undefined;
  const hostname = proxy.url.hostname.replace(/^\[(.*)\]$/, "$1");
  const port = Number(proxy.url.port || (scheme === "https:" ? 443 : 80));
  const targetPort = target.port || (target.protocol === "https:" ? "443" : "80");
  const authority = `${target.hostname}:${targetPort}`;
  const lines = [`CONNECT ${authority} HTTP/1.1`, `Host: ${authority}`];
  if (proxy.hasCredentials) {
    const user = decode(proxy.url.username);
    const password = decode(proxy.url.password);
    lines.push(`Proxy-Authorization: Basic ${btoa(toBinary(`${user}:${password}`))}`);
  }
  let conn: Deno.Conn | undefined;
  const timer = setTimeout(() => conn?.close(), options.timeoutMs ?? 3000);
  try {
    conn = scheme === "https:"
      ? await Deno.connectTls({ hostname, port, caCerts: options.caCerts })
      : await Deno.connect({ hostname, port });
    await writeAll(conn, new TextEncoder().encode(`${lines.join("\r\n")}\r\n\r\n`));
    const buffer = new Uint8Array(512);
    let text = "";
    while (!text.includes("\r\n") && text.length < 512) {
      const read = await conn.read(buffer);
      if (read === null) break;
      text += new TextDecoder().decode(buffer.subarray(0, read));
    }
    const match = /^HTTP\/\d(?:\.\d)? (\d{3})/.exec(text);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
    try {
      conn?.close();
    } catch {
      // already closed by the timer
    }
  }
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) offset += await conn.write(bytes.subarray(offset));
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function toBinary(text: string): string {
  return String.fromCharCode(...new TextEncoder().encode(text));
}
