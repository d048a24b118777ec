/**
 * Test helper process: `writer.ts <configDir> <id> <count> [passphrase]`. Prints "ready", waits
 * for a line on stdin, then adds accounts `<id>-0` … `<id>-<count-1>` with one `update` each.
 *
 * @module
 */

import { AccountStore } from "../../../src/store/account_store.ts";
import { sampleAccount } from "./helpers.ts";

const [configDir, id, count, passphrase] = Deno.args;
const store = new AccountStore({
  configDir,
  // No passphrase: the key file (never the developer's own keychain).
  keySource: { requested: passphrase ? "auto" : "file", passphrase, iterations: 1_000 },
});
console.log("ready");
await Deno.stdin.readable.getReader().read();
for (let i = 0; i < Number(count); i++) {
  await store.update((doc) => void doc.accounts.push(sampleAccount(`${id}-${i}`)));
}
console.log("done");
