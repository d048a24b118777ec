/**
 * Spawning helper processes from the store tests.
 *
 * @module
 */

/** A running helper: its process, stdin writer and a way to wait for a stdout line. */
export interface Helper {
  child: Deno.ChildProcess;
  stdin: WritableStreamDefaultWriter<Uint8Array>;
  /** Resolves once `line` has been printed; rejects after `timeoutMs`. */
  waitFor(line: string, timeoutMs?: number): Promise<void>;
  /** Whether `line` has been printed so far. */
  printed(line: string): boolean;
}

/** Runs `deno run --allow-all <script> ...args` with piped stdio. */
export function spawnHelper(script: string, args: string[]): Helper {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", new URL(script, import.meta.url).pathname, ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines: string[] = [];
  const waiters: { line: string; resolve: () => void }[] = [];
  (async () => {
    let buffer = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      buffer += chunk;
      let index;
      while ((index = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, index).trim();
        buffer = buffer.slice(index + 1);
        lines.push(line);
        for (const waiter of waiters.filter((w) => w.line === line)) waiter.resolve();
      }
    }
  })();
  return {
    child,
    stdin: child.stdin.getWriter(),
    printed: (line) => lines.includes(line),
    waitFor(line, timeoutMs = 10_000) {
      if (lines.includes(line)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`timed out waiting for "${line}"`)),
          timeoutMs,
        );
        waiters.push({
          line,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
  };
}

/** Resolves after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
