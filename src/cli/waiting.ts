/**
 * What the terminal shows while a sign-in waits for the browser: the URL (always printed, so it
 * can be opened by hand), a spinner on a terminal, and — when stdin is a terminal — a place to
 * paste the redirect URL from a browser on another machine.
 *
 * @module
 */

import { lazyImport } from "../lazy.ts";
import type { Context } from "./context.ts";
import { writeLine } from "./output.ts";

/** The waiting display of one sign-in. */
export interface Waiting {
  /** Lines pasted on an interactive stdin; undefined when stdin is not a terminal. */
  pastedLines?: AsyncIterable<string>;
  /** Says a pasted line was refused. */
  rejected(message: string): void;
  /** Prints the URL and opens the browser unless told not to; `purpose` completes "Open … to". */
  showUrl(
    url: string,
    launchBrowser: boolean,
    deviceFlowAvailable: boolean,
    purpose?: string,
  ): Promise<void>;
  /** Clears the spinner and stops reading stdin. */
  stop(): void;
}

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/** Starts the waiting display; messages go to stderr in JSON mode, stdout otherwise. */
export function startWaiting(ctx: Context, json: boolean): Waiting {
  const out = json ? ctx.stderr : ctx.stdout;
  const interactive = ctx.stdin.isTerminal;
  let spinner: ReturnType<typeof setInterval> | undefined;
  let reader: ReadableStreamDefaultReader<string> | undefined;

  const startSpinner = () => {
    if (!ctx.stderr.isTerminal) return;
    let frame = 0;
    const hint = "Waiting for the sign-in to finish… (Ctrl-C to cancel)";
    // The status line sits above the cursor, so text pasted on the cursor's line stays intact.
    ctx.stderr.write(`${FRAMES[0]} ${hint}\n`);
    spinner = setInterval(() => {
      frame = (frame + 1) % FRAMES.length;
      ctx.stderr.write(`\x1b7\x1b[1A\r${FRAMES[frame]} ${hint}\x1b[K\x1b8`);
    }, 120);
  };

  return {
    pastedLines: interactive ? pastedLines(ctx, (r) => reader = r) : undefined,
    rejected(message) {
      writeLine(ctx.stderr, message);
    },
    async showUrl(url, launchBrowser, deviceFlowAvailable, purpose = "sign in") {
      if (launchBrowser) {
        const { canOpenBrowser } = await lazyImport<typeof import("../auth/browser.ts")>(
          import.meta.resolve("../auth/browser.ts"),
        );
        let problem: string | undefined;
        if (!canOpenBrowser(ctx)) problem = "no graphical session was found";
        else {
          try {
            await ctx.openBrowser(url);
          } catch (error) {
            problem = error instanceof Error ? error.message : String(error);
          }
        }
        if (problem) {
          writeLine(out, `Could not open a browser (${problem}). Open this URL to ${purpose}:`);
        } else {
          writeLine(out, `Opened your browser to ${purpose}. If it did not open, visit:`);
        }
        writeLine(out, `  ${url}`);
        if (problem && deviceFlowAvailable) {
          writeLine(out, "No browser on this machine? Run: axway auth login --device");
        }
      } else {
        writeLine(out, `Open this URL in a browser to ${purpose}:`);
        writeLine(out, `  ${url}`);
      }
      if (interactive) {
        writeLine(
          out,
          "If the browser runs on another machine, paste here the address it was sent to after signing in.",
        );
      }
      startSpinner();
    },
    stop() {
      if (spinner !== undefined) {
        clearInterval(spinner);
        ctx.stderr.write("\x1b7\x1b[1A\r\x1b[K\x1b8");
      }
      reader?.cancel().catch(() => {});
    },
  };
}

async function* pastedLines(
  ctx: Context,
  keep: (reader: ReadableStreamDefaultReader<string>) => void,
): AsyncIterable<string> {
  const reader = ctx.stdin.readable().pipeThrough(new TextDecoderStream()).getReader();
  keep(reader);
  let buffer = "";
  while (true) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let newline: number;
    while ((newline = buffer.indexOf("\n")) >= 0) {
      yield buffer.slice(0, newline).replace(/\r$/, "");
      buffer = buffer.slice(newline + 1);
    }
  }
}
