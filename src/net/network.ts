/**
 * The network configuration behind the CLI's one fetch: proxies and extra trusted CAs.
 *
 * Nothing happens until the first request: the settings file, the CA file and the
 * `Deno.HttpClient`s are read and built then, so commands that make no request (`auth ls`, a
 * cached `auth token`) pay nothing.
 *
 * - Proxies: Deno's fetch applies `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY`/`NO_PROXY` itself, to
 *   custom clients too. The settings key `network.proxy` becomes a client's explicit `proxy`,
 *   used only for URLs no proxy variable covers: variables win over settings. Credentials come
 *   only from the variables; a settings proxy with credentials is refused.
 * - CAs: `AXWAY_CA_FILE`, else the settings key `network.caFile`: a PEM bundle added to the
 *   default roots (Deno's `caCerts`), which are Mozilla's, or the operating system's with
 *   `DENO_TLS_CA_STORE=system`. There is no way to turn verification off.
 *
 * @module
 */

import type { Settings } from "../config/settings.ts";
import { CliError, usageError } from "../errors.ts";
import {
  bypassesProxy,
  envProxyFor,
  parseProxyUrl,
  ProxyConfigError,
  type ProxyEnv,
  type ProxyTarget,
  readProxyEnv,
} from "./proxy.ts";

/** Where the extra CA certificates come from. */
export interface CaSource {
  /** The file, as configured. */
  readonly file: string;
  /** `AXWAY_CA_FILE` or `network.caFile`. */
  readonly source: string;
}

/** How one request is sent. */
export interface Route {
  /** The client to pass to fetch; absent: Deno's default client. */
  readonly client?: Deno.HttpClient;
  /** The proxy the request goes through, as Deno chooses it. */
  readonly proxy?: ProxyTarget;
  /** The extra CAs in use. */
  readonly ca?: CaSource;
}

/** The configured network, resolved on first use. */
export interface Network {
  /** How to send a request to `url`; throws a CliError for a bad proxy or CA configuration. */
  route(url: URL): Promise<Route>;
  /** Closes the clients it made. */
  close(): void;
}

/** What the network configuration is read from. */
export interface NetworkSources {
  /** An environment variable, empty values included (Deno reads them that way). */
  rawEnv(name: string): string | undefined;
  /** The settings file. */
  settings(): Promise<Pick<Settings, "network.proxy" | "network.caFile">>;
}

interface Resolved {
  proxyEnv: ProxyEnv;
  settingsProxy?: ProxyTarget;
  ca?: CaSource & { certs: string[] };
}

/** The CA variable. */
export const CA_FILE_VARIABLE = "AXWAY_CA_FILE";

/** Builds the network of a process; reads nothing until the first `route()`. */
export function createNetwork(sources: NetworkSources): Network {
  let resolved: Promise<Resolved> | undefined;
  const clients: Deno.HttpClient[] = [];
  let direct: Deno.HttpClient | undefined;
  let viaSettings: Deno.HttpClient | undefined;

  const makeClient = (config: Resolved, proxy?: ProxyTarget): Deno.HttpClient => {
    const options: Deno.CreateHttpClientOptions = {};
    if (config.ca) options.caCerts = config.ca.certs;
    if (proxy) options.proxy = explicitProxy(proxy);
    let client: Deno.HttpClient;
    try {
      client = Deno.createHttpClient(options);
    } catch (error) {
      if (config.ca) throw caError(config.ca, unreadableCertificate(error), error);
      throw error;
    }
    clients.push(client);
    return client;
  };

  return {
    async route(url) {
      const config = await (resolved ??= resolve(sources));
      const envProxy = envProxyFor(url, config.proxyEnv);
      const settingsProxy = envProxy ? undefined : config.settingsProxy;
      let client: Deno.HttpClient | undefined;
      if (settingsProxy) client = viaSettings ??= makeClient(config, settingsProxy);
      else if (config.ca) client = direct ??= makeClient(config);
      const bypass = bypassesProxy(url, config.proxyEnv.noProxy);
      return {
        client,
        proxy: bypass ? undefined : envProxy ?? settingsProxy,
        ca: config.ca ? { file: config.ca.file, source: config.ca.source } : undefined,
      };
    },
    close() {
      for (const client of clients.splice(0)) client.close();
    },
  };
}

