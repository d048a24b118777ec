/**
 * Runs the CLI against a context and returns the exit code. Never throws.
 *
 * @module
 */

import { CommanderError } from "@commander-js/extra-typings";
import { CliError } from "../errors.ts";
import type { Context } from "./context.ts";
import { lazyImport } from "../lazy.ts";
import { buildProgram, commanderExitCode } from "./program.ts";

/** Parses `args` (without the program name), runs the command and returns its exit code. */
export async function runCli(ctx: Context, args: string[], version: string): Promise<number> {
  const json = args.includes("--json");
  if (args.includes("--no-color")) ctx.color = false;
  const program = buildProgram(ctx, version);
  try {
    await program.parseAsync(args, { from: "user" });
    return 0;
  } catch (error) {
    // Rendering errors is needed only now (help and --version end here too, with code 0).
    const render = async (shown: unknown, asJson: boolean) => {
      const { reportError } = await lazyImport<typeof import("./output.ts")>(
        import.meta.resolve("./output.ts"),
      );
      return reportError(ctx, shown, asJson);
    };
    if (error instanceof CommanderError) {
      const code = commanderExitCode(error);
      if (code !== 0 && json) {
        // commander already wrote its text to stderr; stdout still gets the JSON error.
        const message = error.message.replace(/^error: /, "").split("\n")[0];
        return await render(new CliError("USAGE", message), true);
      }
      return code;
    }
    return await render(error, json);
  }
}
