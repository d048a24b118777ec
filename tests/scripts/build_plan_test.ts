import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CLI_PERMISSIONS, permissionsFor } from "../../scripts/permissions.ts";
import {
  artifactName,
  BuildError,
  buildPlan,
  denortCachePath,
  denortUrl,
  firstErrorLine,
  formatSize,
  isRuntimeFailure,
  parseBuildArgs,
  resolveRuntimes,
  type RuntimeProbe,
  selectTargets,
  TARGETS,
} from "../../scripts/build_plan.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const VERSION: string = JSON.parse(Deno.readTextFileSync(join(ROOT, "deno.json"))).version;
const ALL = TARGETS.map((target) => target.triple);

Deno.test("build plan: the five targets and their artifact names", () => {
  assert.deepEqual(ALL, [
    "x86_64-unknown-linux-gnu",
    "aarch64-unknown-linux-gnu",
    "x86_64-apple-darwin",
    "aarch64-apple-darwin",
    "x86_64-pc-windows-msvc",
  ]);
  assert.deepEqual(TARGETS.map((target) => artifactName("1.2.3", target)), [
    "axway-1.2.3-linux-x86_64",
    "axway-1.2.3-linux-aarch64",
    "axway-1.2.3-macos-x86_64",
    "axway-1.2.3-macos-aarch64",
    "axway-1.2.3-windows-x86_64.exe",
  ]);
});

Deno.test("build plan: options select targets", () => {
  const host = "x86_64-unknown-linux-gnu";
  const pick = (...args: string[]) =>
    selectTargets(parseBuildArgs(args), host).map((target) => target.triple);
  assert.deepEqual(pick(), ALL);
  assert.deepEqual(pick("--current"), [host]);
  assert.deepEqual(pick("--", "--current"), [host], "deno task build -- --current");
  assert.deepEqual(
    pick("--target", "aarch64-apple-darwin", "--target=x86_64-pc-windows-msvc"),
    ["aarch64-apple-darwin", "x86_64-pc-windows-msvc"],
  );
  assert.deepEqual(pick("--target", "aarch64-apple-darwin", "--target", "aarch64-apple-darwin"), [
    "aarch64-apple-darwin",
  ]);
  assert.equal(parseBuildArgs(["--dist", "/tmp/out"]).dist, "/tmp/out");
  assert.throws(() => pick("--target", "riscv64gc-unknown-linux-gnu"), BuildError);
  assert.throws(() => pick("--current", "--target", host), BuildError);
  assert.throws(() => parseBuildArgs(["--allow-all"]), BuildError);
  assert.throws(() => parseBuildArgs(["extra"]), BuildError);
  assert.throws(
    () => selectTargets(parseBuildArgs(["--current"]), "aarch64-pc-windows-msvc"),
    /has no axway binary target/,
  );
});

Deno.test("build plan: the exact deno compile argv, with exactly the CLI's permissions", () => {
  const stageDir = "/work/dist/.stage";
  const plan = buildPlan({
    version: VERSION,
    targets: TARGETS,
    distDir: "/work/dist",
    stageDir,
  });
  assert.equal(plan.length, 5);
  for (const step of plan) {
    assert.equal(step.output, join("/work/dist", artifactName(VERSION, step.target)));
    assert.deepEqual(step.args, [
      "compile",
      "--frozen",
      "--no-prompt",
      ...permissionsFor(step.target.os),
      "--include",
      join(stageDir, "src"),
      "--config",
      join(stageDir, "deno.json"),
      "--target",
      step.target.triple,
      "--output",
      step.output,
      join(stageDir, "main.ts"),
    ]);
    const permissions = step.args.filter((arg) => /^--(allow|deny|ignore)-/.test(arg));
    // The tests run the CLI with CLI_PERMISSIONS; Windows adds FFI for Credential Manager only.
    assert.deepEqual(
      permissions,
      step.target.os === "windows" ? [...CLI_PERMISSIONS, "--allow-ffi"] : [...CLI_PERMISSIONS],
    );
    for (const forbidden of ["-A", "--allow-all", "--no-check", "-P", "--permission-set"]) {
      assert.ok(!step.args.some((arg) => arg === forbidden || arg.startsWith(`${forbidden}=`)));
    }
  }
  assert.deepEqual(plan.map((step) => step.artifact), [
    `axway-${VERSION}-linux-x86_64`,
    `axway-${VERSION}-linux-aarch64`,
    `axway-${VERSION}-macos-x86_64`,
    `axway-${VERSION}-macos-aarch64`,
    `axway-${VERSION}-windows-x86_64.exe`,
  ]);
});

Deno.test("build plan: the version baked in is deno.json's, and --version prints it", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--no-prompt",
      `--config=${join(ROOT, "deno.json")}`,
      ...CLI_PERMISSIONS,
      join(ROOT, "main.ts"),
      "--version",
    ],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(new TextDecoder().decode(output.stdout).trim(), VERSION);
  assert.equal(output.code, 0);
});

