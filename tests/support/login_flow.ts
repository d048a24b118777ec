/**
 * Drives a CLI sign-in that waits for a browser: starts the CLI, captures its output as it
 * comes, and hands the test the sign-in URL it printed.
 *
 * @module
 */

import { type CliResult, type CliRunOptions, spawnCli } from "./cli.ts";

/** A CLI run in progress whose output is captured as it arrives. */
export interface RunningCli {
  /** Output so far. */
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Resolves with the first match of `pattern` in stdout+stderr (rejects after `timeoutMs`). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Writes to the CLI's stdin (only when started with `interactiveStdin`). */
  type(text: string): Promise<void>;
  /** Sends a signal. */
  kill(signal?: Deno.Signal): void;
  /** Waits for the exit and returns everything printed. */
  finish(): Promise<CliResult>;
}

/** Starts the CLI with captured output; `interactiveStdin` keeps stdin open as a pipe. */
export function startCli(
  configDir: string,
  args: string[],
  options: CliRunOptions & { interactiveStdin?: boolean } = {},
): RunningCli {
  const child = spawnCli(configDir, args, {
    ...options,
    stdin: options.interactiveStdin ? "" : options.stdin,
  });
  let out = "";
  let err = "";
  const waiters = new Set<() => void>();
  const pump = async (stream: ReadableStream<Uint8Array>, append: (text: string) => void) => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      append(chunk);
      for (const wake of waiters) wake();
    }
  };
  const pumps = Promise.all([
    pump(child.stdout, (text) => out += text),
    pump(child.stderr, (text) => err += text),
  ]);
  const writer = options.interactiveStdin ? child.stdin.getWriter() : undefined;
  if (!options.interactiveStdin && options.stdin !== undefined) {
    const w = child.stdin.getWriter();
    w.write(new TextEncoder().encode(options.stdin)).then(() => w.close());
  }
  const status = child.status;
  return {
    stdout: () => out,
    stderr: () => err,
    waitFor(pattern, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = (out + "\n" + err).match(pattern);
          if (match) {
            cleanup();
            resolve(match);
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out waiting for ${pattern}; stdout=${out} stderr=${err}`));
        }, timeoutMs);
        let exited = false;
        status.then(() => {
          exited = true;
          setTimeout(() => {
            if (!exited) return;
            check();
            if (waiters.has(check)) {
              cleanup();
              reject(
                new Error(`CLI exited before printing ${pattern}; stdout=${out} stderr=${err}`),
              );
            }
          }, 50);
        });
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    async type(text) {
      if (!writer) throw new Error("started without interactiveStdin");
      await writer.write(new TextEncoder().encode(text));
    },
    kill(signal = "SIGTERM") {
      try {
        child.kill(signal);
      } catch {
        // already gone
      }
    },
    async finish() {
      const { code } = await status;
      await pumps;
      await writer?.close().catch(() => {});
      return { code, stdout: out, stderr: err };
    },
  };
}

/** Matches the authorization URL the CLI prints. */
export const AUTHORIZATION_URL = /https?:\/\/\S+\/auth\/realms\/Broker\/\S*auth\?\S+/;
