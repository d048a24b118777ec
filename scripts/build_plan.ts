/**
 * The build plan of `deno task build`: targets, artifact names, the exact `deno compile` argv, and
 * where the Deno runtime (`denort`) for each target comes from. Pure functions only, so the plan is
 * unit-tested without compiling anything.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { join } from "node:path";
import { permissionsFor } from "./permissions.ts";

/** A failure of the build that is reported as one line, without a stack trace. */
export class BuildError extends Error {
  /** Creates a build error whose message is the whole report. */
  constructor(message: string) {
    super(message);
    this.name = "BuildError";
  }
}

/** One platform the CLI ships a binary for. */
export interface Target {
  /** Rust target triple, as `deno compile --target` takes it. */
  readonly triple: string;
  /** OS part of the artifact name. */
  readonly os: "linux" | "macos" | "windows";
  /** Architecture part of the artifact name. */
  readonly arch: "x86_64" | "aarch64";
  /** File name suffix of the binary (`.exe` on Windows). */
  readonly suffix: string;
}

/** Every target of a full build, in build order. */
export const TARGETS: readonly Target[] = [
  { triple: "x86_64-unknown-linux-gnu", os: "linux", arch: "x86_64", suffix: "" },
  { triple: "aarch64-unknown-linux-gnu", os: "linux", arch: "aarch64", suffix: "" },
  { triple: "x86_64-apple-darwin", os: "macos", arch: "x86_64", suffix: "" },
  { triple: "aarch64-apple-darwin", os: "macos", arch: "aarch64", suffix: "" },
  { triple: "x86_64-pc-windows-msvc", os: "windows", arch: "x86_64", suffix: ".exe" },
];

/** The target with this triple, or undefined when the CLI does not ship one for it. */
export function findTarget(triple: string): Target | undefined {
  return TARGETS.find((target) => target.triple === triple);
}

/** File name of the binary for a version and target: `axway-<version>-<os>-<arch>[.exe]`. */
export function artifactName(version: string, target: Target): string {
  return `axway-${version}-${target.os}-${target.arch}${target.suffix}`;
}

/** The target whose artifact has this file name for this version, if any. */
export function targetOfArtifact(version: string, name: string): Target | undefined {
  return TARGETS.find((target) => artifactName(version, target) === name);
}

/** Command-line options of `scripts/build.ts`. */
export interface BuildOptions {
  /** Triples given with `--target` (repeatable), in the order given. */
  readonly targets: readonly string[];
  /** `--current`: build only the host's target. */
  readonly current: boolean;
  /** `--dist <dir>`: output directory (default `dist/` of the project). */
  readonly dist?: string;
  /** `--help`. */
  readonly help: boolean;
}

/** Usage text of `deno task build`. */
export const BUILD_USAGE: string = [
  "Usage: deno task build [--target <triple>]... [--current] [--dist <dir>]",
  "",
  "Compiles the CLI into dist/axway-<version>-<os>-<arch>[.exe] and writes dist/SHA256SUMS.",
  "With no option, builds every target:",
  ...TARGETS.map((target) => `  ${target.triple}`),
  "",
  "Options:",
  "  --target <triple>  build this target (repeatable)",
  "  --current          build only the host's target",
  "  --dist <dir>       output directory (default: dist)",
  "",
  "Without internet access, set DENORT_BIN to a denort binary of the same Deno version",
  "(one --target per run), or have the runtime cached by a build where the internet is reachable.",
].join("\n");

/** Arguments less a leading `--` (`deno task build -- --current` passes it on). */
export function dropSeparator(args: readonly string[]): string[] {
  return args[0] === "--" ? args.slice(1) : [...args];
}

/** Parses the arguments of `scripts/build.ts`; throws a {@link BuildError} on a bad one. */
export function parseBuildArgs(args: readonly string[]): BuildOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: dropSeparator(args),
      strict: true,
      allowPositionals: false,
      options: {
        target: { type: "string", multiple: true },
        current: { type: "boolean" },
        dist: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw new BuildError(`${(error as Error).message} (see --help)`);
  }
  const { values } = parsed;
  const targets = values.target ?? [];
  if (values.current && targets.length > 0) {
    throw new BuildError("--current and --target cannot be combined");
  }
  return {
    targets,
    current: values.current ?? false,
    dist: values.dist,
    help: values.help ?? false,
  };
}

