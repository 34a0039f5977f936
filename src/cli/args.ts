// The one argument parser of every `trunkline` command: node:util parseArgs in strict mode, plus
// what an operator expects of each command and subcommand — `--help`/`-h` prints the usage to stdout
// and exits 0; an unknown flag or a missing value is one line on stderr, then the usage, exit 2.
import { type ParseArgsConfig, parseArgs } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

export interface CommandSpec<O extends Options> {
  /** As typed, e.g. `trunkline pools release`: prefixes every error. */
  name: string;
  usage: string;
  options: O;
  /** Allowed positional arguments (default none). */
  positionals?: boolean;
}

const HELP = { help: { type: 'boolean', short: 'h' } } as const;

type Config<O extends Options> = {
  args: string[];
  options: O & typeof HELP;
  allowPositionals: boolean;
  strict: true;
};

type Parsed<O extends Options> = ReturnType<typeof parseArgs<Config<O>>>;

/** The parsed flags of a command's options. */
export type ArgsOf<O extends Options> = Parsed<O>['values'];

/** The exit status every usage error gets. */
const USAGE_ERROR = 2;

export function usageError(name: string, problem: string, usage: string): number {
  process.stderr.write(`${name}: ${problem}\n${usage}`);
  return USAGE_ERROR;
}

/** The parsed arguments, or the exit status when the command must stop here (help shown or usage error). */
export function parseCommand<O extends Options>(spec: CommandSpec<O>, argv: string[]): Parsed<O> | number {
  let parsed: Parsed<O>;
  try {
    parsed = parseArgs<Config<O>>({
      args: argv,
      options: { ...spec.options, ...HELP },
      allowPositionals: spec.positionals === true,
      strict: true,
    });
  } catch (e) {
    // parseArgs' own wording names the flag; its advice about '--' is noise for an operator.
    const msg = (e as Error).message.split('\n')[0]!.replace(/\. To specify a positional.*$/, '');
    return usageError(spec.name, msg, spec.usage);
  }
  if ((parsed.values as { help?: boolean }).help === true) {
    process.stdout.write(spec.usage);
    return 0;
  }
  return parsed;
}

/** Every long flag of a spec (shell completion). */
export function flagsOf(spec: { options: Options }): string[] {
  return [...Object.keys(spec.options), 'help'].map((f) => `--${f}`);
}
