/**
 * The explain tool: prints the decision the redirector would make, as one JSON object
 * `{status, location, backend, cloud, region, reason}`. It runs the server's own functions (parseRequest, the
 * client resolver, decide, settle); `--blob-present` stands in for the HEAD of the mirror.
 */
import { RangeFileError } from '../lib/clouds/ranges';
import {
  choiceFlag,
  commandLineOrExit,
  requiredFlag,
  USAGE_EXIT_CODE,
  type ParsedFlags,
} from '../lib/config/command-line';
import type { Env } from '../lib/config/env';
import { ClientResolver } from '../lib/redirector/client';
import {
  ConfigError,
  parseRangeSources,
  routingTableFromEnv,
  TABLE_FLAGS,
  TABLE_FLAGS_USAGE,
  type RangeSource,
  type TableFlags,
} from '../lib/redirector/config';
import { CLIENT_NOT_NEEDED, decide, settle } from '../lib/redirector/decide';
import { loadRangeIndex } from '../lib/redirector/load-ranges';
import { needsClient, parseRequest } from '../lib/redirector/route';
import { partialShareClouds } from '../lib/redirector/share';

const USAGE = `Usage: npm run -s route -- --ip ADDRESS --path PATH [--method GET|HEAD] [--blob-present yes|no]
    [--ranges cloud=FILE ...] [--topology FILE] [--region R]
Prints the redirector's decision for one request as JSON: {status, location, backend, cloud, region, reason}.
  --ip ADDRESS      the client address (as if it came without proxies)
  --path PATH       the request target, e.g. /v2/pause/blobs/sha256:<hex>
  --method M        the request method (default GET)
  --blob-present    yes|no: the answer of the mirror's HEAD (default: assumed present, and the reason says so)
  --ranges C=FILE   an IP-range file and its donor; repeatable or comma-separated (default: $IP_RANGES)
${TABLE_FLAGS_USAGE}
  -h, --help        this text`;

const FLAGS = {
  ...TABLE_FLAGS,
  ip: { type: 'string' },
  path: { type: 'string' },
  method: { type: 'string' },
  ranges: { type: 'string', multiple: true },
  'blob-present': { type: 'string' },
} as const;

interface Question {
  readonly ip: string;
  readonly path: string;
  readonly method: string;
  /** Undefined: not given (the blob is assumed present). */
  readonly blobPresent: boolean | undefined;
  readonly ranges: readonly string[];
  readonly table: TableFlags;
}

function question({ values }: ParsedFlags<typeof FLAGS>): Question {
  const blobPresent = values['blob-present'];
  return {
    ip: requiredFlag('--ip', values.ip),
    path: requiredFlag('--path', values.path),
    method: (values.method ?? 'GET').toUpperCase(),
    blobPresent:
      blobPresent === undefined ? undefined : choiceFlag('--blob-present', blobPresent, ['yes', 'no']) === 'yes',
    ranges: values.ranges ?? [],
    table: { topology: values.topology, region: values.region },
  };
}

function rangeSources(given: readonly string[], env: Env): RangeSource[] {
  if (given.length > 0) return parseRangeSources(given.join(','), '--ranges');
  if (env.IP_RANGES) return parseRangeSources(env.IP_RANGES, 'IP_RANGES');
  throw new ConfigError([
    {
      variable: '--ranges',
      message: 'no IP ranges: pass --ranges cloud=FILE (e.g. --ranges aws=ranges/aws.json) or set IP_RANGES',
    },
  ]);
}

function explain(asked: Question, env: Env): object {
  const { table } = routingTableFromEnv(env, asked.table);
  const index = loadRangeIndex(rangeSources(asked.ranges, env));
  const route = parseRequest(asked.method, asked.path);
  // The tool's --ip is the client address itself, as if it came without proxies.
  const resolver = new ClientResolver(index, 0, partialShareClouds(table));
  const client = needsClient(route) ? resolver.resolve(undefined, asked.ip) : CLIENT_NOT_NEEDED;
  const located = client.kind === 'located' ? client.location : undefined;
  const decision = decide(route, client, table);
  const final = settle(decision, asked.blobPresent ?? true);
  const assumed =
    decision.check && asked.blobPresent === undefined
      ? ` (blob assumed present: --blob-present no shows the fallback)`
      : '';
  return {
    status: final.status,
    location: final.location ?? null,
    backend: final.label,
    cloud: located?.cloud ?? null,
    region: located?.region ?? null,
    reason: `${final.reason}${assumed}`,
  };
}

const asked = commandLineOrExit({ name: 'route', usage: USAGE, flags: FLAGS }, question);
try {
  process.stdout.write(`${JSON.stringify(explain(asked, process.env))}\n`);
} catch (err) {
  if (!(err instanceof ConfigError || err instanceof RangeFileError)) throw err;
  process.stderr.write(`${err.message}\n`);
  process.exit(USAGE_EXIT_CODE);
}
