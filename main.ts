/**
 * Entry point of the `axway` binary: wires the process context and exits. `auth token` takes a
 * lean path that never loads the command framework.
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
    // is cut short. Store writes are atomic renames, so stopping at any point loses nothing.
    interrupt.abort();
    setTimeout(() => Deno.exit(130), 200);
  });
  const ctx = processContext(interrupt.signal);
  const args = Deno.args;
  if (args[0] === "auth" && args[1] === "token") {
    const { parseTokenArgs } = await lazyImport<typeof import("./src/cli/token_fast.ts")>(
      import.meta.resolve("./src/cli/token_fast.ts"),
    );
    const options = parseTokenArgs(args.slice(2));
    if (options) {
      const [{ runToken }, { reportError }] = await Promise.all([
        lazyImport<typeof import("./src/cli/commands/token.ts")>(
          import.meta.resolve("./src/cli/commands/token.ts"),
        ),
        lazyImport<typeof import("./src/cli/output.ts")>(
          import.meta.resolve("./src/cli/output.ts"),
        ),
      ]);
      try {
        await runToken(ctx, options);
        return 0;
      } catch (error) {
        return reportError(ctx, error, options.json);
      }
    }
  }
  const { runCli } = await lazyImport<typeof import("./src/cli/main.ts")>(
    import.meta.resolve("./src/cli/main.ts"),
  );
  return await runCli(ctx, args, denoJson.version);
}

if (import.meta.main) Deno.exit(await run());
