/**
 * Entry point of the `axway` binary: wires the process context and exits. The hot commands
 * (`auth token`, `auth ls`, `auth login`) take a lean path that never loads the command framework.
 *
 * @module
 */

import { lazyImport } from "./src/lazy.ts";
import denoJson from "./deno.json" with { type: "json" };
import { processContext } from "./src/cli/context.ts";

async function run(): Promise<number> {
  const interrupt = new AbortController();
  Deno.addSignalListener("SIGINT", () => {
    // Commands that wait (browser, device code) stop on the signal and report; anything else
    // (a request in flight) is cut short here. Store writes are atomic renames, so stopping at
    // any point loses nothing.
    interrupt.abort();
    setTimeout(() => {
      const text = Deno.args.includes("--json")
        ? `${JSON.stringify({ error: { code: "CANCELLED", message: "cancelled" } })}\n`
        : "";
      Deno.stdout.writeSync(new TextEncoder().encode(text));
      Deno.stderr.writeSync(new TextEncoder().encode("error: cancelled\n"));
      Deno.exit(130);
    }, 200);
  });
  const ctx = processContext(interrupt.signal);
  const args = Deno.args;
  if (args[0] === "auth" && ["token", "ls", "list", "login"].includes(args[1])) {
    const { parseFastPath, runFastPath } = await lazyImport<
      typeof import("./src/cli/fast_path.ts")
    >(import.meta.resolve("./src/cli/fast_path.ts"));
    const fast = parseFastPath(args);
    if (fast) return await runFastPath(ctx, fast);
  }
  const { runCli } = await lazyImport<typeof import("./src/cli/main.ts")>(
    import.meta.resolve("./src/cli/main.ts"),
  );
  return await runCli(ctx, args, denoJson.version);
}

if (import.meta.main) Deno.exit(await run());
