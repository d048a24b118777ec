import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  artifactName,
  BuildError,
  buildPlan,
  denortCachePath,
  findTarget,
  TARGETS,
} from "../../scripts/build_plan.ts";
import { compile, probeUrl } from "../../scripts/build.ts";
import { parseChecksums, sha256File } from "../../scripts/checksums.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BUILD = join(ROOT, "scripts", "build.ts");
const VERSION: string = JSON.parse(Deno.readTextFileSync(join(ROOT, "deno.json"))).version;

/** The build's permissions, as `deno task build` gives them. */
const BUILD_PERMISSIONS = [
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-run",
  "--allow-net",
];

async function denoDir(): Promise<string> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stdout: "piped",
    stderr: "null",
  }).output();
  return JSON.parse(new TextDecoder().decode(output.stdout)).denoDir;
}

/** Runs `scripts/build.ts` as `deno task build` does, in a clean environment plus `extra`. */
async function runBuild(args: string[], extra: Record<string, string>) {
  const env: Record<string, string> = {};
  for (const name of ["PATH", "HOME", "DENO_DIR", "TMPDIR", "XDG_CACHE_HOME"]) {
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  Object.assign(env, { NO_COLOR: "1" }, extra);
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...BUILD_PERMISSIONS, BUILD, ...args],
    cwd: ROOT,
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(120_000),
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  return {
    code: output.code,
    stdout: new TextDecoder().decode(output.stdout),
    stderr,
    lines: stderr.split("\n").filter((line) => line.trim() !== ""),
  };
}

async function artifactsIn(dist: string): Promise<string[]> {
  const names = [];
  for await (const entry of Deno.readDir(dist)) {
    if (entry.name.startsWith("axway-")) names.push(entry.name);
  }
  return names;
}

/** Every connection goes to a proxy nobody listens on: the network is gone, at once. */
const NO_NETWORK = {
  HTTPS_PROXY: "http://127.0.0.1:9",
  HTTP_PROXY: "http://127.0.0.1:9",
  ALL_PROXY: "http://127.0.0.1:9",
  NO_PROXY: "",
};

Deno.test("scripts/build.ts end to end, without internet (one dist dir, so one type-check)", async (t) => {
  const dist = await Deno.makeTempDir({ prefix: "axway-dist-" });
  try {
    // A target whose runtime is not cached here (on a machine that built before, it may be).
    const cacheDir = await denoDir();
    let missing: string | undefined;
    for (const target of TARGETS) {
      try {
        await Deno.stat(denortCachePath(cacheDir, Deno.version.deno, target.triple));
      } catch {
        missing = target.triple;
        break;
      }
    }

    await t.step({
      name: "without internet: one clear line, exit 1, no stack trace, nothing built",
      ignore: missing === undefined,
      async fn() {
        const run = await runBuild(["--target", missing!, "--dist", dist], NO_NETWORK);
        assert.equal(run.code, 1, run.stderr);
        assert.equal(run.lines.length, 1, run.stderr);
        const [line] = run.lines;
        assert.match(
          line,
          new RegExp(`^error: the Deno runtime \\(denort [\\d.]+\\) for ${missing} is missing: `),
        );
        assert.match(line, /not cached in .*, and dl\.deno\.land cannot be reached/);
        assert.match(line, /Run the build where the internet is reachable, or set DENORT_BIN/);
        assert.ok(!/\bat |Stack backtrace|Caused by/.test(run.stderr), run.stderr);
        // Everything up to the compile call ran: staging, its checks, the type check.
        assert.match(run.stdout, /^staged /m);
        assert.match(run.stdout, /^type-checked$/m);
        assert.ok(!run.stdout.includes("compiling "), run.stdout);
        assert.deepEqual(await artifactsIn(dist), []);
      },
    });

    await t.step({
      // A plain deno as DENORT_BIN: deno compile runs with the plan's argv and reports what it
      // embeds, and the build's own check of the binary rejects the result.
      name: "DENORT_BIN=deno: compiles, embeds only the staged CLI, then refuses the binary",
      ignore: findTarget(Deno.build.target) === undefined,
      async fn() {
        const run = await runBuild(["--current", "--dist", dist], {
          ...NO_NETWORK,
          DENORT_BIN: await Deno.realPath(Deno.execPath()),
        });
        assert.equal(run.code, 1, run.stderr);
        assert.equal(run.lines.length, 1, run.stderr);
        assert.match(
          run.lines[0],
          /^error: .*--version printed "deno [^"]*" \(exit 0\), not [\d.]+: is DENORT_BIN a denort binary rather than deno\?$/,
        );
        assert.match(run.stdout, new RegExp(`^compiling ${Deno.build.target} `, "m"));
        const listing = run.stdout.slice(run.stdout.indexOf("Embedded Files"));
        assert.ok(listing.startsWith("Embedded Files"), run.stdout);
        const top = [...listing.matchAll(/^ {2}[├└]─[─┬] (\S+)/gm)].map((match) => match[1]);
        // src/ is embedded whole (--include src): commands load through computed specifiers.
        assert.deepEqual(top.sort(), ["deno.json", "main.ts", "node_modules/*", "src/*"]);
        for (const word of ["tests", "oidc-provider", "playwright-core", "yaml", "koa"]) {
          assert.ok(!listing.includes(word), `${word} is embedded:\n${listing}`);
        }
        const modules = /node_modules\/\* \(([\d.]+)(B|KB|MB)/.exec(listing);
        assert.ok(modules, listing);
        const megabytes = Number(modules[1]) / (modules[2] === "MB" ? 1 : 1000);
        assert.ok(megabytes < 5, `embedded node_modules is ${modules[1]}${modules[2]}`);
        assert.deepEqual(await artifactsIn(dist), [], "the refused binary is removed");
      },
    });

    await t.step({
      // deno compile takes DENORT_BIN for any target, so a plain deno lets the rest of the flow
      // run here: the artifact is no use (wrong runtime), but its size is printed, SHA256SUMS
      // lists it with its hash, and the staging dir is cleaned up.
      name: "DENORT_BIN=deno for another target: size printed, SHA256SUMS written",
      async fn() {
        const other = TARGETS.find((target) => target.triple !== Deno.build.target)!;
        const run = await runBuild(["--target", other.triple, "--dist", dist], {
          ...NO_NETWORK,
          DENORT_BIN: await Deno.realPath(Deno.execPath()),
        });
        assert.equal(run.code, 0, run.stderr);
        assert.equal(run.stderr, "");
        const name = artifactName(VERSION, other);
        assert.match(
          run.stdout,
          new RegExp(`${name.replaceAll(".", "\\.")} {2}\\d+\\.\\d MiB$`, "m"),
        );
        const sums = parseChecksums(await Deno.readTextFile(join(dist, "SHA256SUMS")));
        assert.deepEqual([...sums.keys()], [name]);
        assert.equal(sums.get(name), await sha256File(join(dist, name)));
        assert.deepEqual((await artifactsIn(dist)).sort(), [name]);
        await assert.rejects(Deno.stat(join(dist, ".stage")), Deno.errors.NotFound);
      },
    });
  } finally {
    await Deno.remove(dist, { recursive: true });
  }
});

