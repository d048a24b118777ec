/**
 * Entry point of the `axway` binary: wires the process context and exits.
 *
 * @module
 */

import denoJson from "./deno.json" with { type: "json" };
import { processContext } from "./src/cli/context.ts";
import { runCli } from "./src/cli/main.ts";

if (import.meta.main) {
  const interrupt = new AbortController();
  Deno.addSignalListener("SIGINT", () => {
    // Commands that wait (browser, device code) stop on the signal and report; anything else
    // is cut short. Store writes are atomic renames, so stopping at any point loses nothing.
    interrupt.abort();
    setTimeout(() => Deno.exit(130), 200);
  });
  const ctx = processContext(interrupt.signal);
  const code = await runCli(ctx, Deno.args, denoJson.version);
  Deno.exit(code);
}
