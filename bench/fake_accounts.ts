/**
 * Fake accounts for the benchmarks: stores of 0, 10, 100 or 1,000 accounts are written straight
 * through `AccountStore`, without signing anyone in. The accounts look like real ones (a mix of
 * browser users with organizations and service accounts, tokens of realistic sizes), so that
 * decrypting, parsing and printing them costs what it would with real accounts.
 *
 * @module
 */

import { AccountStore } from "../src/store/account_store.ts";
import type { KeySourceSelection } from "../src/store/key_source.ts";
import type { StoredAccount, StoreDocument } from "../src/store/types.ts";

/** Where the fake accounts belong. */
export interface FakeEnvironment {
  /** Base URL of the login service, e.g. the bundled provider's `baseUrl`. */
  baseUrl: string;
  realm?: string;
  platformUrl?: string;
}

/** The issuer the CLI computes for `env` (`<baseUrl>/auth/realms/<realm>`). */
export function fakeIssuer(env: FakeEnvironment): string {
  return `${env.baseUrl.replace(/\/+$/, "")}/auth/realms/${env.realm ?? "Broker"}`;
}

/** A deterministic pseudo-random generator (mulberry32), so every run stores the same bytes. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

function token(random: () => number, length: number): string {
  let text = "";
  for (let i = 0; i < length; i++) text += ALPHABET[Math.floor(random() * 64)];
  return text;
}

function guid(random: () => number): string {
  const hex = () => Math.floor(random() * 16).toString(16);
  const part = (n: number) => Array.from({ length: n }, hex).join("");
  return `${part(8)}-${part(4)}-4${part(3)}-a${part(3)}-${part(12)}`;
}

/**
 * `count` accounts of `env`: three browser users with two organizations each for every service
 * account (client secret). Access tokens expire in an hour, so the accounts are usable as they are.
 */
export function fakeAccounts(count: number, env: FakeEnvironment, seed = 1): StoredAccount[] {
  const random = seededRandom(seed);
  const issuer = fakeIssuer(env);
  const now = Date.now();
  const accounts: StoredAccount[] = [];
  for (let i = 0; i < count; i++) {
    const common = {
      issuer,
      env: "custom",
      baseUrl: env.baseUrl,
      realm: env.realm ?? "Broker",
      ...(env.platformUrl ? { platformUrl: env.platformUrl } : {}),
      needsLogin: false,
    };
    if (i % 4 === 3) {
      const clientId = `svc-bench-${String(i).padStart(4, "0")}`;
      accounts.push({
        ...common,
        name: clientId,
        clientId,
        authenticator: "ClientSecret",
        tokens: {
          accessToken: token(random, 43),
          accessExpires: now + 3600_000,
          refreshExpires: null,
        },
        credentials: { clientSecret: token(random, 32) },
        isPlatform: false,
      });
      continue;
    }
    const email = `user${String(i).padStart(4, "0")}@example.com`;
    const orgs = [0, 1].map((k) => ({
      guid: guid(random),
      id: String(100000 + i * 2 + k),
      name: `Organization ${i}-${k}`,
    }));
    accounts.push({
      ...common,
      name: `amplify-cli:${email}`,
      clientId: "amplify-cli",
      authenticator: "PKCE",
      tokens: {
        accessToken: token(random, 43),
        refreshToken: token(random, 43),
        accessExpires: now + 3600_000,
        refreshExpires: now + 14 * 24 * 3600_000,
      },
      isPlatform: true,
      user: { guid: guid(random), email, firstName: "User", lastName: `Number ${i}` },
      org: orgs[0],
      orgs,
    });
  }
  return accounts;
}

/** A store document with `accounts`, the first one being the environment's default. */
export function fakeDocument(accounts: StoredAccount[]): StoreDocument {
  const defaults: StoreDocument["defaults"] = {};
  if (accounts.length > 0) defaults[accounts[0].issuer] = { account: accounts[0].name };
  return { version: 1, accounts, defaults };
}

/**
 * Writes `doc` as the store of `configDir` with the key source `keySource` picks. An empty
 * document is still written (an empty store file, as after the last logout).
 */
export async function writeStore(
  configDir: string,
  doc: StoreDocument,
  keySource: KeySourceSelection,
): Promise<void> {
  const store = new AccountStore({ configDir, keySource });
  // `update` writes only when something changed: add a marker first so an empty document is
  // written too, then put the wanted content in.
  await store.update((current) => {
    current.defaults["bench:marker"] = { account: "marker" };
  });
  await store.update((current) => {
    current.accounts = structuredClone(doc.accounts);
    current.defaults = structuredClone(doc.defaults);
  });
}
