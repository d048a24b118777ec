/**
 * Test helper process: `hold_account_lock.ts <configDir> <issuer> <name>`. Takes the account lock,
 * prints "locked", and holds it until stdin is closed.
 *
 * @module
 */

import { AccountStore } from "../../../src/store/account_store.ts";

const [configDir, issuer, name] = Deno.args;
const store = new AccountStore({ configDir, keySource: { requested: "file" } });
await store.withAccountLock(issuer, name, async () => {
  console.log("locked");
  const reader = Deno.stdin.readable.getReader();
  while (!(await reader.read()).done) {
    // hold until EOF
  }
});
console.log("released");