/** The targets to build for these options; `hostTriple` is the triple of this machine. */
export function selectTargets(options: BuildOptions, hostTriple: string): Target[] {
  if (options.current) {
    const host = findTarget(hostTriple);
    if (!host) {
      throw new BuildError(
        `this host (${hostTriple}) has no axway binary target; pick one with --target`,
      );
    }
    return [host];
  }
  if (options.targets.length === 0) return [...TARGETS];
  const selected: Target[] = [];
  for (const triple of options.targets) {
    const target = findTarget(triple);
    if (!target) {
      const known = TARGETS.map((t) => t.triple).join(", ");
      throw new BuildError(`unknown target ${triple} (known: ${known})`);
    }
    if (!selected.includes(target)) selected.push(target);
  }
  return selected;
}

/** Where one compile reads from and writes to. */
export interface CompilePaths {
  /** Staging directory holding main.ts, src/, deno.json, deno.lock and node_modules. */
  readonly stageDir: string;
  /** Absolute path of the binary to write. */
  readonly output: string;
}

/**
 * The exact argv (after the `deno` executable) that compiles the CLI for one target: the frozen
 * staging lock, no prompts, exactly the target OS's permission list (`CLI_PERMISSIONS`,
 * see `permissionsFor`), type-checking on (the default).
 */
export function compileArgs(target: Target, paths: CompilePaths): string[] {
  return [
    "compile",
    "--frozen",
    "--no-prompt",
    ...permissionsFor(target.os),
    // Commands are imported with computed specifiers (src/lazy.ts), which the compiler cannot
    // follow: include the whole CLI source tree.
    "--include",
    join(paths.stageDir, "src"),
    "--config",
    join(paths.stageDir, "deno.json"),
    "--target",
    target.triple,
    "--output",
    paths.output,
    join(paths.stageDir, "main.ts"),
  ];
}

/** One `deno compile` of the plan. */
export interface CompileStep {
  /** What is built. */
  readonly target: Target;
  /** Artifact file name. */
  readonly artifact: string;
  /** Absolute output path. */
  readonly output: string;
  /** Argv after the `deno` executable. */
  readonly args: string[];
}

/** Inputs of {@link buildPlan}. */
export interface PlanInput {
  /** Version from deno.json. */
  readonly version: string;
  /** Targets to build. */
  readonly targets: readonly Target[];
  /** Output directory (absolute). */
  readonly distDir: string;
  /** Staging directory (absolute). */
  readonly stageDir: string;
}

/** One compile step per target, with output names and argv. */
export function buildPlan(input: PlanInput): CompileStep[] {
  return input.targets.map((target) => {
    const artifact = artifactName(input.version, target);
    const output = join(input.distDir, artifact);
    return {
      target,
      artifact,
      output,
      args: compileArgs(target, { stageDir: input.stageDir, output }),
    };
  });
}

/** Download URL of the denort archive that `deno compile` fetches for a target. */
export function denortUrl(denoVersion: string, triple: string): string {
  return `https://dl.deno.land/release/v${denoVersion}/denort-${triple}.zip`;
}

/** Where `deno compile` caches the denort archive for a target inside DENO_DIR. */
export function denortCachePath(denoDir: string, denoVersion: string, triple: string): string {
  return join(denoDir, "dl", "release", `v${denoVersion}`, `denort-${triple}.zip`);
}

/** Where the runtime of one compile comes from. */
export type RuntimeSource =
  | { readonly kind: "env"; readonly path: string }
  | { readonly kind: "cache"; readonly path: string }
  | { readonly kind: "download"; readonly url: string };

/** What {@link resolveRuntimes} needs to know about the machine. */
export interface RuntimeProbe {
  /** DENORT_BIN, when set and not empty. */
  readonly denortBin?: string;
  /** DENO_DIR of the deno that compiles. */
  readonly denoDir: string;
  /** Version of the deno that compiles (denort must match it). */
  readonly denoVersion: string;
  /** Whether a file exists. */
  readonly exists: (path: string) => Promise<boolean>;
  /** Whether a URL answers (a short timeout is the caller's job); the reason when it does not. */
  readonly reachable: (url: string) => Promise<true | string>;
}

