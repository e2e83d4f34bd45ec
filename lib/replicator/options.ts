/**
 * The command line of the replication jobs, parsed with the entry points' shared helper (lib/config/command-line)
 * into a validated command. Pure: every bad flag becomes a UsageError naming it (exit code 2).
 */
import {
  FlagError,
  parseFlags,
  requiredFlag,
  wholeNumberFlag,
  type CommandLineSpec,
  type FlagValues,
} from '../config/command-line';
import { isHost, isRepositoryName, type RegistryLocation } from '../oci';
import { UsageError } from './errors';
import { assertDistinct, DESTINATION_KINDS, location, type DestinationKind, type KindFlagValues } from './kinds';

const COMMON_USAGE = `Selection (default: every repository under the source path, via _catalog):
  --repos a,b            only these repositories (relative to the source path)
  --images FILE          promoter-style YAML/JSON list: [{name, dmap: {"sha256:...": ["tag", ...]}}]
Options:
  --dry-run              print the plan (images, blobs, bytes) and write nothing
  --concurrency N        blobs copied at once (default 8)
  --rps N                requests started per second to each registry host, all tasks together (default 80)
  --host-rps HOST=N      the budget of registry HOST instead of --rps (repeatable)
  --insecure-registry H  speak plain HTTP to registry host:port H (repeatable; local stand-ins only)
  -h, --help             this text
Environment: CLOUD_RUN_TASK_INDEX and CLOUD_RUN_TASK_COUNT (set by Cloud Run Jobs) make the run one task of several,
  which copies its share of the repositories with its share of each budget.
Exit codes: 0 ok, 1 some items failed, 2 usage or configuration error, 3 could not start, 130/143 interrupted.`;

/** The usage text for these kinds of destination: one line per kind, then what they share. */
export function usageOf(kinds: readonly DestinationKind[]): string {
  return `Usage:\n${kinds.map((kind) => `  ${kind.usage}`).join('\n')}\n\n${COMMON_USAGE}`;
}

export const USAGE = usageOf(DESTINATION_KINDS);

export type Selection =
  | { readonly kind: 'walk' }
  | { readonly kind: 'repos'; readonly repositories: readonly string[] }
  | { readonly kind: 'images'; readonly file: string };

export interface CommonOptions {
  readonly source: RegistryLocation;
  readonly selection: Selection;
  readonly dryRun: boolean;
  readonly concurrency: number;
  /** Requests per second each registry host may receive from the job (all its tasks together). */
  readonly rps: number;
  /** Budgets of particular hosts, instead of `rps`. */
  readonly hostRps: ReadonlyMap<string, number>;
  /** Registry hosts spoken to in plain HTTP. */
  readonly insecureRegistries: ReadonlySet<string>;
}

/** A copy into one kind of destination: the kind's name, the common options and the kind's own settings. */
export type KindCommand = CommonOptions & { readonly kind: string } & Readonly<Record<string, unknown>>;

export interface HelpCommand {
  readonly kind: 'help';
}

export type Command = KindCommand | HelpCommand;

/** Whether the command line asked for the usage text. */
export function isHelp(command: Command): command is HelpCommand {
  return command.kind === 'help';
}

export const DEFAULT_CONCURRENCY = 8;
export const DEFAULT_RPS = 80;
const MAX_CONCURRENCY = 256;

const COMMON_FLAGS = {
  source: { type: 'string' },
  repos: { type: 'string' },
  images: { type: 'string' },
  'dry-run': { type: 'boolean' },
  concurrency: { type: 'string' },
  rps: { type: 'string' },
  'host-rps': { type: 'string', multiple: true },
  'insecure-registry': { type: 'string', multiple: true },
} as const;

/** `a`, `a or b`, `a, b or c`. */
function either(names: readonly string[]): string {
  return names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;
}

