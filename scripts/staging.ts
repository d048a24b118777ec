/**
 * The staging directory that `deno compile` builds from. With `"nodeModulesDir": "auto"`, a
 * compiled binary embeds the whole `node_modules` of its project, dev packages included
 * (oidc-provider, playwright-core, yaml…). So the build copies `main.ts` and `src/` into a
 * directory of its own whose `deno.json` maps only the packages that the CLI's code imports,
 * with a `deno.lock` pruned from the project's, installs it offline from the npm cache
 * (`deno install --frozen`), and checks what that directory then holds.
 *
 * @module
 */

import { dirname, join, relative, resolve, sep } from "node:path";
import { BuildError, firstErrorLine } from "./build_plan.ts";

/** One npm package entry of a `deno.lock` (version 5). */
export interface LockNpmEntry {
  /** Subresource integrity of the tarball. */
  integrity?: string;
  /** Dependencies: `name` or `name@version` keys of the same lock. */
  dependencies?: string[];
  /** Optional dependencies, same form. */
  optionalDependencies?: string[];
  /** Optional peers, same form. */
  optionalPeers?: string[];
  /** Other fields (`bin`, `os`, `cpu`, `scripts`…), kept as they are. */
  [field: string]: unknown;
}

/** The parts of a `deno.lock` (version 5) that staging reads and writes. */
export interface DenoLock {
  /** Lock format version. */
  version: string;
  /** Import specifier (`npm:x@1`) to resolved version (`1.2.3` or `1.2.3_peer@4`). */
  specifiers?: Record<string, string>;
  /** Resolved npm packages by `name@version[_peers]`. */
  npm?: Record<string, LockNpmEntry>;
  /** Workspace section: the specifiers of the config's imports. */
  workspace?: { dependencies?: string[]; [field: string]: unknown };
  /** Other sections (`jsr`, `remote`, `redirects`). */
  [section: string]: unknown;
}

/** Files that are tests or benchmarks (never copied into the staging directory). */
export function isTestFile(name: string): boolean {
  return /(?:^|[._-])(?:test|tests|bench)\.[cm]?[jt]sx?$/.test(name);
}

/** Directory names that hold tests (never part of the staging directory). */
export const TEST_DIRS: readonly string[] = ["tests", "test", "__tests__", "testdata"];

/**
 * Source text with comments blanked (newlines kept) and string literals kept, so that import
 * statements can be found with line-anchored patterns.
 */