/** The one line telling for which targets the runtime is missing and how to provide it. */
export function runtimeMissingLine(
  triples: readonly string[],
  denoVersion: string,
  reason: string,
): string {
  const one = triples.length === 1 ? triples[0] : "one target";
  const alone = triples.length === 1 ? triples[0] : "<triple>";
  return `the Deno runtime (denort ${denoVersion}) for ${triples.join(", ")} is missing: ` +
    `${reason}. Run the build where the internet is reachable, or set DENORT_BIN to a denort ` +
    `binary of Deno ${denoVersion} for ${one} and build that target alone (--target ${alone}).`;
}

/**
 * Finds the runtime `deno compile` will use for each target: DENORT_BIN, else the DENO_DIR
 * cache, else a download that must be reachable. Checks every target before any compile runs,
 * and throws one {@link BuildError} line naming all the targets whose runtime cannot be had.
 */
export async function resolveRuntimes(
  triples: readonly string[],
  probe: RuntimeProbe,
): Promise<Map<string, RuntimeSource>> {
  const sources = new Map<string, RuntimeSource>();
  if (probe.denortBin) {
    if (triples.length > 1) {
      throw new BuildError(
        `DENORT_BIN is set, and deno compile uses it for every target: build one target per ` +
          `run (--target <triple>) with the denort binary of Deno ${probe.denoVersion} for it`,
      );
    }
    if (!(await probe.exists(probe.denortBin))) {
      throw new BuildError(
        runtimeMissingLine(
          triples,
          probe.denoVersion,
          `DENORT_BIN=${probe.denortBin} does not exist`,
        ),
      );
    }
    for (const triple of triples) sources.set(triple, { kind: "env", path: probe.denortBin });
    return sources;
  }
  const missing: string[] = [];
  let reason = "";
  for (const triple of triples) {
    const cached = denortCachePath(probe.denoDir, probe.denoVersion, triple);
    if (await probe.exists(cached)) {
      sources.set(triple, { kind: "cache", path: cached });
      continue;
    }
    const url = denortUrl(probe.denoVersion, triple);
    const answer = await probe.reachable(url);
    if (answer === true) {
      sources.set(triple, { kind: "download", url });
      continue;
    }
    missing.push(triple);
    reason ||= `not cached in ${probe.denoDir}, and ${
      new URL(url).host
    } cannot be reached (${answer})`;
  }
  if (missing.length > 0) {
    throw new BuildError(runtimeMissingLine(missing, probe.denoVersion, reason));
  }
  return sources;
}

/** Removes ANSI colour codes from a tool's output. */
export function stripAnsi(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, "");
}

/** Whether `deno compile` failed because it could not get its runtime (download or DENORT_BIN). */
export function isRuntimeFailure(stderr: string): boolean {
  const text = stripAnsi(stderr);
  return /Setting up base binary|Could not find denort|dl\.deno\.land|denort-[\w-]+\.zip/.test(
    text,
  );
}

/**
 * The gist of a failed deno subcommand's output, on one line: its first type error with the
 * location, else its first `error:` line, else its last non-empty line.
 */
export function firstErrorLine(stderr: string): string {
  const lines = stripAnsi(stderr).split("\n").map((line) => line.trim()).filter(Boolean);
  const diagnostic = lines.findIndex((line) => /^TS\d+ \[ERROR\]/.test(line));
  if (diagnostic >= 0) {
    const at = lines.slice(diagnostic).find((line) => line.startsWith("at "));
    return at ? `${lines[diagnostic]} (${at})` : lines[diagnostic];
  }
  const error = lines.find((line) => line.startsWith("error:"));
  return (error ?? lines.at(-1) ?? "no output").replace(/^error:\s*/, "");
}

/**
 * The "Embedded Files" report of a successful `deno compile` (the tree of what the binary
 * holds, and its totals), without colours; empty when there is none.
 */
export function embeddedListing(stderr: string): string {
  const lines = stripAnsi(stderr).split("\n").map((line) => line.trimEnd());
  const start = lines.findIndex((line) => line.trim() === "Embedded Files");
  if (start < 0) return "";
  return lines.slice(start).filter((line) => line !== "").join("\n");
}

/** A byte count for people: `78.4 MiB`. */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