Deno.test({
  name: "compile step: a runtime download failure becomes the one missing-runtime line",
  ignore: Deno.build.os === "windows",
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "axway-fakedeno-" });
    try {
      // Stands in for deno: prints what deno compile prints offline, exits 1.
      const fake = join(dir, "deno");
      await Deno.writeTextFile(
        fake,
        `#!/bin/sh
cat >&2 <<'EOF'
Compile main.ts to out
Download https://dl.deno.land/release/v2.9.6/denort-aarch64-apple-darwin.zip
error: Writing deno compile executable to temporary file 'out.tmp-1'

Caused by:
    0: Setting up base binary.
    1: error sending request for url (https://dl.deno.land/release/v2.9.6/denort-aarch64-apple-darwin.zip): client error (Connect)
EOF
exit 1
`,
      );
      await Deno.chmod(fake, 0o755);
      const target = TARGETS.find((t) => t.triple === "aarch64-apple-darwin")!;
      const [step] = buildPlan({
        version: "1.0.0",
        targets: [target],
        distDir: dir,
        stageDir: dir,
      });
      const error = await compile(fake, step, dir).then(() => undefined, (error) => error);
      assert.ok(error instanceof BuildError);
      assert.ok(!error.message.includes("\n"));
      assert.match(
        error.message,
        /^the Deno runtime \(denort [\d.]+\) for aarch64-apple-darwin is missing: Writing deno compile/,
      );
      assert.match(error.message, /set DENORT_BIN to a denort binary/);

      await Deno.writeTextFile(
        fake,
        "#!/bin/sh\necho 'TS2322 [ERROR]: bad type' >&2\necho '    at file:///a.ts:1:1' >&2\nexit 1\n",
      );
      await assert.rejects(
        compile(fake, step, dir),
        /^BuildError: deno compile for aarch64-apple-darwin failed: TS2322 \[ERROR\]: bad type/,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("download probe: any answer counts, a dead or silent host does not, quickly", async () => {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response("no HEAD here", { status: 405 }),
  );
  const silent = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of silent) held.push(conn);
  })();
  try {
    assert.equal(await probeUrl(`http://127.0.0.1:${server.addr.port}/denort.zip`), true);
    const started = Date.now();
    assert.equal(
      await probeUrl(`http://127.0.0.1:${silent.addr.port}/denort.zip`, 300),
      "no answer within 0.3 s",
    );
    assert.ok(Date.now() - started < 5_000);
    const refused = await probeUrl("http://127.0.0.1:9/denort.zip", 5_000);
    assert.equal(typeof refused, "string");
    assert.ok(!(refused as string).includes("\n"));
  } finally {
    silent.close();
    for (const conn of held) conn.close();
    await accepting.catch(() => {});
    await server.shutdown();
  }
});
