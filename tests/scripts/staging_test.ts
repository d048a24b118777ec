import assert from "node:assert/strict";
import { dirname, join, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { BuildError } from "../../scripts/build_plan.ts";
import { sha256File } from "../../scripts/checksums.ts";
import {
  checkGraph,
  checkStage,
  type DenoLock,
  importedSpecifiers,
  packageId,
  prepareStage,
  pruneLock,
  runtimeDeps,
  scanBareSpecifiers,
  STAGE_ENTRIES,
  walkFiles,
} from "../../scripts/staging.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const ROOT_CONFIG = JSON.parse(Deno.readTextFileSync(join(ROOT, "deno.json")));

/** Packages only the tests use: never in a binary. */
const DEV_ONLY = ["oidc-provider", "playwright-core", "yaml"];

/** A proxy nobody listens on: `deno install` must work without the network. */
const OFFLINE = {
  HTTPS_PROXY: "http://127.0.0.1:9",
  HTTP_PROXY: "http://127.0.0.1:9",
  NO_PROXY: "",
};

Deno.test("import scan: static, multi-line, side-effect, dynamic; comments ignored", () => {
  const source = `/**
 * Uses \`import x from "in-doc-comment"\` in prose.
 */
import { a,
  b } from "pkg-a";
import type { T } from "@scope/pkg-b/sub";
export { c } from "./local.ts";
export * from "pkg-c";
import "side-effect";
// import { z } from "line-comment";
const accept = "application/json, */*";
const glob = "src/**/*.ts";
const lazy = await import("pkg-d");
const json = await import("./data.json", { with: { type: "json" } });
/* import("block-comment") */
import node from "node:path";
`;
  assert.deepEqual(importedSpecifiers(source).sort(), [
    "./data.json",
    "./local.ts",
    "@scope/pkg-b/sub",
    "node:path",
    "pkg-a",
    "pkg-c",
    "pkg-d",
    "side-effect",
  ]);
});

const LOCK: DenoLock = {
  version: "5",
  specifiers: {
    "npm:typings@1.0.0": "1.0.0_base@2.0.0",
    "npm:base@2.0.0": "2.0.0",
    "npm:prompts@3.0.0": "3.0.0",
    "npm:server@4.0.0": "4.0.0",
  },
  npm: {
    "typings@1.0.0_base@2.0.0": { integrity: "sha512-t", dependencies: ["base"] },
    "base@2.0.0": { integrity: "sha512-b" },
    "prompts@3.0.0": { integrity: "sha512-p", dependencies: ["util@1.0.0"] },
    "util@1.0.0": { integrity: "sha512-u1" },
    "util@2.0.0": { integrity: "sha512-u2" },
    "server@4.0.0": { integrity: "sha512-s", dependencies: ["util@2.0.0"] },
  },
  workspace: {
    dependencies: ["npm:base@2.0.0", "npm:prompts@3.0.0", "npm:server@4.0.0", "npm:typings@1.0.0"],
  },
};
const IMPORTS = {
  base: "npm:base@2.0.0",
  typings: "npm:typings@1.0.0",
  prompts: "npm:prompts@3.0.0",
  server: "npm:server@4.0.0",
};

Deno.test("runtime deps: imported entries, their peers from the lock, nothing else", () => {
  const used = new Map([["typings", "src/a.ts"], ["prompts/sub", "src/b.ts"]]);
  const deps = runtimeDeps(IMPORTS, used, LOCK);
  assert.deepEqual(deps.imports, {
    base: "npm:base@2.0.0",
    typings: "npm:typings@1.0.0",
    prompts: "npm:prompts@3.0.0",
  });
  assert.deepEqual(deps.packages, ["base@2.0.0", "prompts@3.0.0", "typings@1.0.0", "util@1.0.0"]);
  assert.deepEqual(deps.devPackages, ["server@4.0.0", "util@2.0.0"]);
  assert.deepEqual(pruneLock(LOCK, deps.imports, deps.lockKeys), {
    version: "5",
    specifiers: {
      "npm:typings@1.0.0": "1.0.0_base@2.0.0",
      "npm:base@2.0.0": "2.0.0",
      "npm:prompts@3.0.0": "3.0.0",
    },
    npm: {
      "typings@1.0.0_base@2.0.0": { integrity: "sha512-t", dependencies: ["base"] },
      "base@2.0.0": { integrity: "sha512-b" },
      "prompts@3.0.0": { integrity: "sha512-p", dependencies: ["util@1.0.0"] },
      "util@1.0.0": { integrity: "sha512-u1" },
    },
    workspace: { dependencies: ["npm:base@2.0.0", "npm:prompts@3.0.0", "npm:typings@1.0.0"] },
  });
  assert.throws(
    () => runtimeDeps(IMPORTS, new Map([["unmapped", "src/c.ts"]]), LOCK),
    (error) => error instanceof BuildError && /src\/c\.ts imports "unmapped"/.test(error.message),
  );
  assert.deepEqual(packageId("@scope/name@1.2.3_peer@4.0.0"), {
    name: "@scope/name",
    version: "1.2.3",
  });
});

Deno.test("runtime deps of the CLI: what src/ imports, no dev package", async () => {
  const used = await scanBareSpecifiers(ROOT);
  const lock = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.lock")));
  const deps = runtimeDeps(ROOT_CONFIG.imports, used, lock);
  for (const specifier of used.keys()) {
    assert.ok(
      Object.keys(deps.imports).some((key) => specifier === key || specifier.startsWith(`${key}/`)),
      specifier,
    );
  }
  for (const name of DEV_ONLY) {
    assert.ok(!(name in deps.imports), name);
    assert.ok(!deps.packages.some((pkg) => packageId(pkg).name === name), name);
  }
});

/** Files of a directory tree that are not under node_modules. */
async function filesOutsideModules(dir: string): Promise<string[]> {
  const files: string[] = [];
  for await (const path of walkFiles(dir)) {
    if (path.split(sep)[0] !== "node_modules") files.push(path.split(sep).join("/"));
  }
  return files;
}

Deno.test({
  name: "staging dir, prepared for real: only the CLI's code and runtime packages",
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "axway-stage-" });
    try {
      const stage = await prepareStage({ root: ROOT, dir, env: OFFLINE });
      assert.equal(stage.version, ROOT_CONFIG.version);

      const config = JSON.parse(await Deno.readTextFile(join(dir, "deno.json")));
      assert.equal(config.version, ROOT_CONFIG.version);
      assert.equal(config.nodeModulesDir, "auto");
      for (const [key, value] of Object.entries(config.imports)) {
        assert.equal(ROOT_CONFIG.imports[key], value, key);
      }
      for (const name of DEV_ONLY) assert.ok(!(name in config.imports), name);

      // What lies on disk: the top level, the sources, and node_modules.
      const top = [];
      for await (const entry of Deno.readDir(dir)) top.push(entry.name);
      assert.deepEqual(top.sort(), [...STAGE_ENTRIES].sort());
      const sources = await filesOutsideModules(dir);
      for (const path of sources) {
        assert.ok(
          ["main.ts", "deno.json", "deno.lock"].includes(path) || path.startsWith("src/"),
          path,
        );
        assert.ok(!/(^|\/)tests?\//.test(path) && !/_test\.ts$/.test(path), path);
      }
      assert.ok(sources.includes("src/cli/main.ts"));

      // No test code under another name: no staged file has the content of a file in tests/.
      const testHashes = new Set<string>();
      for await (const path of walkFiles(join(ROOT, "tests"))) {
        testHashes.add(await sha256File(join(ROOT, "tests", path)));
      }
      for (const path of sources) {
        assert.ok(!testHashes.has(await sha256File(join(dir, path))), `${path} is test code`);
      }

      const store = join(dir, "node_modules", ".deno");
      const installed: string[] = [];
      for await (const entry of Deno.readDir(store)) {
        if (entry.isDirectory && !entry.name.startsWith(".") && entry.name !== "node_modules") {
          const { name, version } = packageId(entry.name.replace("+", "/"));
          installed.push(`${name}@${version}`);
        }
      }
      assert.deepEqual(installed.sort(), [...stage.deps.packages].sort());
      const linked: string[] = [];
      for await (const entry of Deno.readDir(join(dir, "node_modules"))) {
        if (entry.name.startsWith(".")) continue;
        if (entry.name.startsWith("@")) {
          for await (const inner of Deno.readDir(join(dir, "node_modules", entry.name))) {
            linked.push(`${entry.name}/${inner.name}`);
          }
        } else linked.push(entry.name);
      }
      assert.deepEqual(linked.sort(), Object.keys(config.imports).sort());
      for (const name of [...DEV_ONLY, "koa", "jose"]) {
        if (name === "jose" && "jose" in config.imports) continue;
        assert.ok(!installed.some((pkg) => packageId(pkg).name === name), name);
        assert.ok(!linked.includes(name), name);
      }
      for await (const path of walkFiles(store)) {
        const first = path.split(sep)[0];
        for (const name of DEV_ONLY) assert.ok(!first.startsWith(`${name}@`), path);
      }

      assert.deepEqual(await checkStage(dir, stage.deps), []);
      assert.deepEqual(await checkGraph(dir, stage.deps), []);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

async function write(path: string, text = "") {
  await Deno.mkdir(dirname(path), { recursive: true });
  await Deno.writeTextFile(path, text);
}

Deno.test("staging check: reports tests, dev packages and links out of the dir", async () => {
  const dir = await Deno.makeTempDir({ prefix: "axway-badstage-" });
  const outside = await Deno.makeTempDir({ prefix: "axway-outside-" });
  try {
    await write(join(dir, "main.ts"));
    await write(join(dir, "deno.json"), "{}");
    await write(join(dir, "src", "cli", "main.ts"));
    await write(join(dir, "src", "cli", "main_test.ts"));
    await write(join(dir, "tests", "support", "idp.ts"));
    const store = join(dir, "node_modules", ".deno");
    await write(join(store, "commander@14.0.3", "node_modules", "commander", "index.js"));
    await write(join(store, "oidc-provider@9.13.3", "node_modules", "oidc-provider", "index.js"));
    await write(join(store, "left-pad@1.3.0", "node_modules", "left-pad", "index.js"));
    await Deno.symlink(
      join(store, "commander@14.0.3", "node_modules", "commander"),
      join(dir, "node_modules", "commander"),
    );
    await Deno.symlink(outside, join(dir, "node_modules", "escape"));

    const problems = await checkStage(dir, {
      packages: ["commander@14.0.3"],
      devPackages: ["oidc-provider@9.13.3"],
    });
    const expected = [
      "unexpected tests in staging",
      "test file src/cli/main_test.ts in staging",
      "dev-only package oidc-provider@9.13.3 in staging node_modules",
      "package left-pad@1.3.0 in staging node_modules is not a runtime dependency",
      "package escape in staging node_modules is not a runtime dependency",
    ];
    for (const problem of expected) assert.ok(problems.includes(problem), problem);
    assert.ok(
      problems.some((problem) => /node_modules\/escape links out of staging/.test(problem)),
    );

    assert.deepEqual(await checkStage(join(dir, "missing"), { packages: [] }), [
      `the staging dir ${join(dir, "missing")} is empty or missing`,
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(outside, { recursive: true });
  }
});
