/**
 * The hot path of `axway auth token`, which scripts call hundreds of times: its few options are
 * recognised here without loading the command framework. Anything else (help, an unknown or
 * malformed option) returns undefined and goes through the full parser, which reports it.
 *
 * @module
 */

import type { TokenOptions } from "./commands/token.ts";

const VALUE_OPTIONS = {
  "--account": "account",
  "--env": "env",
  "--base-url": "baseUrl",
  "--realm": "realm",
  "--platform-url": "platformUrl",
} as const;

/** Parses the arguments after `auth token`, or returns undefined to defer to the full parser. */
export function parseTokenArgs(args: string[]): TokenOptions | undefined {
  const options: TokenOptions = { json: false };
  for (let index = 0; index < args.length; index++) {
    const arg = args[index];
    if (arg === "--json") options.json = true;
    else if (arg === "--no-color" || arg === "--no-banner") continue;
    else {
      const [flag, inline] = arg.includes("=") ? arg.split(/=(.*)/s, 2) : [arg, undefined];
      const key = VALUE_OPTIONS[flag as keyof typeof VALUE_OPTIONS];
      if (!key) return undefined;
      const value = inline ?? args[++index];
      if (value === undefined || (inline === undefined && value.startsWith("-"))) return undefined;
      options[key] = value;
    }
  }
  return options;
}