export function stripComments(source: string): string {
  let out = "";
  let i = 0;
  while (i < source.length) {
    const char = source[i];
    const next = source[i + 1];
    if (char === "/" && next === "/") {
      while (i < source.length && source[i] !== "\n") i++;
      continue;
    }
    if (char === "/" && next === "*") {
      const end = source.indexOf("*/", i + 2);
      const stop = end < 0 ? source.length : end + 2;
      out += source.slice(i, stop).replace(/[^\n]/g, " ");
      i = stop;
      continue;
    }
    if (char === '"' || char === "'" || char === "`") {
      let j = i + 1;
      while (j < source.length && source[j] !== char) {
        if (source[j] === "\\") j++;
        else if (char !== "`" && source[j] === "\n") break;
        j++;
      }
      out += source.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    out += char;
    i++;
  }
  return out;
}

/** Module specifiers of a source file: static imports and re-exports, side-effect and dynamic imports with a literal. */
export function importedSpecifiers(source: string): string[] {
  const code = stripComments(source);
  const found: string[] = [];
  const patterns = [
    /^\s*(?:import|export)\b[^;'"`]*?\bfrom\s*(["'])([^"'\n]+)\1/gm,
    /^\s*import\s*(["'])([^"'\n]+)\1/gm,
    /\bimport\s*\(\s*(["'])([^"'\n]+)\1\s*[,)]/g,
  ];
  for (const pattern of patterns) {
    for (const match of code.matchAll(pattern)) found.push(match[2]);
  }
  return [...new Set(found)];
}

/** Whether a specifier is bare (`commander`, `@scope/pkg/sub`), i.e. resolved by the import map. */
export function isBareSpecifier(specifier: string): boolean {
  if (/^\.{0,2}\//.test(specifier)) return false;
  return !/^[a-z][a-z0-9+.-]*:/i.test(specifier);
}

/** Yields the files under a directory (recursively, symlinks not followed), with paths relative to it. */
export async function* walkFiles(dir: string, rel = ""): AsyncGenerator<string> {
  const entries: Deno.DirEntry[] = [];
  for await (const entry of Deno.readDir(join(dir, rel))) entries.push(entry);
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    const path = rel === "" ? entry.name : join(rel, entry.name);
    if (entry.isDirectory) yield* walkFiles(dir, path);
    else yield path;
  }
}

/** Paths (relative to the project) of the CLI's files: `main.ts` and `src/` less tests. */
export async function sourceFiles(root: string): Promise<string[]> {
  const files = ["main.ts"];
  for await (const path of walkFiles(join(root, "src"))) {
    const parts = path.split(sep);
    if (isTestFile(parts.at(-1)!) || parts.some((part) => TEST_DIRS.includes(part))) continue;
    files.push(join("src", path));
  }
  return files;
}

/** Bare specifiers imported by the CLI's source files, each with the first file importing it. */
export async function scanBareSpecifiers(root: string): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const file of await sourceFiles(root)) {
    if (!/\.[cm]?[jt]sx?$/.test(file)) continue;
    const source = await Deno.readTextFile(join(root, file));
    for (const specifier of importedSpecifiers(source)) {
      if (/^(?:npm|jsr|https?):/.test(specifier)) {
        throw new BuildError(
          `${file} imports ${specifier} directly: map it in deno.json "imports" instead`,
        );
      }
      if (isBareSpecifier(specifier) && !found.has(specifier)) found.set(specifier, file);
    }
  }
  return found;
}

/** The import-map key that resolves a bare specifier (exact, or a package prefix). */
export function importKeyFor(
  specifier: string,
  imports: Readonly<Record<string, string>>,
): string | undefined {
  if (specifier in imports) return specifier;
  return Object.keys(imports)
    .filter((key) =>
      key.endsWith("/") ? specifier.startsWith(key) : specifier.startsWith(`${key}/`)
    )
    .sort((a, b) => b.length - a.length)[0];
}

/** Name and version of a lock key or `node_modules/.deno` entry (`@a/b@1.2.3_peer@4`). */
export function packageId(key: string): { name: string; version: string } {
  const at = key.indexOf("@", 1);
  if (at < 0) return { name: key, version: "" };
  return { name: key.slice(0, at), version: key.slice(at + 1).split("_")[0] };
}

/** The package name of an `npm:` specifier (`npm:@a/b@^1/sub` → `@a/b`). */
export function npmName(specifier: string): string {
  const rest = specifier.slice("npm:".length).replace(/^\//, "");
  const match = /^(@[^/@]+\/[^/@]+|[^/@]+)/.exec(rest);
  if (!match) throw new BuildError(`cannot read the package name of ${specifier}`);
  return match[1];
}

/** The CLI's runtime dependencies, worked out from its imports and the project's lock. */
export interface RuntimeDeps {
  /** Import map of the staging `deno.json`: the project's entries the CLI needs. */
  readonly imports: Record<string, string>;
  /** Lock keys of every npm package the CLI needs (transitively), sorted. */
  readonly lockKeys: string[];
  /** `name@version` of those packages, sorted. */
  readonly packages: string[];
  /** `name@version` of the project's other (dev-only) packages, sorted. */
  readonly devPackages: string[];
}

function lockKeyOf(value: string, lock: DenoLock): string {
  const resolved = lock.specifiers?.[value];
  if (resolved === undefined) {
    throw new BuildError(`deno.lock has no entry for ${value}: run deno install`);
  }
  return `${npmName(value)}@${resolved}`;
}

function resolveDependency(dep: string, npm: Record<string, LockNpmEntry>): string[] {
  if (dep in npm) return [dep];
  const byPrefix = Object.keys(npm).filter((key) => key.startsWith(`${dep}_`));
  if (byPrefix.length > 0) return byPrefix;
  return Object.keys(npm).filter((key) => packageId(key).name === dep);
}

/**
 * Selects the import-map entries the CLI needs: those its source imports, plus entries of
 * packages they depend on (peer dependencies such as commander for its typings), and the closure
 * of npm packages in the lock.
 */
export function runtimeDeps(
  imports: Readonly<Record<string, string>>,
  specifiers: ReadonlyMap<string, string>,
  lock: DenoLock,
): RuntimeDeps {
  const selected: Record<string, string> = {};
  for (const [specifier, file] of specifiers) {
    const key = importKeyFor(specifier, imports);
    if (key === undefined) {
      throw new BuildError(
        `${file} imports "${specifier}", which deno.json "imports" does not map`,
      );
    }
    selected[key] = imports[key];
  }
  const npm = lock.npm ?? {};
  const closure = new Set<string>();
  const visit = (key: string) => {
    if (closure.has(key)) return;
    const entry = npm[key];
    if (!entry) throw new BuildError(`deno.lock lists no npm package ${key}: run deno install`);
    closure.add(key);
    const deps = [
      ...(entry.dependencies ?? []),
      ...(entry.optionalDependencies ?? []),
      ...(entry.optionalPeers ?? []),
    ];
    for (const dep of deps) for (const found of resolveDependency(dep, npm)) visit(found);
  };
  for (const value of Object.values(selected)) {
    if (value.startsWith("npm:")) visit(lockKeyOf(value, lock));
    else if (isBareSpecifier(value) || /^(?:jsr|https?):/.test(value)) {
      throw new BuildError(`only npm: and local imports can be staged, not ${value}`);
    }
  }
  for (const [key, value] of Object.entries(imports)) {
    if (key in selected || !value.startsWith("npm:")) continue;
    if (lock.specifiers?.[value] !== undefined && closure.has(lockKeyOf(value, lock))) {
      selected[key] = value;
    }
  }
  const ordered: Record<string, string> = {};
  for (const key of Object.keys(imports)) if (key in selected) ordered[key] = selected[key];
  const id = (key: string) => {
    const { name, version } = packageId(key);
    return `${name}@${version}`;
  };
  const lockKeys = [...closure].sort();
  const packages = [...new Set(lockKeys.map(id))].sort();
  const devPackages = [
    ...new Set(Object.keys(npm).filter((key) => !closure.has(key)).map(id)),
  ].filter((pkg) => !packages.includes(pkg)).sort();
  return { imports: ordered, lockKeys, packages, devPackages };
}

/** The project's lock cut down to the staged imports and their packages. */
export function pruneLock(
  lock: DenoLock,
  imports: Readonly<Record<string, string>>,
  lockKeys: readonly string[],
): DenoLock {
  const values = new Set(Object.values(imports));
  const keep = new Set(lockKeys);
  const specifiers = Object.fromEntries(
    Object.entries(lock.specifiers ?? {}).filter(([value]) => values.has(value)),
  );
  const npm = Object.fromEntries(Object.entries(lock.npm ?? {}).filter(([key]) => keep.has(key)));
  const dependencies = [...values].filter((value) => value.startsWith("npm:")).sort();
  return { version: lock.version, specifiers, npm, workspace: { dependencies } };
}

/** A prepared staging directory. */
export interface Stage {
  /** Absolute path of the staging directory. */
  readonly dir: string;
  /** Version written into its deno.json. */
  readonly version: string;
  /** What it maps and installs. */
  readonly deps: RuntimeDeps;
}

/** Options of {@link prepareStage}. */
export interface StageOptions {
  /** Project root (holds deno.json, deno.lock, main.ts, src/). */
  readonly root: string;
  /** Staging directory; emptied first. */
  readonly dir: string;
  /** The deno executable (default: the running one). */
  readonly deno?: string;
  /** Extra environment for `deno install` (tests point proxies at nothing to prove it is offline). */
  readonly env?: Record<string, string>;
}

/** Runs deno with arguments in a directory; throws a one-line {@link BuildError} on failure. */
export async function runDeno(
  deno: string,
  args: string[],
  cwd: string,
  what: string,
  env?: Record<string, string>,
): Promise<string> {
  const output = await new Deno.Command(deno, {
    args,
    cwd,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  if (!output.success) {
    const stderr = new TextDecoder().decode(output.stderr);
    throw new BuildError(`${what} failed: ${firstErrorLine(stderr || stdout)}`);
  }
  return stdout;
}

/**
 * Prepares the staging directory: copies `main.ts` and `src/` (less tests), writes a deno.json
 * with the project's version and only the runtime imports, a pruned deno.lock, and runs
 * `deno install --frozen` there (offline: the packages come from the npm cache).
 */
export async function prepareStage(options: StageOptions): Promise<Stage> {
  const root = resolve(options.root);
  const dir = resolve(options.dir);
  const deno = options.deno ?? Deno.execPath();
  const config = JSON.parse(await Deno.readTextFile(join(root, "deno.json")));
  const lock: DenoLock = JSON.parse(await Deno.readTextFile(join(root, "deno.lock")));
  if (typeof config.version !== "string") throw new BuildError("deno.json has no version");
  const deps = runtimeDeps(config.imports ?? {}, await scanBareSpecifiers(root), lock);

  await Deno.remove(dir, { recursive: true }).catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  });
  await Deno.mkdir(dir, { recursive: true });
  for (const file of await sourceFiles(root)) {
    await Deno.mkdir(dirname(join(dir, file)), { recursive: true });
    await Deno.copyFile(join(root, file), join(dir, file));
  }
  const stageConfig: Record<string, unknown> = { version: config.version };
  if (config.compilerOptions) stageConfig.compilerOptions = config.compilerOptions;
  stageConfig.nodeModulesDir = "auto";
  stageConfig.imports = deps.imports;
  await Deno.writeTextFile(join(dir, "deno.json"), JSON.stringify(stageConfig, null, 2) + "\n");
  const staged = pruneLock(lock, deps.imports, deps.lockKeys);
  await Deno.writeTextFile(join(dir, "deno.lock"), JSON.stringify(staged, null, 2) + "\n");
  await runDeno(deno, ["install", "--frozen"], dir, "deno install in the staging dir", options.env);
  return { dir, version: config.version, deps };
}

/** What {@link checkStage} allows. */
export interface StageAllowance {
  /** `name@version` of the runtime packages. */
  readonly packages: readonly string[];
  /** `name@version` of the project's dev-only packages (named in problems when found). */
  readonly devPackages?: readonly string[];
}

/** Top-level entries a staging directory may hold. */
export const STAGE_ENTRIES: readonly string[] = [
  "main.ts",
  "deno.json",
  "deno.lock",
  "src",
  "node_modules",
];

async function entries(dir: string): Promise<Deno.DirEntry[]> {
  const found: Deno.DirEntry[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) found.push(entry);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return found.sort((a, b) => a.name.localeCompare(b.name));
}

async function packageNamesIn(dir: string): Promise<string[]> {
  const names: string[] = [];
  for (const entry of await entries(dir)) {
    if (entry.name.startsWith(".")) continue;
    if (entry.name.startsWith("@") && entry.isDirectory) {
      for (const inner of await entries(join(dir, entry.name))) {
        names.push(`${entry.name}/${inner.name}`);
      }
    } else names.push(entry.name);
  }
  return names;
}

/**
 * Inspects a staging directory on disk and returns its problems (empty when it is fit to
 * compile): anything besides main.ts, deno.json, deno.lock, src/ and node_modules/; test files
 * or test directories; npm packages that are not runtime dependencies (dev-only ones named as
 * such); symlinks leading out of its node_modules.
 */
export async function checkStage(dir: string, allow: StageAllowance): Promise<string[]> {
  const problems: string[] = [];
  const allowed = new Set(allow.packages);
  const dev = new Set(allow.devPackages ?? []);
  const allowedNames = new Set(allow.packages.map((pkg) => packageId(pkg).name));
  const devNames = new Set([...dev].map((pkg) => packageId(pkg).name));

  const top = await entries(dir);
  if (top.length === 0) return [`the staging dir ${dir} is empty or missing`];
  for (const entry of top) {
    if (!STAGE_ENTRIES.includes(entry.name)) problems.push(`unexpected ${entry.name} in staging`);
  }
  for (const entry of top) {
    if (entry.name === "node_modules" || !entry.isDirectory) {
      if (isTestFile(entry.name)) problems.push(`test file ${entry.name} in staging`);
      continue;
    }
    if (TEST_DIRS.includes(entry.name)) continue; // already reported as unexpected
    for await (const path of walkFiles(join(dir, entry.name))) {
      const parts = join(entry.name, path).split(sep);
      if (parts.some((part) => TEST_DIRS.includes(part)) || isTestFile(parts.at(-1)!)) {
        problems.push(`test file ${parts.join("/")} in staging`);
      }
    }
  }

  const modules = join(dir, "node_modules");
  if (!top.some((entry) => entry.name === "node_modules")) {
    problems.push("no node_modules in staging (deno install did not run)");
    return problems;
  }
  const describe = (name: string, version?: string) => {
    const label = version ? `${name}@${version}` : name;
    return devNames.has(name) || dev.has(label)
      ? `dev-only package ${label} in staging node_modules`
      : `package ${label} in staging node_modules is not a runtime dependency`;
  };
  for (const entry of await entries(join(modules, ".deno"))) {
    if (entry.name.startsWith(".") || entry.name === "node_modules" || !entry.isDirectory) continue;
    const { name, version } = packageId(entry.name.replace("+", "/"));
    if (!allowed.has(`${name}@${version}`)) problems.push(describe(name, version));
  }
  const linked = [
    ...await packageNamesIn(modules),
    ...await packageNamesIn(join(modules, ".deno", "node_modules")),
  ];
  for (const name of new Set(linked)) {
    if (!allowedNames.has(name)) problems.push(describe(name));
  }
  const realModules = await Deno.realPath(modules);
  for await (const path of walkFiles(modules)) {
    const full = join(modules, path);
    if (!(await Deno.lstat(full)).isSymlink) continue;
    const target = await Deno.realPath(full).catch(() => undefined);
    if (target === undefined) continue;
    const inside = relative(realModules, target);
    if (inside.startsWith("..") || resolve(realModules, inside) !== target) {
      problems.push(`node_modules/${path} links out of staging to ${target}`);
    }
  }
  return [...new Set(problems)];
}

/**
 * Checks the module graph of the staged `main.ts` (`deno info --json`): every local module lies
 * inside the staging directory and outside test directories, and every npm package is allowed.
 */
export async function checkGraph(
  dir: string,
  allow: StageAllowance,
  deno: string = Deno.execPath(),
): Promise<string[]> {
  const json = await runDeno(deno, ["info", "--json", "main.ts"], dir, "deno info in staging");
  const graph = JSON.parse(json) as {
    modules: { specifier: string; local?: string }[];
    npmPackages?: Record<string, { name: string; version: string }>;
  };
  const problems: string[] = [];
  const base = await Deno.realPath(dir);
  for (const module of graph.modules) {
    if (!module.specifier.startsWith("file:")) continue;
    const path = module.local ?? new URL(module.specifier).pathname;
    const rel = relative(base, path);
    if (rel.startsWith("..") || rel.split(sep).some((part) => TEST_DIRS.includes(part))) {
      problems.push(`module ${module.specifier} is outside the staged sources`);
    }
  }
  const allowed = new Set(allow.packages);
  for (const pkg of Object.values(graph.npmPackages ?? {})) {
    const id = `${pkg.name}@${pkg.version}`;
    if (!allowed.has(id)) problems.push(`module graph uses ${id}, not a runtime dependency`);
  }
  return problems;
}
