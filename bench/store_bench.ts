/**
 * Micro-benchmarks of the encrypted account store (`deno bench bench/store_bench.ts`; `deno task
 * bench` runs it with `--json` and folds the numbers into bench/RESULTS.md):
 *
 * - encrypt + write: `AccountStore.update` changing one account of a store of 1, 100 or 1,000
 *   accounts: store lock, cached read (file read and byte comparison), AES-256-GCM encryption,
 *   atomic write (temp file, fsync, rename, directory fsync) — what a command pays to save.
 * - read + decrypt: a new `AccountStore` per iteration reading the same stores: file read, key
 *   file read and import, decryption, JSON parse — what every command pays once.
 * - PBKDF2-SHA256 at 600,000 iterations, alone and as part of reading a passphrase store.
 *
 * @module
 */

import { AccountStore } from "../src/store/account_store.ts";
import type { KeySourceSelection } from "../src/store/key_source.ts";
import { fakeAccounts, fakeDocument, writeStore } from "./fake_accounts.ts";

const SIZES = [1, 100, 1000] as const;
const FILE: KeySourceSelection = { requested: "file" };
const PASSPHRASE = "bench-store-passphrase";
const ITERATIONS = 600_000;
const PASSPHRASE_SOURCE: KeySourceSelection = {
  requested: "passphrase",
  passphrase: PASSPHRASE,
  iterations: ITERATIONS,
};
const ENV = { baseUrl: "http://127.0.0.1:8080", platformUrl: "http://127.0.0.1:8081" };

const root = await Deno.makeTempDir({ prefix: "axway-store-bench-" });
globalThis.addEventListener("unload", () => Deno.removeSync(root, { recursive: true }));

async function storeOf(name: string, size: number, keySource: KeySourceSelection) {
  const configDir = `${root}/${name}`;
  await writeStore(configDir, fakeDocument(fakeAccounts(size, ENV)), keySource);
  return configDir;
}

for (const size of SIZES) {
  const configDir = await storeOf(`write-${size}`, size, FILE);
  const store = new AccountStore({ configDir, keySource: FILE });
  await store.read();
  Deno.bench({
    name: `encrypt + write, ${size} account${size === 1 ? "" : "s"} (key file)`,
    group: "encrypt + write",
    baseline: size === 1,
    async fn() {
      await store.update((doc) => {
        doc.accounts[0].tokens.accessExpires++;
      });
    },
  });
}

for (const size of SIZES) {
  const configDir = await storeOf(`read-${size}`, size, FILE);
  Deno.bench({
    name: `read + decrypt, ${size} account${size === 1 ? "" : "s"} (key file)`,
    group: "read + decrypt",
    baseline: size === 1,
    async fn() {
      await new AccountStore({ configDir, keySource: FILE }).read();
    },
  });
}

const passphraseDir = await storeOf("passphrase-1", 1, PASSPHRASE_SOURCE);

Deno.bench({
  name: `PBKDF2-SHA256, ${ITERATIONS.toLocaleString("en")} iterations (key derivation alone)`,
  group: "passphrase",
  baseline: true,
  n: 20,
  warmup: 2,
  async fn() {
    const material = await crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(PASSPHRASE),
      "PBKDF2",
      false,
      ["deriveKey"],
    );
    await crypto.subtle.deriveKey(
      {
        name: "PBKDF2",
        hash: "SHA-256",
        salt: new Uint8Array(16),
        iterations: ITERATIONS,
      },
      material,
      { name: "AES-GCM", length: 256 },
      false,
      ["encrypt", "decrypt"],
    );
  },
});

Deno.bench({
  name: "read + decrypt, 1 account (passphrase, PBKDF2 600k)",
  group: "passphrase",
  n: 20,
  warmup: 2,
  async fn() {
    await new AccountStore({ configDir: passphraseDir, keySource: PASSPHRASE_SOURCE }).read();
  },
});
