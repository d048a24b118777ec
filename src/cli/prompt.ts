/**
 * Interactive questions. Prompts only when stdin and stdout are terminals and JSON output is off;
 * otherwise fails at once naming the option to pass (a closed stdin must never hang: the prompt
 * library waits forever on one under Deno). Loaded only when a question is asked.
 *
 * @module
 */

import { password, select } from "@inquirer/prompts";
import { stderr } from "node:process";
import { CliError, usageError } from "../errors.ts";
import type { Context } from "./context.ts";

/** A select-list question. */
export interface ChoiceQuestion<T> {
  message: string;
  /** Named in the error when there is no terminal to ask on, e.g. `--account <name>`. */
  missingOption: string;
  json: boolean;
  choices: { name: string; value: T }[];
  initial?: T;
}

/** Asks the user to pick one choice. */
export async function chooseOne<T>(ctx: Context, question: ChoiceQuestion<T>): Promise<T> {
  if (question.json || !ctx.stdin.isTerminal || !ctx.stdout.isTerminal) {
    throw usageError(
      `${question.missingOption} is required${
        question.json ? " with --json" : " when not running in a terminal"
      }`,
    );
  }
  return await cancellable(() =>
    select<T>({ message: question.message, choices: question.choices, default: question.initial })
  );
}

/** Asks for a secret on the terminal without echoing it (the prompt goes to stderr). */
export async function askSecret(message: string): Promise<string> {
  return await cancellable(() => password({ message, mask: true }, { output: stderr }));
}

async function cancellable<T>(ask: () => Promise<T>): Promise<T> {
  try {
    return await ask();
  } catch (error) {
    if (error instanceof Error && error.name === "ExitPromptError") {
      throw new CliError("CANCELLED", "cancelled");
    }
    throw error;
  }
}
