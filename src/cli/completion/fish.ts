/**
 * The fish completion script: `complete` rules whose conditions come from one function that walks
 * the command line the same way the bash and zsh scripts do.
 *
 * @module
 */

import { type CommandSpec, nodeKey, type ValueCompletion, valueOptionNames } from "./spec.ts";
import { banner, completionTables, variadicIndex } from "./tables.ts";

/** Quotes a string for fish: single quotes, escaping `\` and `'`. */
export function fishQuote(text: string): string {
  return `'${text.replace(/[\\']/g, "\\$&")}'`;
}

/** Generates the fish script for `spec`. */
export function fishScript(spec: CommandSpec): string {
  const { commands, children } = completionTables(spec);
  const childCases = children.map((entry) =>
    `        case ${fishQuote(`${entry.node}|${entry.word}`)}\n            echo ${
      fishQuote(entry.child)
    }`
  );
  const valoptCases = commands.filter((command) => valueOptionNames(command).length > 0).map((
    command,
  ) =>
    `        case ${fishQuote(nodeKey(command))}\n            printf '%s\\n' ${
      valueOptionNames(command).map(fishQuote).join(" ")
    }`
  );
  const lastCases = commands.filter((command) => variadicIndex(command) >= 0).map((command) =>
    `        case ${fishQuote(nodeKey(command))}\n            echo ${variadicIndex(command)}`
  );
  const rules: string[] = [];
  for (const command of commands) {
    const node = fishQuote(nodeKey(command));
    for (const child of command.commands) {
      for (const name of child.names) {
        rules.push(
          `complete -c axway -n "__axway_at ${node} 0" -a ${fishQuote(name)} -d ${
            fishQuote(child.description)
          }`,
        );
      }
    }
    for (const option of command.options) {
      const flags = option.names.map((name) =>
        name.startsWith("--") ? `-l ${fishQuote(name.slice(2))}` : `-s ${fishQuote(name.slice(1))}`
      );
      rules.push(
        `complete -c axway -n "__axway_at ${node}" ${flags.join(" ")}${
          option.value ? ` ${valueFlags(option.value, true)}` : ""
        } -d ${fishQuote(option.description)}`,
      );
    }
    command.args.forEach((value, index) => {
      if (value.kind === "none") return;
      rules.push(`complete -c axway -n "__axway_at ${node} ${index}" ${valueFlags(value, false)}`);
    });
  }
  return `${banner("fish")}

function __axway_child
    switch "$argv[1]|$argv[2]"
${childCases.join("\n")}
    end
end

function __axway_valopts
    switch "$argv[1]"
${valoptCases.join("\n")}
    end
end

function __axway_last
    switch "$argv[1]"
${lastCases.join("\n")}
        case '*'
            echo -1
    end
end

# Prints the command reached before the cursor, then how many arguments it has so far.
function __axway_state
    set -l tokens (commandline -opc)
    set -l node ''
    set -l nargs 0
    set -l skip 0
    for w in $tokens[2..-1]
        if test $skip = 1
            set skip 0
            continue
        end
        switch $w
            case '--*=*'
            case '-*'
                if contains -- $w (__axway_valopts "$node")
                    set skip 1
                end
            case '*'
                set -l next (__axway_child "$node" $w)
                if test -n "$next"; and test $nargs = 0
                    set node $next
                else
                    set nargs (math $nargs + 1)
                end
        end
    end
    printf '%s\\n' "$node" $nargs
end

# True at command $argv[1]; with $argv[2], also at its argument of that position. The state is
# worked out once per command line, not once per rule.
function __axway_at
    set -l tokens (commandline -opc)
    set -l line "$tokens"
    if not set -q __axway_line; or test "$__axway_line" != "$line"
        set -g __axway_line "$line"
        set -g __axway_cached (__axway_state)
    end
    set -l state $__axway_cached
    test "$state[1]" = "$argv[1]"; or return 1
    set -q argv[2]; or return 0
    set -l nargs $state[2]
    set -l last (__axway_last "$argv[1]")
    if test $last -ge 0; and test $nargs -gt $last
        set nargs $last
    end
    test $nargs = $argv[2]
end

function __axway_accounts
    set -l tokens (commandline -opc)
    set -l prog (string replace -r -- '^~' $HOME $tokens[1])
    $prog __complete accounts -- $tokens[2..-1] 2>/dev/null
end

complete -c axway -e
complete -c axway -f
${rules.join("\n")}
`;
}

/** The `complete` flags offering a value: `-r` (requires one) for options, then the source. */
function valueFlags(value: ValueCompletion, option: boolean): string {
  const requires = option ? "-r " : "";
  switch (value.kind) {
    case "accounts":
      return `${requires}-f -a '(__axway_accounts)'`;
    case "files":
      return `${requires}-F`;
    case "words":
      return `${requires}-f -a ${fishQuote(value.words.join(" "))}`;
    case "none":
      return `${requires}-f`;
  }
}
