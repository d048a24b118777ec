/**
 * Which proxy a request goes through, decided the way Deno's fetch decides it, so errors and
 * debug traces can name the proxy that was really used — and never show its credentials.
 *
 * Deno's fetch (2.9) reads the proxy variables itself, for its default client and for every
 * `Deno.createHttpClient` client alike (measured against tinyproxy):
 * - `ALL_PROXY`, then `HTTPS_PROXY` (https URLs), then `HTTP_PROXY` (http URLs); the upper-case
 *   name wins over the lower-case one, an empty or unusable value falls through to the
 *   lower-case one. `HTTP_PROXY` is ignored when `REQUEST_METHOD` is set (CGI).
 * - A value without a scheme means `http://`; `http`, `https`, `socks5`, `socks5h` are used,
 *   anything else is silently ignored, and so is a URL with a user name but no `:password`.
 * - `NO_PROXY` (else `no_proxy`; an empty `NO_PROXY` hides `no_proxy`): comma-separated host
 *   names (matching subdomains too; a leading dot changes nothing), IP addresses and CIDR
 *   ranges, no ports; `*` matches every host name but no IP literal. It also applies to a
 *   client's explicit `proxy`.
 * - An explicit `proxy` of `Deno.createHttpClient` goes before the variables.
 *
 * @module
 */

/** A proxy as Deno uses it. */
export interface ProxyTarget {
  /** The URL, credentials included (never shown: use {@link ProxyTarget.shown}). */
  readonly url: URL;
  /** The URL with the password replaced by `***`, without path. */
  readonly shown: string;
  /** Where it came from: the variable name, or `network.proxy` (settings). */
  readonly source: string;
  /** Whether the URL carries a user name and password. */
  readonly hasCredentials: boolean;
}

/** Proxy configuration from the environment, as Deno reads it. */
export interface ProxyEnv {
  readonly all?: ProxyTarget;
  readonly https?: ProxyTarget;
  readonly http?: ProxyTarget;
  /** The raw `NO_PROXY` list ("" when none). */
  readonly noProxy: string;
  /** Name of the variable `noProxy` came from. */
  readonly noProxySource?: string;
}

/** A proxy value that Deno would silently ignore; the CLI reports it instead. */
export class ProxyConfigError extends Error {
  constructor(readonly source: string, readonly reason: string) {
    super(`${source}: ${reason}`);
    this.name = "ProxyConfigError";
  }
}

const SCHEMES = new Set(["http:", "https:", "socks5:", "socks5h:"]);

/**
 * Parses a proxy URL as Deno does. Returns undefined for an empty value; throws
 * {@link ProxyConfigError} for a value Deno would ignore.
 */
