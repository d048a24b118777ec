/**
 * Test helper process: `keychain_cli.ts <configDir> add|list [names...]`. Opens the store the way
 * the CLI does (`keySelection` over this process's environment), prints the auto-fallback notice
 * on stderr, and prints `{"accounts":[...],"key":"<where the key lives>"}`; a CliError prints
 * `error <CODE>: <message>` on stderr and exits 1 (by `Deno.exitCode`, so a pending keychain call
 * would keep it alive: a test of "never hangs" sees it).
 *
 * @module
 */

import { keySelection } from "../../../src/store/key_source.ts";
import { CliError } from "../../../src/errors.ts";
import { AccountStore } from "../../../src/store/account_store.ts";
import { sampleAccount } from "./helpers.ts";

const env = (name: string) => {
  const value = Deno.env.get(name);
  return value === "" ? undefined : value;
};
const [configDir, command, ...names] = Deno.args;
try {
  const store = new AccountStore({
    configDir,
    keySource: keySelection(env),
    onNotice: (message) => console.error(`axway: ${message}`),
  });
  if (command === "add") {
    await store.update((doc) => void doc.accounts.push(...names.map((n) => sampleAccount(n))));
  }
  const accounts = (await store.read()).accounts.map((account) => account.name);
  console.log(JSON.stringify({ accounts, key: await store.describeKey() }));
} catch (error) {
  if (!(error instanceof CliError)) throw error;
  console.error(`error ${error.code}: ${error.message}`);
  Deno.exitCode = 1;
}