/** Parses the command line of a copy into one of `kinds` (the registered ones by default). */
export function parseCommandLine(
  argv: readonly string[],
  kinds: readonly DestinationKind[] = DESTINATION_KINDS,
): Command {
  const spec: CommandLineSpec<typeof COMMON_FLAGS> = {
    name: 'replicate',
    usage: usageOf(kinds),
    flags: Object.assign({}, ...kinds.map((kind) => kind.flags), COMMON_FLAGS),
    positionals: true,
  };
  try {
    const parsed = parseFlags(argv, spec);
    return parsed === 'help' ? { kind: 'help' } : commandOf(parsed.values, parsed.positionals, kinds);
  } catch (error) {
    if (error instanceof FlagError) throw new UsageError(error.message);
    throw error;
  }
}

function commandOf(
  values: FlagValues<typeof COMMON_FLAGS>,
  positionals: readonly string[],
  kinds: readonly DestinationKind[],
): KindCommand {
  const [subcommand, ...extra] = positionals;
  const names = kinds.map((k) => k.name);
  const kind = kinds.find((k) => k.name === subcommand);
  if (!kind) {
    throw new UsageError(
      subcommand === undefined
        ? `missing subcommand: ${either(names)}`
        : `unknown subcommand ${JSON.stringify(subcommand)} (expected ${either(names)})`,
    );
  }
  if (extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`);
  const given = values as KindFlagValues;
  for (const flag of new Set(kinds.flatMap((k) => Object.keys(k.flags)))) {
    if (given[flag] !== undefined && !(flag in kind.flags)) {
      const owners = kinds.filter((k) => flag in k.flags).map((k) => k.name);
      throw new UsageError(`--${flag} applies only to the ${either(owners)} subcommand`);
    }
  }

  const insecureRegistries = new Set<string>();
  for (const host of values['insecure-registry'] ?? []) {
    if (!isHost(host)) throw new UsageError(`--insecure-registry ${JSON.stringify(host)}: expected host:port`);
    insecureRegistries.add(host);
  }
  const source = location('--source', requiredFlag('--source', values.source));
  const common: CommonOptions = {
    source,
    selection: selection(values.repos, values.images),
    dryRun: values['dry-run'] ?? false,
    concurrency:
      values.concurrency === undefined
        ? DEFAULT_CONCURRENCY
        : wholeNumberFlag('--concurrency', values.concurrency, 1, MAX_CONCURRENCY),
    rps: values.rps === undefined ? DEFAULT_RPS : positiveNumber('--rps', values.rps),
    hostRps: hostBudgets(values['host-rps'] ?? []),
    insecureRegistries,
  };
  return { kind: kind.name, ...common, ...kind.parse(given, source) };
}

function selection(repos: string | undefined, images: string | undefined): Selection {
  if (repos !== undefined && images !== undefined) throw new UsageError('--repos and --images are mutually exclusive');
  if (images !== undefined) return { kind: 'images', file: images };
  if (repos === undefined) return { kind: 'walk' };
  const repositories = repos.split(',').map((name) => name.trim());
  for (const name of repositories) {
    if (!isRepositoryName(name))
      throw new UsageError(`--repos: ${JSON.stringify(name)} is not a valid repository name`);
  }
  return { kind: 'repos', repositories: [...new Set(repositories)] };
}

/** `--host-rps host=N`, each host once. */
function hostBudgets(texts: readonly string[]): Map<string, number> {
  const budgets = texts.map((text) => {
    const at = text.lastIndexOf('=');
    const host = text.slice(0, Math.max(at, 0));
    if (at < 0 || !isHost(host)) throw new UsageError(`--host-rps ${JSON.stringify(text)}: expected host[:port]=N`);
    return [host, positiveNumber(`--host-rps ${host}`, text.slice(at + 1))] as const;
  });
  assertDistinct(
    '--host-rps',
    budgets.map(([host]) => host),
  );
  return new Map(budgets);
}

function positiveNumber(flag: string, text: string): number {
  const value = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !(value > 0))
    throw new UsageError(`${flag} ${JSON.stringify(text)} is not a positive number`);
  return value;
}
