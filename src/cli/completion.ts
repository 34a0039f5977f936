// `trunkline completion bash|zsh`: commands, subcommands and flags, taken from the commands' own
// specs so completion cannot drift from what the parser accepts.
import type { CommandSpec } from './args.js';
import { flagsOf } from './args.js';

// biome-ignore lint/suspicious/noExplicitAny: specs of any option shape
type AnySpec = CommandSpec<any>;

/** `command` → its subcommands, and `command` or `command sub` → its flags. */
function table(commands: string[], specs: AnySpec[]) {
  const subs = new Map<string, string[]>();
  const flags = new Map<string, string[]>();
  for (const s of specs) {
    const words = s.name.split(' ').slice(1); // drop "trunkline"
    flags.set(words.join(' '), flagsOf(s));
    if (words.length === 2) subs.set(words[0]!, [...(subs.get(words[0]!) ?? []), words[1]!]);
  }
  return { top: [...commands, '--help', '--version'], subs, flags };
}

export function completionScript(shell: 'bash' | 'zsh', commands: string[], specs: AnySpec[]): string {
  const t = table(commands, specs);
  const cases: string[] = [];
  for (const [cmd, list] of t.subs) cases.push(`    "${cmd}") words="${list.join(' ')} --help" ;;`);
  // Subcommand flags first: bash's case takes the first match, and "pools *" would match "pools gc".
  const keys = [...t.flags.keys()].sort((x, y) => y.split(' ').length - x.split(' ').length);
  const flagCases = keys.map((k) => {
    const pattern = k.includes(' ') ? `"${k}"` : `"${k} "*`;
    return `    ${pattern}) words="${t.flags.get(k)!.join(' ')}" ;;`;
  });
  const body = `_trunkline() {
  local cur cmd sub words
  cur="\${COMP_WORDS[COMP_CWORD]}"
  cmd="\${COMP_WORDS[1]}"
  sub="\${COMP_WORDS[2]}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    words="${t.top.join(' ')}"
  elif [ "$COMP_CWORD" -eq 2 ] && [ "\${cur#-}" = "$cur" ]; then
    case "$cmd" in
${cases.join('\n')}
    completion) words="bash zsh" ;;
    *) words="" ;;
    esac
    [ -z "$words" ] && { COMPREPLY=($(compgen -f -- "$cur")); return; }
  elif [ "\${cur#-}" != "$cur" ]; then
    case "$cmd $sub" in
${flagCases.join('\n')}
    *) words="--help" ;;
    esac
  else
    COMPREPLY=($(compgen -f -- "$cur"))
    return
  fi
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
`;
  if (shell === 'bash')
    return `# bash completion for trunkline\n${body}complete -o default -F _trunkline trunkline\n`;
  // zsh runs the same function through its bash-completion emulation.
  return `#compdef trunkline\n# zsh completion for trunkline\nautoload -U +X bashcompinit && bashcompinit\n${body}complete -o default -F _trunkline trunkline\n`;
}
