/**
 * How every bin/ entry point reads its command line: node:util parseArgs behind this one helper, so that all of
 * them answer `--help` the same way (the usage text on stdout, exit 0) and refuse an unknown or malformed flag the
 * same way (a message naming the flag and pointing at --help, exit 2).
 *
 * The pure part (parseFlags and the value checks) throws FlagError; commandLineOrExit is the shell an entry point
 * calls. A command that maps errors to its own exit codes (the replicator) calls parseFlags itself.
 */
import { parseArgs } from 'node:util';

/** A flag as parseArgs declares it. */
export interface FlagSpec {
  readonly type: 'string' | 'boolean';
  /** May be given more than once; the values come as a list. */
  readonly multiple?: boolean;
  /** A one-letter alias (`-h`). */
  readonly short?: string;
}

export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

/** The parsed values, typed from the specs: a flag that was not given is absent. */
export type FlagValues<F extends FlagSpecs> = {
  readonly [K in keyof F]?: F[K] extends { readonly type: 'string' }
    ? F[K] extends { readonly multiple: true }
      ? readonly string[]
      : string
    : boolean;
};

export interface CommandLineSpec<F extends FlagSpecs> {
  /** The command's name: the first word of its error messages (`route: unknown flag --foo ...`). */
  readonly name: string;
  /** What --help prints. */
  readonly usage: string;
  /** The command's flags; `--help`/`-h` is added to every command. */
  readonly flags: F;
  /** Whether the command takes positional arguments (subcommands). @default false */
  readonly positionals?: boolean;
}

export interface ParsedFlags<F extends FlagSpecs> {
  readonly values: FlagValues<F>;
  readonly positionals: readonly string[];
}

/** An unknown or malformed flag, or a flag value the command does not take; the message names the flag. */
export class FlagError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlagError';
  }
}

/** The exit code of every entry point for a bad command line. */
export const USAGE_EXIT_CODE = 2;

const HELP_FLAG: FlagSpecs = { help: { type: 'boolean', short: 'h' } };

type OptionToken = { kind: 'option'; name: string; rawName: string; value?: string; inlineValue?: boolean };

/** parseArgs' own test for a value that looks like the next flag (`--port --dry-run`): then the value is missing. */
function looksLikeFlag(value: string): boolean {
  return value.length > 1 && value.startsWith('-');
}

function checkOption(token: OptionToken, spec: FlagSpec | undefined, given: Set<string>): void {
  if (!spec) throw new FlagError(`unknown flag ${token.rawName}`);
  const flag = `--${token.name}`;
  if (spec.type === 'string') {
    if (token.value === undefined || token.value === '' || (!token.inlineValue && looksLikeFlag(token.value)))
      throw new FlagError(`${flag} needs a value`);
  } else if (token.value !== undefined) {
    throw new FlagError(`${flag} takes no value`);
  }
  if (!spec.multiple && given.has(token.name)) throw new FlagError(`${flag} is given twice`);
  given.add(token.name);
}

/**
 * The flags and positionals of `argv`, or `'help'` when --help or -h is among them. Throws FlagError for an unknown
 * flag, a missing or empty value, a value given to a boolean flag, a single-valued flag given twice, or a positional
 * argument the command does not take.
 */
export function parseFlags<F extends FlagSpecs>(
  argv: readonly string[],
  spec: CommandLineSpec<F>,
): ParsedFlags<F> | 'help' {
  const options = { ...spec.flags, ...HELP_FLAG };
  // Leniently first, for the tokens: our messages name the flag, and --help wins wherever it stands.
  const { tokens } = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  if (tokens.some((token) => token.kind === 'option' && token.name === 'help')) return 'help';
  const given = new Set<string>();
  for (const token of tokens) {
    if (token.kind === 'option') checkOption(token, options[token.name], given);
    else if (token.kind === 'positional' && !spec.positionals)
      throw new FlagError(`unexpected argument ${JSON.stringify(token.value)}`);
  }
  const { values, positionals } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: true });
  return { values: values as FlagValues<F>, positionals };
}

/** The value of a flag the command cannot do without. */
export function requiredFlag(flag: string, value: string | undefined): string {
  if (value === undefined) throw new FlagError(`${flag} is required`);
  return value;
}

/** A whole number in [min, max]. */
export function wholeNumberFlag(flag: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max)
    throw new FlagError(`${flag} ${JSON.stringify(text)} is not a whole number from ${min} to ${max}`);
  return value;
}

/** One of a fixed list of words. */
export function choiceFlag<C extends string>(flag: string, text: string, choices: readonly C[]): C {
  if (!(choices as readonly string[]).includes(text))
    throw new FlagError(`${flag} ${JSON.stringify(text)} is not one of ${choices.join(', ')}`);
  return text as C;
}

/** How every entry point reports a bad command line (the message names the flag). */
export function usageErrorText(command: string, message: string): string {
  return `${command}: ${message}\n${command}: --help shows the usage\n`;
}

/** Reports a bad command line on stderr and exits 2. */
export function exitWithUsageError(command: string, message: string): never {
  process.stderr.write(usageErrorText(command, message));
  process.exit(USAGE_EXIT_CODE);
}

/**
 * The shell for entry points: parses the process's arguments and hands them to `read`, which turns them into the
 * command's options (and may throw FlagError for a value it does not take). --help prints the usage and exits 0;
 * any FlagError is reported and exits 2.
 */
export function commandLineOrExit<F extends FlagSpecs, T>(
  spec: CommandLineSpec<F>,
  read: (flags: ParsedFlags<F>) => T,
  argv: readonly string[] = process.argv.slice(2),
): T {
  try {
    const parsed = parseFlags(argv, spec);
    if (parsed !== 'help') return read(parsed);
  } catch (err) {
    if (err instanceof FlagError) exitWithUsageError(spec.name, err.message);
    throw err;
  }
  process.stdout.write(`${spec.usage}\n`);
  process.exit(0);
}
