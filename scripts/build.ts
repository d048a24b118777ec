/**
 * `deno task build`: compiles the CLI into standalone binaries, one per target, into
 * `dist/axway-<version>-<os>-<arch>[.exe]`, and writes `dist/SHA256SUMS`.
 *
 * Steps: stage the CLI's code and runtime packages (see `staging.ts`), check the staging
 * directory and its module graph, type-check it, then, per target, make sure the Deno runtime
 * (`denort`) can be had (DENORT_BIN, the DENO_DIR cache, or a reachable download) and run
 * `deno compile` with exactly the permission list of `permissions.ts`. Any failure ends the run
 * with one `error:` line on stderr and exit code 1.
 *
 * @module
 */

import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  BUILD_USAGE,
  BuildError,
  buildPlan,
  type CompileStep,
  embeddedListing,
  firstErrorLine,
  formatSize,
  isRuntimeFailure,
  parseBuildArgs,
  resolveRuntimes,
  runtimeMissingLine,
  selectTargets,
  stripAnsi,
} from "./build_plan.ts";
import { checkGraph, checkStage, prepareStage, runDeno } from "./staging.ts";
import { CHECKSUMS_FILE, writeChecksums } from "./checksums.ts";

/** Name of the staging directory inside the dist directory. */
export const STAGE_DIR_NAME = ".stage";

/** How long the download check of the runtime may take before it counts as unreachable. */
export const PROBE_TIMEOUT_MS = 10_000;

/** Whether a path exists. */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/**
 * Whether a URL's host answers a HEAD request within {@link PROBE_TIMEOUT_MS}, whatever the
 * status (a refused HEAD must not stop a build that can download; `deno compile` reports a real
 * HTTP failure itself); the reason when the network fails.
 */
export async function probeUrl(url: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<true | string> {
  try {
    const response = await fetch(url, {
      method: "HEAD",
      redirect: "follow",
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.body?.cancel();
    return true;
  } catch (error) {
    if (error instanceof DOMException && error.name === "TimeoutError") {
      return `no answer within ${timeoutMs / 1000} s`;
    }
    const cause = (error as { cause?: unknown }).cause;
    const detail = cause instanceof Error ? cause.message : (error as Error).message;
    return stripAnsi(detail).split("\n")[0]
      .replace(/^error sending request for url \([^)]*\):\s*/, "")
      .replace(/client error \(\w+\):\s*/, "") || "network error";
  }
}

/** DENO_DIR of a deno executable, as `deno info --json` reports it. */
export async function denoDirOf(deno: string): Promise<string> {
  const json = await runDeno(deno, ["info", "--json"], Deno.cwd(), "deno info");
  return JSON.parse(json).denoDir;
}

/**
 * Compiles one step and returns what deno compile printed about the files it embedded; a
 * runtime failure becomes the one-line missing-runtime error.
 */
export async function compile(deno: string, step: CompileStep, cwd: string): Promise<string> {
  const output = await new Deno.Command(deno, {
    args: step.args,
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  if (output.success) return embeddedListing(stderr);
  if (isRuntimeFailure(stderr)) {
    throw new BuildError(
      runtimeMissingLine([step.target.triple], Deno.version.deno, firstErrorLine(stderr)),
    );
  }
  throw new BuildError(
    `deno compile for ${step.target.triple} failed: ${firstErrorLine(stderr)}`,
  );
}

/**
 * Runs a binary built for this host with `--version` and checks that it prints the version (a
 * DENORT_BIN pointing at a plain `deno` yields a binary that behaves as deno, not as axway).
 */
export async function smokeTest(binary: string, version: string): Promise<void> {
  const output = await new Deno.Command(binary, {
    args: ["--version"],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(30_000),
  }).output();
  const stdout = new TextDecoder().decode(output.stdout).trim();
  if (!output.success || !stdout.split(/\s+/).includes(version)) {
    throw new BuildError(
      `${binary} --version printed "${stdout.split("\n")[0]}" (exit ${output.code}), not ` +
        `${version}: is DENORT_BIN a denort binary rather than deno?`,
    );
  }
}

/** Runs the build with command-line arguments; returns the process exit code. */
export async function main(args: readonly string[]): Promise<number> {
  const options = parseBuildArgs(args);
  if (options.help) {
    console.log(BUILD_USAGE);
    return 0;
  }
  const root = fileURLToPath(new URL("..", import.meta.url));
  const deno = Deno.execPath();
  const version: string = JSON.parse(await Deno.readTextFile(join(root, "deno.json"))).version;
  const targets = selectTargets(options, Deno.build.target);
  const distDir = resolve(options.dist ?? join(root, "dist"));
  const stageDir = join(distDir, STAGE_DIR_NAME);
  const plan = buildPlan({ version, targets, distDir, stageDir });
  const shown = (path: string) => {
    const rel = relative(Deno.cwd(), path);
    return rel === "" ? "." : rel.startsWith("..") ? path : rel;
  };

  console.log(`axway ${version}: ${targets.map((target) => target.triple).join(", ")}`);
  await Deno.mkdir(distDir, { recursive: true });
  const stage = await prepareStage({ root, dir: stageDir, deno });
  const problems = [
    ...await checkStage(stage.dir, stage.deps),
    ...await checkGraph(stage.dir, stage.deps, deno),
  ];
  if (problems.length > 0) {
    throw new BuildError(`the staging dir is not fit to compile: ${problems.join("; ")}`);
  }
  console.log(
    `staged ${shown(stage.dir)}: ${Object.keys(stage.deps.imports).join(", ")} ` +
      `(${stage.deps.packages.length} npm packages, none dev-only)`,
  );
  await runDeno(deno, ["check", "--frozen", "main.ts"], stage.dir, "type-checking the staged CLI");
  console.log("type-checked");

  const denoDir = await denoDirOf(deno);
  const probed = new Map<string, true | string>();
  const runtimes = await resolveRuntimes(plan.map((step) => step.target.triple), {
    denortBin: Deno.env.get("DENORT_BIN") || undefined,
    denoDir,
    denoVersion: Deno.version.deno,
    exists: pathExists,
    reachable: async (url) => {
      // One failed host answers for every target: do not wait out the timeout five times.
      const host = new URL(url).host;
      if (probed.get(host) !== undefined && probed.get(host) !== true) return probed.get(host)!;
      const answer = await probeUrl(url);
      probed.set(host, answer);
      return answer;
    },
  });
  for (const step of plan) {
    const source = runtimes.get(step.target.triple)!;
    const from = source.kind === "download" ? `download from ${source.url}` : source.path;
    console.log(`compiling ${step.target.triple} (denort: ${from})`);
    const embedded = await compile(deno, step, stage.dir);
    // The same files go into every binary: show them once.
    if (step === plan[0] && embedded) console.log(embedded.replace(/^/gm, "  "));
    const { size } = await Deno.stat(step.output);
    if (step.target.triple === Deno.build.target) {
      await smokeTest(step.output, version).catch(async (error) => {
        await Deno.remove(step.output);
        throw error;
      });
    }
    console.log(`  ${shown(step.output)}  ${formatSize(size)}`);
  }
  const sums = await writeChecksums(distDir, version);
  console.log(`  ${shown(join(distDir, CHECKSUMS_FILE))}  (${sums.size} artifacts of ${version})`);
  await Deno.remove(stage.dir, { recursive: true });
  return 0;
}

if (import.meta.main) {
  let code: number;
  try {
    code = await main(Deno.args);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`error: ${message.split("\n")[0]}`);
    code = 1;
  }
  Deno.exit(code);
}
