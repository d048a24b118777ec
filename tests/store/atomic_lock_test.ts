import assert from "node:assert/strict";
import { dirname, ensureDir, joinPath, writeFileAtomic } from "../../src/store/atomic.ts";
import { withFileLock } from "../../src/store/lock.ts";
import { modeOf, posix, tempDir } from "./support/helpers.ts";

Deno.test("writeFileAtomic replaces the file and leaves no temp file", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/f`;
  await writeFileAtomic(path, new TextEncoder().encode("one"));
  await writeFileAtomic(path, new TextEncoder().encode("two"));
  assert.equal(await Deno.readTextFile(path), "two");
  if (posix) assert.equal(await modeOf(path), 0o600);
  assert.deepEqual([...Deno.readDirSync(dir.path)].map((e) => e.name), ["f"]);
});

Deno.test("writeFileAtomic cleans up its temp file when the rename fails", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/taken`;
  await Deno.mkdir(path);
  await Deno.writeTextFile(`${path}/child`, "x");
  await assert.rejects(writeFileAtomic(path, new Uint8Array([1])));
  assert.deepEqual([...Deno.readDirSync(dir.path)].map((e) => e.name), ["taken"]);
});

Deno.test(
  "ensureDir creates 0700 dirs and leaves existing ones alone",
  { ignore: !posix },
  async () => {
    await using dir = await tempDir();
    const target = `${dir.path}/a/b`;
    await ensureDir(target);
    assert.equal(await modeOf(target), 0o700);
    await Deno.chmod(target, 0o755);
    await ensureDir(target);
    assert.equal(await modeOf(target), 0o755);
  },
);

Deno.test("withFileLock serializes holders in one process and returns fn's value", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/x.lock`;
  const events: string[] = [];
  const run = (id: string) =>
    withFileLock(path, async () => {
      events.push(`${id}+`);
      await new Promise((r) => setTimeout(r, 20));
      events.push(`${id}-`);
      return id;
    });
  assert.deepEqual(await Promise.all([run("a"), run("b")]), ["a", "b"]);
  assert.ok(events.join() === "a+,a-,b+,b-" || events.join() === "b+,b-,a+,a-", events.join());
  await assert.rejects(withFileLock(path, () => Promise.reject(new Error("boom"))), /boom/);
  assert.equal(await withFileLock(path, () => 1), 1);
});

Deno.test("path helpers", () => {
  assert.equal(dirname("/a/b/c"), "/a/b");
  assert.equal(dirname("/c"), "/");
  assert.equal(dirname("c"), ".");
  if (posix) assert.equal(joinPath("/a/", "b", "c"), "/a/b/c");
});
