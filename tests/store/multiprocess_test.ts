import assert from "node:assert/strict";
import { AccountStore } from "../../src/store/account_store.ts";
import { tempDir } from "./support/helpers.ts";
import { delay, spawnHelper } from "./support/process.ts";

const ISSUER = "https://login.example.com/auth/realms/Broker";

for (const passphrase of [undefined, "pw"]) {
  Deno.test(`processes updating at once all land (${passphrase ? "passphrase" : "key file"})`, async () => {
    await using dir = await tempDir();
    const writers = ["w0", "w1", "w2", "w3"].map((id) =>
      spawnHelper("./writer.ts", [dir.path, id, "8", ...(passphrase ? [passphrase] : [])])
    );
    await Promise.all(writers.map((w) => w.waitFor("ready")));
    const go = new TextEncoder().encode("go\n");
    await Promise.all(writers.map((w) => w.stdin.write(go)));
    await Promise.all(writers.map((w) => w.stdin.close()));
    const statuses = await Promise.all(writers.map((w) => w.child.status));
    assert.ok(statuses.every((s) => s.success));
    const store = new AccountStore({
      configDir: dir.path,
      keySource: { passphrase, iterations: 1_000 },
    });
    const names = (await store.read()).accounts.map((a) => a.name).sort();
    const expected = ["w0", "w1", "w2", "w3"].flatMap((id) =>
      Array.from({ length: 8 }, (_, i) => `${id}-${i}`)
    ).sort();
    assert.deepEqual(names, expected);
  });
}

Deno.test("withAccountLock blocks another process on the same account only", async () => {
  await using dir = await tempDir();
  const holder = spawnHelper("./hold_account_lock.ts", [dir.path, ISSUER, "a"]);
  await holder.waitFor("locked");

  // Another account is not blocked (in another process, and in this one).
  const other = spawnHelper("./hold_account_lock.ts", [dir.path, ISSUER, "b"]);
  await other.waitFor("locked");
  await other.stdin.close();
  assert.ok((await other.child.status).success);
  const store = new AccountStore({ configDir: dir.path, keySource: { requested: "file" } });
  assert.equal(await store.withAccountLock(ISSUER, "b", () => Promise.resolve("b")), "b");
  // Same name, other issuer: a different lock.
  assert.equal(await store.withAccountLock(`${ISSUER}x`, "a", () => Promise.resolve(1)), 1);

  // The same account waits for the holder.
  const waiter = spawnHelper("./hold_account_lock.ts", [dir.path, ISSUER, "a"]);
  await delay(500);
  assert.equal(waiter.printed("locked"), false);
  await holder.stdin.close();
  assert.ok((await holder.child.status).success);
  await waiter.waitFor("locked");
  await waiter.stdin.close();
  assert.ok((await waiter.child.status).success);
});
