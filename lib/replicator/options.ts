/**
 * The command line of the replication jobs, parsed with the entry points' shared helper (lib/config/command-line)
 * into a validated command. Pure: every bad flag becomes a UsageError naming it (exit code 2).
 */
import { isAwsRegionName } from '../clouds/aws/regions';
import {
  FlagError,
  parseFlags,
  requiredFlag,
  wholeNumberFlag,
  type CommandLineSpec,
  type FlagValues,
} from '../config/command-line';
import { isHost, isRepositoryName, parseRegistryLocation, type RegistryLocation } from '../oci';
import { UsageError } from './errors';

export const USAGE = `Usage:
  replicate s3 --source <host>/<repo-path> --bucket <name> [--endpoint <s3-url>] [--region <aws-region>] [selection] [options]
  replicate registry --source <host>/<repo-path> --dest <host>/<repo-path> [--dest ...] [selection] [options]

Selection (default: every repository under the source path, via _catalog):
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

export type Selection =
  | { readonly kind: 'walk' }
  | { readonly kind: 'repos'; readonly repositories: readonly string[] }
  | { readonly kind: 'images'; readonly file: string };

interface CommonOptions {
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

export interface S3Command extends CommonOptions {
  readonly kind: 's3';
  readonly bucket: string;
  /** A custom S3 endpoint (path-style addressing is then used). */
  readonly endpoint?: string;
  readonly region?: string;
}

export interface RegistryCommand extends CommonOptions {
  readonly kind: 'registry';
  readonly destinations: readonly RegistryLocation[];
}

export type Command = S3Command | RegistryCommand | { readonly kind: 'help' };

export const DEFAULT_CONCURRENCY = 8;
export const DEFAULT_RPS = 80;
const MAX_CONCURRENCY = 256;

const OPTIONS = {
  source: { type: 'string' },
  bucket: { type: 'string' },
  endpoint: { type: 'string' },
  region: { type: 'string' },
  dest: { type: 'string', multiple: true },
  repos: { type: 'string' },
  images: { type: 'string' },
  'dry-run': { type: 'boolean' },
  concurrency: { type: 'string' },
  rps: { type: 'string' },
  'host-rps': { type: 'string', multiple: true },
  'insecure-registry': { type: 'string', multiple: true },
} as const;

const COMMAND_LINE: CommandLineSpec<typeof OPTIONS> = {
  name: 'replicate',
  usage: USAGE,
  flags: OPTIONS,
  positionals: true,
};

const ONLY_FOR: Record<string, 's3' | 'registry'> = { bucket: 's3', endpoint: 's3', region: 's3', dest: 'registry' };

export function parseCommandLine(argv: readonly string[]): Command {
  try {
    const parsed = parseFlags(argv, COMMAND_LINE);
    return parsed === 'help' ? { kind: 'help' } : commandOf(parsed.values, parsed.positionals);
  } catch (error) {
    if (error instanceof FlagError) throw new UsageError(error.message);
    throw error;
  }
}

function commandOf(values: FlagValues<typeof OPTIONS>, positionals: readonly string[]): Command {
  const [subcommand, ...extra] = positionals;
  if (subcommand !== 's3' && subcommand !== 'registry') {
    throw new UsageError(
      subcommand === undefined
        ? 'missing subcommand: s3 or registry'
        : `unknown subcommand ${JSON.stringify(subcommand)} (expected s3 or registry)`,
    );
  }
  if (extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`);
  for (const [flag, owner] of Object.entries(ONLY_FOR)) {
    if (values[flag as keyof typeof values] !== undefined && owner !== subcommand)
      throw new UsageError(`--${flag} applies only to the ${owner} subcommand`);
  }

  const insecureRegistries = new Set<string>();
  for (const host of values['insecure-registry'] ?? []) {
    if (!isHost(host)) throw new UsageError(`--insecure-registry ${JSON.stringify(host)}: expected host:port`);
    insecureRegistries.add(host);
  }
  const common: CommonOptions = {
    source: location('--source', requiredFlag('--source', values.source)),
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

  if (subcommand === 's3') {
    const bucket = requiredFlag('--bucket', values.bucket);
    if (!isBucketName(bucket)) throw new UsageError(`--bucket ${JSON.stringify(bucket)} is not a valid S3 bucket name`);
    if (values.endpoint !== undefined && !isHttpUrl(values.endpoint)) {
      throw new UsageError(`--endpoint ${JSON.stringify(values.endpoint)} is not an http(s) URL`);
    }
    if (values.region !== undefined && !isAwsRegionName(values.region)) {
      throw new UsageError(`--region ${JSON.stringify(values.region)} is not an AWS region name`);
    }
    return { kind: 's3', ...common, bucket, endpoint: values.endpoint, region: values.region };
  }

  const destinations = (values.dest ?? []).map((text) => location('--dest', text));
  if (destinations.length === 0) throw new UsageError('--dest is required (at least one destination)');
  const seen = new Set<string>();
  for (const destination of destinations) {
    const key = `${destination.host}/${destination.path}`;
    if (key === `${common.source.host}/${common.source.path}`)
      throw new UsageError(`--dest ${key} is the source itself`);
    if (seen.has(key)) throw new UsageError(`--dest ${key} is given twice`);
    seen.add(key);
  }
  return { kind: 'registry', ...common, destinations };
}

function location(flag: string, text: string): RegistryLocation {
  try {
    return parseRegistryLocation(text);
  } catch (error) {
    throw new UsageError(`${flag}: ${(error as Error).message}`);
  }
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
  const budgets = new Map<string, number>();
  for (const text of texts) {
    const at = text.lastIndexOf('=');
    const host = text.slice(0, Math.max(at, 0));
    if (at < 0 || !isHost(host)) throw new UsageError(`--host-rps ${JSON.stringify(text)}: expected host[:port]=N`);
    if (budgets.has(host)) throw new UsageError(`--host-rps ${host} is given twice`);
    budgets.set(host, positiveNumber(`--host-rps ${host}`, text.slice(at + 1)));
  }
  return budgets;
}

function positiveNumber(flag: string, text: string): number {
  const value = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !(value > 0))
    throw new UsageError(`${flag} ${JSON.stringify(text)} is not a positive number`);
  return value;
}

function isBucketName(name: string): boolean {
  return /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name) && !name.includes('..') && !/^\d+\.\d+\.\d+\.\d+$/.test(name);
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.host !== '';
  } catch {
    return false;
  }
}
