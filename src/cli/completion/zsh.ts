/**
 * The zsh completion script: works both from `fpath` (as the autoloaded `_axway`) and sourced.
 *
 * @module
 */

import { type CommandSpec, nodeKey, valueOptionNames } from "./spec.ts";
import { banner, completionTables, kindCode, shQuote, variadicIndex } from "./tables.ts";

/** Generates the zsh script for `spec`. */
export function zshScript(spec: CommandSpec): string {
  const { commands, children, values } = completionTables(spec);
  const described = (name: string, description: string) =>
    shQuote(`${name.replaceAll(":", "\\:")}:${description}`);
  const info = commands.map((command) => {
    const subs = command.commands.flatMap((child) =>
      child.names.map((name) => described(name, child.description))
    );
    const opts = command.options.flatMap((option) =>
      option.names.map((name) => described(name, option.description))
    );
    const valopts = valueOptionNames(command).map(shQuote);
    return [
      `    ${shQuote(nodeKey(command))})`,
      `      __axway_subs=(${subs.join(" ")})`,
      `      __axway_opts=(${opts.join(" ")})`,
      `      __axway_valopts=(${valopts.join(" ")})`,
      `      __axway_last=${variadicIndex(command)} ;;`,
    ].join("\n");
  });
  const childCases = children.map((entry) =>
    `    ${shQuote(`${entry.node}|${entry.word}`)}) __axway_next=${shQuote(entry.child)} ;;`
  );
  const kindCases = values.map((entry) =>
    `    ${shQuote(`${entry.node}|${entry.slot}`)}) __axway_k=${shQuote(kindCode(entry.value))} ;;`
  );
  return `#compdef axway
${banner("zsh")}

__axway_info() {
  case $1 in
${info.join("\n")}
    *) __axway_subs=(); __axway_opts=(); __axway_valopts=(); __axway_last=-1 ;;
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

__axway_values() {
  local -a candidates
  case $1 in
    accounts)
      candidates=(\${(f)"$($prog __complete accounts -- "\${(@)words[2,CURRENT-1]}" 2>/dev/null)"})
      compadd -a candidates ;;
    files)
      _files ;;
    words:*)
      candidates=(\${=\${1#words:}})
      compadd -a candidates ;;
    *)
      return 1 ;;
  esac
}

_axway() {
  emulate -L zsh
  local node='' nargs=0 i w cur prev prog __axway_next __axway_k __axway_last
  local -a __axway_subs __axway_opts __axway_valopts
  cur=\${words[CURRENT]}
  prev=\${words[CURRENT-1]}
  prog=\${words[1]/#\\~/$HOME}
  for (( i = 2; i < CURRENT; i++ )); do
    w=\${words[i]}
    __axway_info "$node"
    case $w in
      --*=*) ;;
      -*) (( \${__axway_valopts[(Ie)$w]} )) && i=$(( i + 1 )) ;;
      *)
        __axway_child "$node" "$w"
        if [[ -n $__axway_next && $nargs -eq 0 ]]; then node=$__axway_next; else nargs=$(( nargs + 1 )); fi ;;
    esac
  done
  __axway_info "$node"
  if (( CURRENT > 2 )) && [[ $prev == -* ]] && (( \${__axway_valopts[(Ie)$prev]} )); then
    __axway_kind "$node" "$prev"
    __axway_values "$__axway_k"
  elif [[ $cur == -* ]]; then
    _describe -t options option __axway_opts
  elif (( \${#__axway_subs} && nargs == 0 )); then
    _describe -t commands command __axway_subs
  else
    (( __axway_last >= 0 && nargs > __axway_last )) && nargs=$__axway_last
    __axway_kind "$node" "#$nargs"
    __axway_values "$__axway_k"
  fi
}

if [[ \${funcstack[1]} == _axway ]]; then
  _axway "$@"
else
  compdef _axway axway
fi
`;
}
