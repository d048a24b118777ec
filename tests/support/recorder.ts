/**
 * Records every CLI run of an integration test (arguments, stdout, stderr) and every config dir it
 * used, collects the secrets the test knows of (client secrets, passphrases, key material, and
 * every token read back from the encrypted store), and checks at the end that none of them shows
 * up in any output or in any file under the config dirs (the store key file aside).
 *
 * ```ts
 * const rec = new CliRecorder();
 * const dir = await rec.configDir();
 * rec.secret("client secret", CLIENTS.basic.clientSecret);
 * await rec.run(dir, ["auth", "login", ...]);
 * await rec.readStore(dir); // harvests tokens and stored credentials
 * await rec.assertNoSecrets();
 * await rec.cleanup();
 * ```
 *
 * @module
 */

import { type CliResult, type CliRunOptions, runCli } from "./cli.ts";
import { type RunningCli, startCli } from "./login_flow.ts";
import { AccountStore } from "../../src/store/account_store.ts";
import { KEY_FILE_NAME, type KeySourceSelection } from "../../src/store/key_source.ts";
import type { StoreDocument } from "../../src/store/types.ts";

/** One finished CLI run. */
export interface RecordedRun {
  args: readonly string[];
  result: CliResult;
  /** `auth token`: its stdout is the token, on purpose, and is not scanned. */
  printsToken: boolean;
}

/** Options of {@link CliRecorder.run}. */
export interface RecordedRunOptions extends CliRunOptions {
  /** The run is `auth token`, whose stdout may hold the access token. */
  printsToken?: boolean;
}

/** A leak found by {@link CliRecorder.findLeaks}. */
export interface Leak {
  /** What leaked (the label given with the secret). */
  secret: string;
  /** Where: "stdout of auth ls …", or a file path. */
  where: string;
}

/** The base64 body of a PEM file (header and footer lines removed), and its lines. */
export async function pemBody(path: string): Promise<{ joined: string; lines: string[] }> {
  const lines = (await Deno.readTextFile(path)).split(/\r?\n/)
    .filter((line) => line && !line.startsWith("-----") && !line.includes(":"));
  return { joined: lines.join(""), lines };
}

/** A port on 127.0.0.1 that nothing listens on (just released). */
export function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  return port;
}

/** Runs the CLI, remembers what it printed, and checks the lot for secrets at the end. */
export class CliRecorder {
  /** Every finished run, oldest first. */
  readonly runs: RecordedRun[] = [];
  /** Every config dir handed out. */
  readonly dirs: string[] = [];
  readonly #secrets = new Map<string, string>();

  /** A fresh, empty config dir (removed by {@link cleanup}). */
  async configDir(): Promise<string> {
    const dir = await Deno.makeTempDir({ prefix: "axway-cli-test-" });
    this.dirs.push(dir);
    return dir;
  }

  /** Registers a secret value that must never appear (values shorter than 8 chars are refused). */
  secret(label: string, value: string | undefined): void {
    if (value === undefined || value === "") return;
    if (value.length < 8) throw new Error(`secret "${label}" is too short to scan for reliably`);
    if (!this.#secrets.has(value)) this.#secrets.set(value, label);
  }

  /** Number of distinct secrets registered so far. */
  get secretCount(): number {
    return this.#secrets.size;
  }

  /** Runs the CLI to completion and records the run. */
  async run(dir: string, args: string[], options: RecordedRunOptions = {}): Promise<CliResult> {
    const { printsToken = false, ...runOptions } = options;
    const result = await runCli(dir, args, runOptions);
    this.runs.push({ args, result, printsToken });
    return result;
  }

  /** Starts the CLI with live output (see `startCli`); the run is recorded when it finishes. */
  start(
    dir: string,
    args: string[],
    options: CliRunOptions & { interactiveStdin?: boolean } = {},
  ): RunningCli {
    const running = startCli(dir, args, options);
    const finish = running.finish.bind(running);
    let recorded: Promise<CliResult> | undefined;
    return {
      ...running,
      waitFor: running.waitFor.bind(running),
      finish: () =>
        recorded ??= finish().then((result) => {
          this.runs.push({ args, result, printsToken: false });
          return result;
        }),
    };
  }

  /**
   * Reads the encrypted store of `dir` (key file by default) and registers every token and
   * stored credential in it as a secret.
   */
  async readStore(
    dir: string,
    keySource: KeySourceSelection = { requested: "file" },
  ): Promise<StoreDocument> {
    const doc = await new AccountStore({ configDir: dir, keySource }).read();
    for (const account of doc.accounts) {
      this.secret(`access token of ${account.name}`, account.tokens.accessToken);
      this.secret(`refresh token of ${account.name}`, account.tokens.refreshToken);
      this.secret(`stored client secret of ${account.name}`, account.credentials?.clientSecret);
      this.secret(`stored private key of ${account.name}`, account.credentials?.privateKey?.pkcs8);
    }
    return doc;
  }

  /** Changes the store of `dir` directly (as if an earlier version of the world had written it). */
  async editStore(
    dir: string,
    edit: (doc: StoreDocument) => void,
    keySource: KeySourceSelection = { requested: "file" },
  ): Promise<void> {
    await new AccountStore({ configDir: dir, keySource }).update(edit);
  }

  /** Every place a registered secret shows up. */
  async findLeaks(): Promise<Leak[]> {
    const leaks: Leak[] = [];
    const scan = (text: string, where: string) => {
      for (const [value, label] of this.#secrets) {
        if (text.includes(value)) leaks.push({ secret: label, where });
      }
    };
    for (const { args, result, printsToken } of this.runs) {
      const command = `axway ${args.join(" ")}`;
      if (!printsToken) scan(result.stdout, `stdout of ${command}`);
      scan(result.stderr, `stderr of ${command}`);
    }
    const latin1 = new TextDecoder("latin1");
    for (const dir of this.dirs) {
      for (const path of await listFiles(dir)) {
        if (path === `${dir}/${KEY_FILE_NAME}`) continue;
        scan(latin1.decode(await Deno.readFile(path)), path);
      }
    }
    return leaks;
  }

  /** Fails listing every leak (labels and places only, never the values). */
  async assertNoSecrets(): Promise<void> {
    const leaks = await this.findLeaks();
    if (leaks.length > 0) {
      throw new Error(
        `secrets leaked:\n${leaks.map((leak) => `  ${leak.secret} in ${leak.where}`).join("\n")}`,
      );
    }
  }

  /** Removes every config dir. */
  async cleanup(): Promise<void> {
    for (const dir of this.dirs.splice(0)) {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  }
}

/** Every regular file below `dir`. */
export async function listFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) files.push(...await listFiles(path));
    else if (entry.isFile) files.push(path);
  }
  return files;
}
