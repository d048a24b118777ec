/**
 * `axway completion <shell>` prints a completion script generated from the command tree, and the
 * hidden `axway __complete accounts -- <words>` the scripts call back for account names: read
 * from the store only (no network), for the environment the words (or the environment variables
 * and settings) select. The callback prints nothing and succeeds on any error, so a locked or
 * unreadable store never disturbs the shell.
 *
 * @module
 */

import { lazyImport } from "../../lazy.ts";
import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import { usageError } from "../../errors.ts";
import { environmentAccounts } from "../accounts.ts";
import type { Context } from "../context.ts";
import { commandEnvironment, type EnvironmentFlags } from "../environment.ts";

/** Options of `completion`. */
export interface CompletionOptions {
  shell: string;
  /** The program whose command tree the script completes. */
  program: CommandUnknownOpts;
}

/** Options of the hidden `__complete`. */
export interface CompleteOptions {
  /** What to list; only `accounts` is known (others print nothing). */
  kind: string;
  /** The words of the command line before the one being completed, without the program. */
  words: string[];
}

/** Prints the completion script of a shell. */
export async function runCompletion(ctx: Context, options: CompletionOptions): Promise<void> {
  const { SHELLS, completionSpec } = await lazyImport<typeof import("../completion/spec.ts")>(
    import.meta.resolve("../completion/spec.ts"),
  );
  const shell = options.shell.toLowerCase();
  if (!(SHELLS as readonly string[]).includes(shell)) {
    throw usageError(`unknown shell "${options.shell}": use ${SHELLS.join(", ")}`);
  }
  const spec = completionSpec(options.program);
  let script: string;
  switch (shell) {
    case "bash":
      script = (await lazyImport<typeof import("../completion/bash.ts")>(
        import.meta.resolve("../completion/bash.ts"),
      )).bashScript(spec);
      break;
    case "zsh":
      script = (await lazyImport<typeof import("../completion/zsh.ts")>(
        import.meta.resolve("../completion/zsh.ts"),
      )).zshScript(spec);
      break;
    case "fish":
      script = (await lazyImport<typeof import("../completion/fish.ts")>(
        import.meta.resolve("../completion/fish.ts"),
      )).fishScript(spec);
      break;
    default:
      script = (await lazyImport<typeof import("../completion/powershell.ts")>(
        import.meta.resolve("../completion/powershell.ts"),
      )).powershellScript(spec);
  }
  ctx.stdout.write(script);
}

/** Prints completion candidates one per line; never fails. */
export async function runComplete(ctx: Context, options: CompleteOptions): Promise<void> {
  try {
    if (options.kind !== "accounts") return;
    const env = await commandEnvironment(ctx, environmentFlagsOf(options.words));
    const doc = await (await ctx.store()).read();
    const typed = new Set(options.words);
    const names = environmentAccounts(doc, env.issuer).map((account) => account.name)
      .filter((name) => !typed.has(name));
    ctx.stdout.write(names.map((name) => `${name}\n`).join(""));
  } catch {
    // A locked, unreadable or misconfigured store completes nothing.
  }
}

const FLAG_FIELDS: Record<string, keyof EnvironmentFlags> = {
  "--env": "env",
  "--base-url": "baseUrl",
  "--realm": "realm",
  "--platform-url": "platformUrl",
};

/** The environment flags among command-line words (`--env x` or `--env=x`; the last wins). */
export function environmentFlagsOf(words: string[]): EnvironmentFlags {
  const flags: EnvironmentFlags = {};
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    const equals = word.indexOf("=");
    const name = equals > 0 ? word.slice(0, equals) : word;
    const field = FLAG_FIELDS[name];
    if (!field) continue;
    if (equals > 0) flags[field] = word.slice(equals + 1);
    else if (i + 1 < words.length) flags[field] = words[++i];
  }
  return flags;
}
