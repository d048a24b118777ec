/**
 * Runs the CLI as a subprocess with exactly the compiled binary's permission list.
 *
 * @module
 */

import { fileURLToPath as fromFileUrl } from "node:url";
import { CLI_PERMISSIONS } from "../../scripts/permissions.ts";

const MAIN = fromFileUrl(new URL("../../main.ts", import.meta.url));
const CONFIG = fromFileUrl(new URL("../../deno.json", import.meta.url));

/** Result of one CLI run. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options of one CLI run. */
export interface CliRunOptions {
  /** Extra environment (merged over a clean base: PATH, HOME, the config dir). */
  env?: Record<string, string>;
  /** Text piped to stdin; stdin is closed (not a terminal) when absent. */
  stdin?: string;
  cwd?: string;
  signal?: AbortSignal;
}

/** Variables of the developer's shell that would change the CLI's behaviour in tests. */
const INHERITED = ["PATH", "HOME", "DENO_DIR", "TMPDIR", "LANG"];

/**
 * `deno run` of `module` the way the CLI runs in tests and benchmarks: `--quiet --no-prompt
 * --config=deno.json`, exactly the compiled binary's permission flags, a clean environment.
 */
export function denoRunCommand(
  module: string,
  configDir: string,
  args: string[],
  options: CliRunOptions = {},
): Deno.Command {
  // The key file keeps stderr free of the "no keychain" notice of a machine without one; tests
  // that exercise the keychain or the automatic choice set AXWAY_KEY_STORE themselves. Deno's
  // own update check would otherwise go through any proxy a test sets.
  const env: Record<string, string> = {
    NO_COLOR: "1",
    AXWAY_CONFIG_DIR: configDir,
    AXWAY_KEY_STORE: "file",
    DENO_NO_UPDATE_CHECK: "1",
  };
  for (const name of INHERITED) {
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  Object.assign(env, options.env);
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--no-prompt",
      `--config=${CONFIG}`,
      ...CLI_PERMISSIONS,
      module,
      ...args,
    ],
    env,
    clearEnv: true,
    cwd: options.cwd,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    signal: options.signal,
  });
}

/** Starts the CLI; the caller reads its output through the returned process. */
export function spawnCli(configDir: string, args: string[], options: CliRunOptions = {}) {
  return denoRunCommand(MAIN, configDir, args, options).spawn();
}

/** Runs the CLI to completion. */
export async function runCli(
  configDir: string,
  args: string[],
  options: CliRunOptions = {},
): Promise<CliResult> {
  const child = spawnCli(configDir, args, options);
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const output = await child.output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** A run's exit code and output, for assertion messages. */
export function describeRun(result: CliResult): string {
  return `exit ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`;
}

/** Fails (showing the run) unless the CLI exited with `code`. */
export function assertExit(result: CliResult, code: number): void {
  if (result.code !== code) {
    throw new Error(`expected exit ${code}, got ${describeRun(result)}`);
  }
}

/** Parses stdout as JSON; it must hold nothing else. */
export function stdoutJson<T>(result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`stdout is not JSON: ${describeRun(result)}`);
  }
}
