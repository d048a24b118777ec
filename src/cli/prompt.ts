/**
 * Interactive choices. Prompts only when stdin and stdout are terminals and JSON output is off;
 * otherwise fails at once naming the option to pass (a closed stdin must never hang).
 *
 * @module
 */

import { usageError } from "../errors.ts";
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
  const { select } = await import("@inquirer/prompts");
  try {
    return await select<T>({
      message: question.message,
      choices: question.choices,
      default: question.initial,
    });
  } catch (error) {
    if (error instanceof Error && error.name === "ExitPromptError") {
      const { CliError } = await import("../errors.ts");
      throw new CliError("CANCELLED", "cancelled");
    }
    throw error;
  }
}