async function resolve(sources: NetworkSources): Promise<Resolved> {
  let proxyEnv: ProxyEnv;
  try {
    proxyEnv = readProxyEnv(sources.rawEnv);
  } catch (error) {
    if (error instanceof ProxyConfigError) {
      throw usageError(`${error.source} is not usable: ${error.reason}`);
    }
    throw error;
  }
  const caVariable = nonEmpty(sources.rawEnv(CA_FILE_VARIABLE));
  const settings = await sources.settings();
  const settingsProxy = proxyFromSettings(settings["network.proxy"]);
  const caFile = caVariable ??
    stringSetting(settings["network.caFile"], "network.caFile", "a file path");
  const ca = caFile === undefined ? undefined : await readCaFile({
    file: caFile,
    source: caVariable !== undefined ? CA_FILE_VARIABLE : "network.caFile",
  });
  return { proxyEnv, settingsProxy, ca };
}

function proxyFromSettings(value: unknown): ProxyTarget | undefined {
  const text = stringSetting(value, "network.proxy", "a proxy URL such as http://proxy:3128");
  if (text === undefined) return undefined;
  let target: ProxyTarget | undefined;
  try {
    target = parseProxyUrl(text, "network.proxy");
  } catch (error) {
    if (error instanceof ProxyConfigError) {
      throw usageError(`settings network.proxy is not usable: ${error.reason}`);
    }
    throw error;
  }
  if (target?.hasCredentials) {
    throw usageError(
      `settings network.proxy must not hold credentials (${target.shown})`,
      "put them in HTTPS_PROXY=http://user:password@host:port instead, and the plain URL in network.proxy",
    );
  }
  return target;
}

function stringSetting(value: unknown, key: string, what: string): string | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string") throw usageError(`settings ${key} must be ${what}`);
  return value;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** Reads a PEM bundle; a missing, unreadable or non-PEM file is a one-line error naming it. */
export async function readCaFile(source: CaSource): Promise<CaSource & { certs: string[] }> {
  let text: string;
  try {
    text = await Deno.readTextFile(source.file);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound
      ? "no such file"
      : error instanceof Deno.errors.PermissionDenied
      ? "permission denied"
      : error instanceof Deno.errors.IsADirectory
      ? "it is a directory"
      : firstLine(error);
    throw caError(source, `cannot be read: ${reason}`, error);
  }
  const certs = text.match(PEM_CERTIFICATE) ?? [];
  if (certs.length === 0) {
    throw caError(source, "holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
  }
  return { ...source, certs };
}

function caError(source: CaSource, problem: string, cause?: unknown): CliError {
  const origin = source.source === CA_FILE_VARIABLE ? CA_FILE_VARIABLE : "settings network.caFile";
  return new CliError("USAGE", `CA file ${source.file} (from ${origin}) ${problem}`, {
    hint: `${origin} must name a PEM file of CA certificates`,
    cause,
  });
}

function unreadableCertificate(error: unknown): string {
  const reason = firstLine(error).replace(/^invalid peer certificate:\s*/i, "");
  return `holds a certificate that cannot be read (${reason})`;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0];
}

function explicitProxy(proxy: ProxyTarget): Deno.Proxy {
  const scheme = proxy.url.protocol.slice(0, -1);
  return {
    transport: scheme === "https" ? "https" : scheme.startsWith("socks5") ? "socks5" : "http",
    url: `${proxy.url.protocol}//${proxy.url.host}`,
  };
}
