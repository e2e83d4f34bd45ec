/**
 * The explain tool: prints the decision the redirector would make, as one JSON object
 * `{status, location, backend, cloud, region, reason}`. It runs the server's own functions (parseRequest, the
 * client resolver, decide, settle); `--blob-present` stands in for the HEAD of the mirror.
 *
 *   npm run -s route -- --ip 3.5.140.1 --path /v2/pause/blobs/sha256:<hex> [--method GET] [--region us-central1]
 *     [--topology FILE] [--ranges aws=FILE --ranges gcp=FILE] [--blob-present yes|no]
 */
import { RangeFileError } from '../lib/clouds/ranges';
import { ClientResolver } from '../lib/redirector/client';
import {
  ConfigError,
  flagValue,
  parseRangeSources,
  routingTableFromEnv,
  type RangeSource,
} from '../lib/redirector/config';
import { decide, settle } from '../lib/redirector/decide';
import { loadRangeIndex } from '../lib/redirector/load-ranges';
import { needsClient, parseRequest } from '../lib/redirector/route';
import { CLIENT_NOT_NEEDED } from '../lib/redirector/decide';

const FLAGS = ['ip', 'path', 'method', 'region', 'topology', 'ranges', 'blob-present'];

function usage(message: string): never {
  throw new ConfigError([{ variable: 'usage', message }]);
}

/** Every value of a repeatable flag. */
function flagValues(argv: readonly string[], name: string): string[] {
  const values: string[] = [];
  argv.forEach((arg, i) => {
    if (arg === `--${name}` && argv[i + 1] !== undefined) values.push(argv[i + 1]!);
    else if (arg.startsWith(`--${name}=`)) values.push(arg.slice(name.length + 3));
  });
  return values;
}

function rangeSources(argv: readonly string[]): RangeSource[] {
  const given = flagValues(argv, 'ranges');
  if (given.length > 0) return parseRangeSources(given.join(','), '--ranges');
  if (process.env.IP_RANGES) return parseRangeSources(process.env.IP_RANGES, 'IP_RANGES');
  return usage('no IP ranges: pass --ranges cloud=FILE (e.g. --ranges aws=ranges/aws.json) or set IP_RANGES');
}

function explain(argv: readonly string[]): object {
  for (const arg of argv) {
    const name = arg.startsWith('--') ? arg.slice(2).split('=')[0]! : undefined;
    if (name !== undefined && !FLAGS.includes(name))
      usage(`unknown flag --${name} (known: ${FLAGS.map((f) => `--${f}`).join(' ')})`);
  }
  const ip = flagValue(argv, 'ip') ?? usage('--ip <client address> is required');
  const path = flagValue(argv, 'path') ?? usage('--path <request path> is required');
  const method = (flagValue(argv, 'method') ?? 'GET').toUpperCase();
  const blobPresent = flagValue(argv, 'blob-present');
  if (blobPresent !== undefined && blobPresent !== 'yes' && blobPresent !== 'no')
    usage('--blob-present must be yes or no');
  const { table } = routingTableFromEnv(process.env, argv);
  const index = loadRangeIndex(rangeSources(argv));
  const route = parseRequest(method, path);
  // The tool's --ip is the client address itself, as if it came without proxies.
  const client = needsClient(route) ? new ClientResolver(index, 0).resolve(undefined, ip) : CLIENT_NOT_NEEDED;
  const located = client.kind === 'located' ? client.location : undefined;
  const decision = decide(route, client, table);
  const final = settle(decision, blobPresent !== 'no');
  const assumed =
    decision.check && blobPresent === undefined ? ` (blob assumed present: --blob-present no shows the fallback)` : '';
  return {
    status: final.status,
    location: final.location ?? null,
    backend: final.backend,
    cloud: located?.cloud ?? null,
    region: located?.region ?? null,
    reason: `${final.reason}${assumed}`,
  };
}

try {
  process.stdout.write(`${JSON.stringify(explain(process.argv.slice(2)))}\n`);
} catch (err) {
  if (err instanceof ConfigError || err instanceof RangeFileError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  throw err;
}
