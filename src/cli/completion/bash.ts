/**
 * The bash completion script (bash 3.2 and later, no bash-completion package needed).
 *
 * @module
 */

import { type CommandSpec, nodeKey, valueOptionNames } from "./spec.ts";
import { banner, completionTables, kindCode, shQuote, variadicIndex } from "./tables.ts";

/** Generates the bash script for `spec`. */
export function bashScript(spec: CommandSpec): string {
  const { commands, children, values } = completionTables(spec);
  const info = commands.map((command) => {
    const subs = command.commands.flatMap((child) => child.names).join(" ");
    const opts = command.options.flatMap((option) => option.names).join(" ");
    return `    ${shQuote(nodeKey(command))}) __axway_subs=${shQuote(subs)}; ` +
      `__axway_opts=${shQuote(opts)}; __axway_valopts=${
        shQuote(valueOptionNames(command).join(" "))
      }; __axway_last=${variadicIndex(command)} ;;`;
  });
  const childCases = groupCases(
    children.map((
      entry,
    ) => [`${entry.node}|${entry.word}`, `__axway_next=${shQuote(entry.child)}`]),
  );
  const kindCases = groupCases(
    values.map((entry) => [
      `${entry.node}|${entry.slot}`,
      `__axway_k=${shQuote(kindCode(entry.value))}`,
    ]),
  );
  return `${banner("bash")}

__axway_info() {
  case "$1" in
${info.join("\n")}
    *) __axway_subs=''; __axway_opts=''; __axway_valopts=''; __axway_last=-1 ;;
  esac
}

__axway_child() {
  case "$1|$2" in
${childCases.join("\n")}
    *) __axway_next='' ;;
  esac
}

__axway_kind() {
  case "$1|$2" in
${kindCases.join("\n")}
    *) __axway_k='' ;;
  esac
}

# Offers the candidates in $1 (separated by spaces or newlines) that start with $cur.
__axway_reply() {
  local c prefix
  local -a candidates
  IFS=$' \\t\\n' read -r -d '' -a candidates <<< "$1"
  COMPREPLY=()
  for c in "\${candidates[@]}"; do
    [[ $c == "$cur"* ]] && COMPREPLY+=("$c")
  done
  # bash splits words at ":" (COMP_WORDBREAKS): offer only what follows the last one.
  if [[ $cur == *:* && $COMP_WORDBREAKS == *:* ]]; then
    prefix="\${cur%"\${cur##*:}"}"
    for c in "\${!COMPREPLY[@]}"; do COMPREPLY[c]="\${COMPREPLY[c]#"$prefix"}"; done
  fi
}

__axway_values() {
  case "$1" in
    accounts)
      __axway_reply "$("$prog" __complete accounts -- "\${words[@]:1:\${#words[@]}-2}" 2>/dev/null)" ;;
    files)
      compopt -o filenames 2>/dev/null
      COMPREPLY=()
      local f
      while IFS= read -r f; do COMPREPLY+=("$f"); done < <(compgen -f -- "$cur") ;;
    words:*)
      __axway_reply "\${1#words:}" ;;
    *)
      COMPREPLY=() ;;
  esac
}

_axway() {
  local line cur prev prog node='' nargs=0 i w
  local __axway_subs __axway_opts __axway_valopts __axway_last __axway_next __axway_k
  local -a words
  if [[ -n \${COMP_LINE:-} ]]; then
    # The line itself, split at blanks only, so that "client:user@example.com" stays one word.
    line="\${COMP_LINE:0:\${COMP_POINT:-\${#COMP_LINE}}}"
    read -r -a words <<< "$line"
    [[ -z $line || $line == *[[:space:]] ]] && words+=('')
  else
    words=("\${COMP_WORDS[@]:0:COMP_CWORD+1}")
  fi
  COMPREPLY=()
  (( \${#words[@]} < 2 )) && return 0
  cur="\${words[\${#words[@]}-1]}"
  prev="\${words[\${#words[@]}-2]}"
  prog="\${words[0]/#\\~/$HOME}"
  for (( i = 1; i < \${#words[@]} - 1; i++ )); do
    w="\${words[i]}"
    __axway_info "$node"
    case "$w" in
      --*=*) ;;
      -*) [[ " $__axway_valopts " == *" $w "* ]] && i=$((i + 1)) ;;
      *)
        __axway_child "$node" "$w"
        if [[ -n $__axway_next && $nargs -eq 0 ]]; then node="$__axway_next"; else nargs=$((nargs + 1)); fi ;;
    esac
  done
  __axway_info "$node"
  if [[ $prev == -* && " $__axway_valopts " == *" $prev "* ]]; then
    __axway_kind "$node" "$prev"
    __axway_values "$__axway_k"
  elif [[ $cur == -* ]]; then
    __axway_reply "$__axway_opts"
  elif [[ -n $__axway_subs && $nargs -eq 0 ]]; then
    __axway_reply "$__axway_subs"
  else
    (( __axway_last >= 0 && nargs > __axway_last )) && nargs=$__axway_last
    __axway_kind "$node" "#$nargs"
    __axway_values "$__axway_k"
  fi
  return 0
}

complete -F _axway axway
`;
}

/** Case arms, the patterns leading to the same action joined with "|". */
function groupCases(entries: [string, string][]): string[] {
  const byAction = new Map<string, string[]>();
  for (const [pattern, action] of entries) {
    byAction.set(action, [...byAction.get(action) ?? [], shQuote(pattern)]);
  }
  return [...byAction].map(([action, patterns]) => `    ${patterns.join("|")}) ${action} ;;`);
}
