/**
 * Rendering shared by all commands: JSON, tables, errors, relative times.
 *
 * @module
 */

import { CliError, withoutControlCharacters } from "../errors.ts";
import type { Context, Output } from "./context.ts";

/** Prints a value as pretty JSON on stdout. */
export function printJson(ctx: Pick<Context, "stdout">, value: unknown): void {
  ctx.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Writes one line. */
export function writeLine(out: Output, text = ""): void {
  out.write(`${text}\n`);
}

/** Formats rows as a borderless table with upper-case headings. */
export function table(headings: string[], rows: string[][]): string {
  const widths = headings.map((heading, column) =>
    Math.max(heading.length, ...rows.map((row) => visibleLength(row[column] ?? "")))
  );
  const line = (cells: string[]) =>
    cells.map((cell, column) =>
      column === cells.length - 1 ? cell : cell + " ".repeat(widths[column] - visibleLength(cell))
    ).join("  ").trimEnd();
  return [line(headings), ...rows.map(line)].join("\n") + "\n";
}

// deno-lint-ignore no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

function visibleLength(text: string): number {
  return text.replace(ANSI, "").length;
}

/** Wraps text in an ANSI style when colour is on. */
export function style(
  ctx: Pick<Context, "color">,
  code: "green" | "yellow" | "dim" | "bold",
  text: string,
): string {
  if (!ctx.color) return text;
  const codes = { green: [32, 39], yellow: [33, 39], dim: [2, 22], bold: [1, 22] }[code];
  return `\x1b[${codes[0]}m${text}\x1b[${codes[1]}m`;
}

/** A relative time such as `in 5h`, `in 3d`, `now`. */
export function relativeTime(target: number, now: number): string {
  const seconds = Math.round((target - now) / 1000);
  if (seconds <= 0) return "now";
  const units: [number, string][] = [[86400, "d"], [3600, "h"], [60, "m"], [1, "s"]];
  for (const [size, unit] of units) {
    if (seconds >= size) return `in ${Math.floor(seconds / size)}${unit}`;
  }
  return "now";
}

/**
 * Text that came from outside (a provider's error description, a value the user typed) made safe
 * for one terminal line: line breaks become spaces, other control characters (escape sequences
 * included) become `?`.
 */
export function oneLine(text: string): string {
  const line = withoutControlCharacters(text.replace(/\r?\n/g, " ")).trim();
  // A provider's error description can be pages long: one line stays readable.
  return line.length > MAX_LINE ? `${line.slice(0, MAX_LINE - 1)}…` : line;
}

const MAX_LINE = 500;

/** Renders an error as the user sees it and returns the exit code. */
export function reportError(ctx: Context, error: unknown, json: boolean): number {
  const cliError = error instanceof CliError ? error : undefined;
  if (cliError?.silent) return cliError.exitCode;
  const code = cliError?.code ?? "FAILURE";
  // Deno's permission errors suggest a flag to run again with, which means nothing to users of
  // the compiled binary.
  const message = oneLine(cliError?.message ?? unexpectedMessage(error))
    .replace(/,? run again with the --allow-[\w-]+ flag/i, "");
  if (json) {
    printJson(ctx, { error: { code, message } });
  } else {
    writeLine(ctx.stderr, `error: ${message}`);
    if (cliError?.hint) writeLine(ctx.stderr, oneLine(cliError.hint));
  }
  if (ctx.debug && error instanceof Error) {
    writeLine(ctx.stderr, withoutControlCharacters(error.stack ?? String(error)));
  }
  if (!cliError && !ctx.debug && !json) {
    writeLine(ctx.stderr, "set AXWAY_DEBUG=1 for details");
  }
  return cliError?.exitCode ?? 1;
}

function unexpectedMessage(error: unknown): string {
  if (error instanceof Deno.errors.NotCapable) {
    return `the runtime refused access (${error.message.split("\n")[0]})`;
  }
  const text = error instanceof Error ? error.message : String(error);
  return `unexpected error: ${text.split("\n")[0]}`;
}
