/**
 * The PowerShell completion script (Windows PowerShell 5.1 and PowerShell 7): one native argument
 * completer holding the same tables as the other shells, as hashtables.
 *
 * @module
 */

import { type CommandSpec, nodeKey, valueOptionNames } from "./spec.ts";
import { banner, completionTables, kindCode, variadicIndex } from "./tables.ts";

/** Quotes a string for PowerShell: single quotes, doubling `'` (and its typographic variants). */
export function psQuote(text: string): string {
  return `'${text.replace(/['\u2018\u2019\u201a\u201b]/g, "$&$&")}'`;
}

function psArray(items: string[]): string {
  return `@(${items.join(", ")})`;
}

/**
 * Hashtable literal lines. PowerShell hashtables ignore case and reject duplicate keys in a
 * literal, so keys differing only in case keep the first one.
 */
function psEntries(entries: [string, string][]): string {
  const seen = new Set<string>();
  return entries.filter(([key]) => {
    const folded = key.toLowerCase();
    if (seen.has(folded)) return false;
    seen.add(folded);
    return true;
  }).map(([key, value]) => `        ${psQuote(key)} = ${value}`).join("\n");
}

/** Generates the PowerShell script for `spec`. */
export function powershellScript(spec: CommandSpec): string {
  const { commands, children, values } = completionTables(spec);
  const node = (command: CommandSpec) => nodeKey(command);
  const subs = psEntries(commands.map((command) => [
    node(command),
    psArray(command.commands.flatMap((child) => child.names).map(psQuote)),
  ]));
  const opts = psEntries(commands.map((command) => [
    node(command),
    psArray(command.options.flatMap((option) => option.names).map(psQuote)),
  ]));
  const valopts = psEntries(commands.map((command) => [
    node(command),
    psArray(valueOptionNames(command).map(psQuote)),
  ]));
  const last = psEntries(
    commands.filter((command) => variadicIndex(command) >= 0).map((command) => [
      node(command),
      String(variadicIndex(command)),
    ]),
  );
  const childEntries = psEntries(
    children.map((entry) => [`${entry.node}|${entry.word}`, psQuote(entry.child)]),
  );
  const kindEntries = psEntries(
    values.map((entry) => [`${entry.node}|${entry.slot}`, psQuote(kindCode(entry.value))]),
  );
  const help = psEntries(
    commands.flatMap((command) => [
      ...command.commands.flatMap((child) =>
        child.names.map((name): [string, string] => [`${node(command)}|${name}`, child.description])
      ),
      ...command.options.flatMap((option) =>
        option.names.map((name): [string, string] => [
          `${node(command)}|${name}`,
          option.description,
        ])
      ),
    ]).filter(([, description]) => description).map((
      [key, description],
    ): [string, string] => [key, psQuote(description)]),
  );
  return `${banner("powershell")}

Register-ArgumentCompleter -Native -CommandName 'axway', 'axway.exe' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $subs = @{
${subs}
    }
    $opts = @{
${opts}
    }
    $valueOpts = @{
${valopts}
    }
    $last = @{
${last}
    }
    $children = @{
${childEntries}
    }
    $kinds = @{
${kindEntries}
    }
    $help = @{
${help}
    }

    # The words before the one being completed, as typed (quotes removed).
    $words = @()
    foreach ($element in $commandAst.CommandElements) {
        if ($element.Extent.EndOffset -ge $cursorPosition) { break }
        if ($element -is [System.Management.Automation.Language.StringConstantExpressionAst]) {
            $words += $element.Value
        } else {
            $words += $element.Extent.Text
        }
    }
    if ($words.Count -lt 1) { return }

    $node = ''
    $nargs = 0
    for ($i = 1; $i -lt $words.Count; $i++) {
        $w = $words[$i]
        if ($w -like '--*=*') { continue }
        if ($w.StartsWith('-')) {
            if ($valueOpts[$node] -ccontains $w) { $i++ }
            continue
        }
        $next = $children["$node|$w"]
        if ($next -and $nargs -eq 0) { $node = $next } else { $nargs++ }
    }

    $candidates = @()
    $kind = $null
    $prev = $words[$words.Count - 1]
    if ($words.Count -gt 1 -and $prev.StartsWith('-') -and $valueOpts[$node] -ccontains $prev) {
        $kind = $kinds["$node|$prev"]
    } elseif ($wordToComplete.StartsWith('-')) {
        $candidates = $opts[$node]
    } elseif ($subs[$node].Count -gt 0 -and $nargs -eq 0) {
        $candidates = $subs[$node]
    } else {
        if ($last.ContainsKey($node) -and $nargs -gt $last[$node]) { $nargs = $last[$node] }
        $kind = $kinds["$node|#$nargs"]
    }

    if ($kind -eq 'accounts') {
        $rest = @()
        if ($words.Count -gt 1) { $rest = $words[1..($words.Count - 1)] }
        # '--' quoted: PowerShell would swallow a bare one.
        $candidates = @(& $words[0] __complete accounts '--' @rest 2>$null)
    } elseif ($kind -eq 'files') {
        return
    } elseif ($kind -and $kind.StartsWith('words:')) {
        $candidates = $kind.Substring(6).Split(' ')
    }

    foreach ($candidate in $candidates) {
        if ($candidate -and $candidate.StartsWith($wordToComplete, [System.StringComparison]::Ordinal)) {
            $tip = $help["$node|$candidate"]
            if (-not $tip) { $tip = $candidate }
            [System.Management.Automation.CompletionResult]::new(
                $candidate, $candidate, 'ParameterValue', $tip)
        }
    }
}
`;
}
