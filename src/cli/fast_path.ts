/**
 * The hot commands — `auth token`, which scripts call hundreds of times, and `auth ls` — run
 * without loading the command framework: their few options are recognised here. Anything else
 * (help, an unknown or malformed option) returns undefined and goes through the full parser,
 * which reports it.
 *
 * @module
 */

import { lazyImport } from "../lazy.ts";
import type { ListOptions } from "./commands/list.ts";
import type { TokenOptions } from "./commands/token.ts";
import type { Context } from "./context.ts";

/** `auth` subcommands that have a fast path. */
export const FAST_COMMANDS: ReadonlySet<string> = new Set(["token", "ls", "list"]);

const ENVIRONMENT_OPTIONS = {
  "--env": "env",
  "--base-url": "baseUrl",
  "--realm": "realm",
  "--platform-url": "platformUrl",
} as const;

const VALUE_OPTIONS = {
  token: { ...ENVIRONMENT_OPTIONS, "--account": "account" },
  list: ENVIRONMENT_OPTIONS,
} as const;

/** A hot command with its options. */
export type FastCommand =
  | { command: "token"; options: TokenOptions; color: boolean }
  | { command: "list"; options: ListOptions; color: boolean };

/** Parses `auth token|ls|list …`, or returns undefined to defer to the full parser. */
export function parseFastPath(args: string[]): FastCommand | undefined {
  if (args[0] !== "auth" || !FAST_COMMANDS.has(args[1])) return undefined;
  const command = args[1] === "token" ? "token" : "list";
  const values: Record<string, string | undefined> = VALUE_OPTIONS[command];
  const options: TokenOptions & ListOptions = { json: false };
  let color = true;
  const rest = args.slice(2);
  for (let index = 0; index < rest.length; index++) {
    const arg = rest[index];
    if (arg === "--json") options.json = true;
    else if (arg === "--no-color") color = false;
    else if (arg === "--no-banner") continue;
    else {
      const [flag, inline] = arg.includes("=") ? arg.split(/=(.*)/s, 2) : [arg, undefined];
      const key = values[flag];
      if (!key) return undefined;
      const value = inline ?? rest[++index];
      if (value === undefined || (inline === undefined && value.startsWith("-"))) return undefined;
      options[key as "account" | "env" | "baseUrl" | "realm" | "platformUrl"] = value;
    }
  }
  return { command, options, color };
}

/** Runs a hot command; returns the exit code. */
export async function runFastPath(ctx: Context, fast: FastCommand): Promise<number> {
  if (!fast.color) ctx.color = false;
  const { reportError } = await lazyImport<typeof import("./output.ts")>(
    import.meta.resolve("./output.ts"),
  );
  try {
    if (fast.command === "token") {
      const { runToken } = await lazyImport<typeof import("./commands/token.ts")>(
        import.meta.resolve("./commands/token.ts"),
      );
      await runToken(ctx, fast.options);
    } else {
      const { runList } = await lazyImport<typeof import("./commands/list.ts")>(
        import.meta.resolve("./commands/list.ts"),
      );
      await runList(ctx, fast.options);
    }
    return 0;
  } catch (error) {
    return reportError(ctx, error, fast.options.json);
  }
}
