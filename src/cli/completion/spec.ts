/**
 * What the shell completion scripts complete, read from the commander tree itself (visible
 * commands, their aliases, options and arguments), so a new command or option completes without
 * touching the generators.
 *
 * @module
 */

import type { CommandUnknownOpts, Option } from "@commander-js/extra-typings";
import { SETTING_KEYS } from "../../config/settings.ts";

/** Shells `axway completion` generates scripts for. */
export const SHELLS = ["bash", "zsh", "fish", "powershell"] as const;

/** A shell `axway completion` knows. */
export type Shell = typeof SHELLS[number];

/** The names of the built-in environments, for `--env`. */
const ENVIRONMENT_NAMES = ["prod", "staging", "preprod"];

/** How the value of an option or a positional argument completes. */
export type ValueCompletion =
  /** Nothing to offer (free text such as a client ID). */
  | { kind: "none" }
  /** Names of the stored accounts of the current environment (`axway __complete accounts`). */
  | { kind: "accounts" }
  /** File names. */
  | { kind: "files" }
  /** A fixed list. */
  | { kind: "words"; words: string[] };

/** An option of a command. */
export interface OptionSpec {
  /** Short and long forms, e.g. `["-c", "--client-secret"]`. */
  names: string[];
  description: string;
  /** How its value completes; absent for a flag without a value. */
  value?: ValueCompletion;
}

/** A command of the tree. */
export interface CommandSpec {
  /** Canonical names from the root, e.g. `["auth", "list"]`; `[]` for the program. */
  path: string[];
  /** Name and aliases, e.g. `["list", "ls"]`. */
  names: string[];
  description: string;
  options: OptionSpec[];
  commands: CommandSpec[];
  /** Positional arguments in order. */
  args: ValueCompletion[];
  /** Whether the last positional argument repeats. */
  variadic: boolean;
}

/** The completion spec of `program` and everything below it. */
export function completionSpec(program: CommandUnknownOpts): CommandSpec {
  return commandSpec(program, [], []);
}

function commandSpec(
  command: CommandUnknownOpts,
  path: string[],
  siblings: string[],
): CommandSpec {
  const help = command.createHelp();
  const visible = help.visibleCommands(command);
  const childNames = visible.map((child) => child.name()).filter((name) => name !== "help");
  const registered = command.registeredArguments;
  return {
    path,
    names: [command.name(), ...command.aliases()],
    description: firstLine(command.description()),
    options: help.visibleOptions(command).map(optionSpec),
    commands: visible.map((child) => commandSpec(child, [...path, child.name()], childNames)),
    args: registered.map((argument) => argumentValue(argument.name(), siblings)),
    variadic: registered.length > 0 && registered[registered.length - 1].variadic,
  };
}

function optionSpec(option: Option): OptionSpec {
  const names = [option.short, option.long].filter((name): name is string => !!name);
  const spec: OptionSpec = { names, description: firstLine(option.description) };
  if (option.required || option.optional) spec.value = optionValue(option);
  return spec;
}

/** Values by what an option is (its long name, or a `<path>` placeholder). */
function optionValue(option: Option): ValueCompletion {
  if (option.argChoices) return { kind: "words", words: [...option.argChoices] };
  if (option.long === "--account") return { kind: "accounts" };
  if (option.long === "--env") return { kind: "words", words: ENVIRONMENT_NAMES };
  if (/[<[](path|file)[>\]]/.test(option.flags)) return { kind: "files" };
  return { kind: "none" };
}

/** Values by the argument's name; `command` (of `help`) completes the sibling commands. */
function argumentValue(name: string, siblings: string[]): ValueCompletion {
  switch (name) {
    case "account":
    case "accounts":
      return { kind: "accounts" };
    case "key":
      return { kind: "words", words: [...SETTING_KEYS] };
    case "shell":
      return { kind: "words", words: [...SHELLS] };
    case "command":
      return { kind: "words", words: siblings };
    case "path":
    case "file":
      return { kind: "files" };
    default:
      return { kind: "none" };
  }
}

function firstLine(text: string): string {
  return text.split("\n")[0].trim();
}

/** Every command of the tree, the program first (depth first). */
export function allCommands(spec: CommandSpec): CommandSpec[] {
  return [spec, ...spec.commands.flatMap(allCommands)];
}

/** The node key the scripts use: canonical path joined with spaces (`""` for the program). */
export function nodeKey(spec: CommandSpec): string {
  return spec.path.join(" ");
}

/** The options of a command that take a value, every spelling. */
export function valueOptionNames(spec: CommandSpec): string[] {
  return spec.options.filter((option) => option.value).flatMap((option) => option.names);
}