export function parseProxyUrl(value: string, source: string): ProxyTarget | undefined {
  if (value.trim() === "") return undefined;
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ProxyConfigError(source, `"${redactCredentials(value)}" is not a proxy URL`);
  }
  if (!SCHEMES.has(url.protocol)) {
    throw new ProxyConfigError(
      source,
      `${url.protocol.slice(0, -1)} proxies are not supported (use http, https or socks5)`,
    );
  }
  if (!url.hostname) {
    throw new ProxyConfigError(source, `"${redactCredentials(value)}" names no proxy host`);
  }
  const authority = text.slice(text.indexOf("://") + 3).split(/[/?#]/, 1)[0];
  const at = authority.indexOf("@");
  if (at >= 0 && !authority.slice(0, at).includes(":")) {
    throw new ProxyConfigError(
      source,
      "a user name without a password is ignored: write http://user:password@host:port",
    );
  }
  return {
    url,
    shown: redactProxyUrl(url),
    source,
    hasCredentials: at >= 0,
  };
}

/** `scheme://user:***@host:port` (no path), or `scheme://host:port` without credentials. */
export function redactProxyUrl(url: URL | string): string {
  let parsed: URL;
  try {
    parsed = typeof url === "string" ? new URL(url) : url;
  } catch {
    return redactCredentials(String(url));
  }
  const user = parsed.username ? `${parsed.username}:***@` : parsed.password ? "***@" : "";
  return `${parsed.protocol}//${user}${parsed.host}`;
}

/** Replaces the password of every `scheme://user:password@` in a text by `***`. */
export function redactCredentials(text: string): string {
  return text.replace(
    /\b([a-z][a-z0-9+.-]*:\/\/)([^\s:/@]*):([^\s/]*)@/gi,
    (_all, scheme: string, user: string) => `${scheme}${user}:***@`,
  );
}

/** Reads the proxy variables like Deno; `env` returns empty strings as they are. */
export function readProxyEnv(env: (name: string) => string | undefined): ProxyEnv {
  const pick = (upper: string, lower: string): ProxyTarget | undefined => {
    for (const name of [upper, lower]) {
      const value = env(name);
      if (value === undefined) continue;
      const target = parseProxyUrl(value, name);
      if (target) return target;
    }
    return undefined;
  };
  const all = pick("ALL_PROXY", "all_proxy");
  const https = pick("HTTPS_PROXY", "https_proxy");
  const http = env("REQUEST_METHOD") === undefined ? pick("HTTP_PROXY", "http_proxy") : undefined;
  const upper = env("NO_PROXY");
  const noProxySource = upper !== undefined
    ? "NO_PROXY"
    : env("no_proxy") !== undefined
    ? "no_proxy"
    : undefined;
  return {
    all,
    https,
    http,
    noProxy: upper ?? env("no_proxy") ?? "",
    noProxySource,
  };
}

/** The environment's proxy for a URL, ignoring `NO_PROXY` (Deno's order: all, https, http). */
export function envProxyFor(url: URL, proxyEnv: ProxyEnv): ProxyTarget | undefined {
  if (proxyEnv.all) return proxyEnv.all;
  if (url.protocol === "https:") return proxyEnv.https;
  if (url.protocol === "http:") return proxyEnv.http;
  return undefined;
}

/** Whether `NO_PROXY` sends requests to this URL's host directly. */
export function bypassesProxy(url: URL, noProxy: string): boolean {
  if (noProxy === "") return false;
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  const entries = noProxy.split(",").map((entry) => entry.trim());
  const address = parseIp(host);
  if (address) {
    return entries.some((entry) => {
      const [base, bits, extra] = entry.split("/");
      if (extra !== undefined) return false;
      const network = parseIp(base);
      if (!network || network.v6 !== address.v6) return false;
      const width = address.v6 ? 128 : 32;
      if (bits === undefined) return network.value === address.value;
      if (!/^\d+$/.test(bits) || Number(bits) > width) return false;
      const shift = BigInt(width - Number(bits));
      return (network.value >> shift) === (address.value >> shift);
    });
  }
  return entries.some((entry) => {
    if (entry === host || entry === `.${host}` || entry === "*") return true;
    if (!host.endsWith(entry)) return false;
    return entry.startsWith(".") || host[host.length - entry.length - 1] === ".";
  });
}

/**
 * The proxy Deno will use for a URL: the environment's (variables win over settings), else the
 * settings proxy, unless `NO_PROXY` lists the host.
 */
export function proxyFor(
  url: URL,
  proxyEnv: ProxyEnv,
  settingsProxy?: ProxyTarget,
): ProxyTarget | undefined {
  const chosen = envProxyFor(url, proxyEnv) ?? settingsProxy;
  if (!chosen || bypassesProxy(url, proxyEnv.noProxy)) return undefined;
  return chosen;
}

interface IpValue {
  v6: boolean;
  value: bigint;
}

function parseIp(text: string): IpValue | undefined {
  const v4 = parseIpv4(text);
  if (v4 !== undefined) return { v6: false, value: v4 };
  if (!text.includes(":")) return undefined;
  const v6 = parseIpv6(text);
  return v6 === undefined ? undefined : { v6: true, value: v6 };
}

function parseIpv4(text: string): bigint | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(part) || Number(part) > 255) return undefined;
    value = (value << 8n) | BigInt(part);
  }
  return value;
}

function parseIpv6(text: string): bigint | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groups = (half: string): bigint[] | undefined => {
    if (half === "") return [];
    const result: bigint[] = [];
    const parts = half.split(":");
    for (const [index, part] of parts.entries()) {
      if (index === parts.length - 1 && part.includes(".")) {
        const v4 = parseIpv4(part);
        if (v4 === undefined) return undefined;
        result.push(v4 >> 16n, v4 & 0xffffn);
      } else if (/^[0-9a-f]{1,4}$/i.test(part)) {
        result.push(BigInt(`0x${part}`));
      } else {
        return undefined;
      }
    }
    return result;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  let value = 0n;
  for (const group of [...head, ...Array(missing).fill(0n), ...tail]) {
    value = (value << 16n) | group;
  }
  return value;
}