function probe(overrides: Partial<RuntimeProbe> & { files?: string[] } = {}): RuntimeProbe {
  const files = new Set(overrides.files ?? []);
  return {
    denoDir: "/cache/deno",
    denoVersion: "2.9.6",
    exists: (path) => Promise.resolve(files.has(path)),
    reachable: () => Promise.resolve("dns error: failed to lookup address information"),
    ...overrides,
  };
}

Deno.test("runtime: DENO_DIR cache, DENORT_BIN, or a reachable download", async () => {
  const cached = denortCachePath("/cache/deno", "2.9.6", "aarch64-apple-darwin");
  assert.equal(
    cached,
    join("/cache/deno", "dl", "release", "v2.9.6", "denort-aarch64-apple-darwin.zip"),
  );
  assert.equal(
    denortUrl("2.9.6", "aarch64-apple-darwin"),
    "https://dl.deno.land/release/v2.9.6/denort-aarch64-apple-darwin.zip",
  );
  const fromCache = await resolveRuntimes(["aarch64-apple-darwin"], probe({ files: [cached] }));
  assert.deepEqual(fromCache.get("aarch64-apple-darwin"), { kind: "cache", path: cached });

  const fromEnv = await resolveRuntimes(
    ["x86_64-unknown-linux-gnu"],
    probe({ denortBin: "/opt/denort", files: ["/opt/denort"] }),
  );
  assert.deepEqual(fromEnv.get("x86_64-unknown-linux-gnu"), { kind: "env", path: "/opt/denort" });

  const online = await resolveRuntimes(ALL, probe({ reachable: () => Promise.resolve(true) }));
  assert.deepEqual([...online.values()].map((source) => source.kind), Array(5).fill("download"));
});

Deno.test("runtime: offline, one line says what is missing and how to provide it", async () => {
  const triple = "x86_64-unknown-linux-gnu";
  const error = await resolveRuntimes([triple], probe()).then(
    () => assert.fail("resolved"),
    (error) => error,
  );
  assert.ok(error instanceof BuildError);
  const line: string = error.message;
  assert.ok(!line.includes("\n"), line);
  assert.match(
    line,
    /^the Deno runtime \(denort 2\.9\.6\) for x86_64-unknown-linux-gnu is missing/,
  );
  assert.match(
    line,
    /not cached in \/cache\/deno, and dl\.deno\.land cannot be reached \(dns error/,
  );
  assert.match(line, /Run the build where the internet is reachable/);
  assert.match(
    line,
    /set DENORT_BIN to a denort binary of Deno 2\.9\.6 for x86_64-unknown-linux-gnu/,
  );

  const all = await resolveRuntimes(ALL, probe()).catch((error) => error.message as string);
  assert.ok(typeof all === "string" && !all.includes("\n"));
  for (const target of ALL) assert.ok(all.includes(target), target);

  await assert.rejects(
    resolveRuntimes([triple], probe({ denortBin: "/nowhere/denort" })),
    /DENORT_BIN=\/nowhere\/denort does not exist/,
  );
  await assert.rejects(
    resolveRuntimes(ALL.slice(0, 2), probe({ denortBin: "/opt/denort", files: ["/opt/denort"] })),
    /DENORT_BIN is set.*one target per run/,
  );
});

/** What `deno compile` printed here, offline (Deno 2.9.6). */
const OFFLINE_COMPILE_STDERR = `\x1b[0m\x1b[32mCheck\x1b[0m main.ts
\x1b[0m\x1b[32mCompile\x1b[0m main.ts to out
\x1b[0m\x1b[32mDownload\x1b[0m https://dl.deno.land/release/v2.9.6/denort-x86_64-unknown-linux-gnu.zip
\x1b[0m\x1b[1m\x1b[31merror\x1b[0m: Writing deno compile executable to temporary file 'out.tmp-b7c185a08f8fe398'

Caused by:
    0: Setting up base binary.
    1: error sending request for url (https://dl.deno.land/release/v2.9.6/denort-x86_64-unknown-linux-gnu.zip): client error (Connect): dns error: failed to lookup address information: Name or service not known
    2: client error (Connect)

Stack backtrace:
   0: <unknown>
`;

Deno.test("compile output: runtime failures are told apart from code errors", () => {
  assert.ok(isRuntimeFailure(OFFLINE_COMPILE_STDERR));
  assert.ok(
    isRuntimeFailure("error: Writing...\nCaused by:\n    0: Could not find denort at '/x'"),
  );
  const typeError = `Check main.ts
TS2322 [ERROR]: Type 'string' is not assignable to type 'number'.
    const x: number = "a";
    at file:///stage/src/a.ts:1:7

error: Type checking failed.
`;
  assert.ok(!isRuntimeFailure(typeError));
  assert.equal(
    firstErrorLine(typeError),
    "TS2322 [ERROR]: Type 'string' is not assignable to type 'number'. " +
      "(at file:///stage/src/a.ts:1:7)",
  );
  assert.equal(
    firstErrorLine(OFFLINE_COMPILE_STDERR),
    "Writing deno compile executable to temporary file 'out.tmp-b7c185a08f8fe398'",
  );
  assert.equal(formatSize(512), "512 B");
  assert.equal(formatSize(82_000_000), "78.2 MiB");
});
