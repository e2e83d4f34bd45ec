/**
 * The redirector's configuration, as a pure function of the environment and the command line. Every problem is
 * reported at once, each naming the variable (or flag) it comes from.
 *
 * Where the routing table comes from, by precedence:
 *   1. ROUTING_TABLE (JSON, what the Cloud Run stack sets), or
 *   2. the topology (--topology FILE / TOPOLOGY, else the embedded default) and the Cloud Run region
 *      (--region R / REGION, else the topology's canonical region when it runs a redirector).
 * The production variables (UPSTREAM_REGISTRY_ENDPOINT, UPSTREAM_REGISTRY_PATH, DEFAULT_AWS_BASE_URL,
 * SIGNATURE_UPSTREAM_ENDPOINT) then override parts of it, so the service drops in where the old one ran.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { DONORS } from '../clouds/donors';
import {
  loadTopology,
  redirectorRegions,
  routingTableFor,
  RoutingTableSchema,
  TopologyError,
  UpstreamSchema,
  type RoutingTable,
} from '../topology';
import type { ExistenceOptions } from './existence';
import type { Env } from '../config/env';

/** One thing wrong with the configuration: the variable or flag, and what. */
export interface ConfigProblem {
  readonly variable: string;
  readonly message: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(`invalid redirector configuration:\n${problems.map((p) => `  - ${p.variable}: ${p.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** A range file to load and the donor (cloud id) whose format it is in. */
export interface RangeSource {
  readonly cloud: string;
  readonly file: string;
}

export interface Config {
  readonly table: RoutingTable;
  /** Where the table came from, for the start-up log. */
  readonly tableSource: string;
  readonly listen: { readonly address: string; readonly port: number };
  readonly admin: { readonly address: string; readonly port: number };
  readonly ipRanges: readonly RangeSource[];
  readonly trustedProxyHops: number;
  readonly existence: ExistenceOptions;
  readonly http: {
    readonly headersTimeoutMs: number;
    readonly requestTimeoutMs: number;
    readonly keepAliveTimeoutMs: number;
    readonly maxHeaderSize: number;
    readonly shutdownGraceMs: number;
  };
  readonly logLevel: LogLevel;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A whole number in [min, max], `fallback` when unset or empty. */
function wholeNumber(min: number, max: number, fallback: number) {
  return z
    .string()
    .optional()
    .transform((text, ctx) => {
      if (text === undefined || text === '') return fallback;
      const value = Number(text);
      if (!/^\d+$/.test(text) || value < min || value > max) {
        ctx.addIssue({
          code: 'custom',
          message: `must be a whole number from ${min} to ${max} (got ${JSON.stringify(text)})`,
        });
        return z.NEVER;
      }
      return value;
    });
}

const ipAddress = (fallback: string) =>
  z
    .string()
    .optional()
    .transform((text, ctx) => {
      if (text === undefined || text === '') return fallback;
      if (isIP(text) === 0) {
        ctx.addIssue({ code: 'custom', message: `must be an IP address to bind to (got ${JSON.stringify(text)})` });
        return z.NEVER;
      }
      return text;
    });

const SECOND = 1000;

/** The scalar settings; keys are the variable names, so every issue path names its variable. */
const EnvSchema = z.object({
  PORT: wholeNumber(0, 65535, 8080),
  LISTEN_ADDRESS: ipAddress('0.0.0.0'),
  ADMIN_PORT: wholeNumber(0, 65535, 9090),
  ADMIN_ADDRESS: ipAddress('127.0.0.1'),
  TRUSTED_PROXY_HOPS: wholeNumber(0, 16, 1),
  HEAD_TIMEOUT_MS: wholeNumber(1, 60_000, 1000),
  EXISTENCE_CACHE_ENTRIES: wholeNumber(1, 10_000_000, 100_000),
  EXISTENCE_POSITIVE_TTL_SECONDS: wholeNumber(1, 7 * 24 * 3600, 3600),
  EXISTENCE_NEGATIVE_TTL_SECONDS: wholeNumber(1, 24 * 3600, 60),
  BREAKER_FAILURE_THRESHOLD: wholeNumber(1, 1000, 1),
  BREAKER_COOLDOWN_SECONDS: wholeNumber(1, 3600, 30),
  HEADERS_TIMEOUT_MS: wholeNumber(100, 120_000, 10_000),
  REQUEST_TIMEOUT_MS: wholeNumber(100, 600_000, 10_000),
  KEEP_ALIVE_TIMEOUT_MS: wholeNumber(100, 3_600_000, 65_000),
  MAX_HEADER_SIZE: wholeNumber(1024, 1_048_576, 16_384),
  SHUTDOWN_GRACE_MS: wholeNumber(0, 600_000, 5000),
  LOG_LEVEL: z
    .string()
    .optional()
    .transform((text, ctx) => {
      if (text === undefined || text === '') return 'info' as LogLevel;
      if (!(LOG_LEVELS as readonly string[]).includes(text)) {
        ctx.addIssue({
          code: 'custom',
          message: `must be one of ${LOG_LEVELS.join(', ')} (got ${JSON.stringify(text)})`,
        });
        return z.NEVER;
      }
      return text as LogLevel;
    }),
});

/** `--name VALUE` or `--name=VALUE`; undefined when absent. */
export function flagValue(argv: readonly string[], name: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === `--${name}`) {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith('--'))
        throw new ConfigError([{ variable: `--${name}`, message: 'needs a value' }]);
      return value;
    }
    if (arg.startsWith(`--${name}=`)) return arg.slice(name.length + 3);
  }
  return undefined;
}

/** Parses `aws=FILE,gcp=FILE` (or repeated `cloud=FILE` values); `variable` names the origin in errors. */
export function parseRangeSources(text: string, variable: string): RangeSource[] {
  const known = DONORS.map((d) => d.id);
  const sources: RangeSource[] = [];
  const problems: ConfigProblem[] = [];
  for (const pair of text.split(',').map((p) => p.trim())) {
    const eq = pair.indexOf('=');
    const cloud = pair.slice(0, eq);
    const file = pair.slice(eq + 1);
    if (eq <= 0 || file === '') {
      problems.push({ variable, message: `${JSON.stringify(pair)} is not cloud=FILE (e.g. aws=ranges/aws.json)` });
    } else if (!known.includes(cloud)) {
      problems.push({ variable, message: `unknown cloud ${JSON.stringify(cloud)} (known: ${known.join(', ')})` });
    } else if (sources.some((s) => s.cloud === cloud)) {
      problems.push({ variable, message: `cloud ${JSON.stringify(cloud)} is given twice` });
    } else {
      sources.push({ cloud, file });
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return sources;
}

function zodProblems(error: z.ZodError, prefix: string): ConfigProblem[] {
  return error.issues.map((issue) => ({
    variable: [prefix, ...issue.path.map(String)].filter(Boolean).join('.'),
    message: issue.message,
  }));
}

function tableFromJson(text: string): RoutingTable {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError([{ variable: 'ROUTING_TABLE', message: `not valid JSON: ${(err as Error).message}` }]);
  }
  const parsed = RoutingTableSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(zodProblems(parsed.error, 'ROUTING_TABLE'));
  return parsed.data;
}

function tableFromTopology(env: Env, argv: readonly string[]): { table: RoutingTable; source: string } {
  let loaded;
  try {
    loaded = loadTopology({ argv, env });
  } catch (err) {
    if (err instanceof TopologyError)
      throw new ConfigError([{ variable: '--topology/TOPOLOGY', message: err.message }]);
    throw err;
  }
  const { topology, source } = loaded;
  const known = redirectorRegions(topology);
  const given = flagValue(argv, 'region') ?? (env.REGION || undefined);
  const region = given ?? (known.includes(topology.gcp.canonicalRegion) ? topology.gcp.canonicalRegion : undefined);
  if (region === undefined || !known.includes(region)) {
    const what = region === undefined ? 'not set' : `${JSON.stringify(region)} runs no redirector in ${source}`;
    throw new ConfigError([{ variable: '--region/REGION', message: `${what} (known: ${known.join(', ')})` }]);
  }
  return { table: routingTableFor(topology, region), source: `${source}, region ${region}` };
}

/** Applies the production variables on top of the table, each validated like the field it replaces. */
function withOverrides(table: RoutingTable, env: Env): RoutingTable {
  const problems: ConfigProblem[] = [];
  const check = (variable: string, schema: z.ZodType<string>): string | undefined => {
    const value = env[variable];
    if (value === undefined || value === '') return undefined;
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    problems.push({
      variable,
      message: `${parsed.error.issues[0]?.message ?? 'invalid'} (got ${JSON.stringify(value)})`,
    });
    return undefined;
  };
  const endpoint = check('UPSTREAM_REGISTRY_ENDPOINT', UpstreamSchema.shape.endpoint);
  const path = check('UPSTREAM_REGISTRY_PATH', UpstreamSchema.shape.path);
  const defaultBlobBaseUrl = check('DEFAULT_AWS_BASE_URL', RoutingTableSchema.shape.defaultBlobBaseUrl);
  const signatureEndpoint = check('SIGNATURE_UPSTREAM_ENDPOINT', UpstreamSchema.shape.endpoint);
  if (problems.length > 0) throw new ConfigError(problems);
  const upstream = { endpoint: endpoint ?? table.upstream.endpoint, path: path ?? table.upstream.path };
  return {
    ...table,
    upstream,
    defaultBlobBaseUrl: defaultBlobBaseUrl ?? table.defaultBlobBaseUrl,
    ...(signatureEndpoint
      ? { signatureUpstream: { endpoint: signatureEndpoint, path: table.signatureUpstream?.path ?? upstream.path } }
      : {}),
  };
}

/** The routing table this instance runs with (see the module comment for precedence). */
export function routingTableFromEnv(env: Env, argv: readonly string[]): { table: RoutingTable; source: string } {
  const base = env.ROUTING_TABLE
    ? { table: tableFromJson(env.ROUTING_TABLE), source: 'ROUTING_TABLE' }
    : tableFromTopology(env, argv);
  // Upstream paths follow the OCI repository grammar (RoutingTableSchema), so no Location can carry dot segments.
  return { table: withOverrides(base.table, env), source: base.source };
}

export function configFromEnv(env: Env, argv: readonly string[] = []): Config {
  const problems: ConfigProblem[] = [];
  const settings = EnvSchema.safeParse(env);
  if (!settings.success) problems.push(...zodProblems(settings.error, ''));
  let table: { table: RoutingTable; source: string } | undefined;
  let ipRanges: RangeSource[] = [];
  for (const step of [
    () => (table = routingTableFromEnv(env, argv)),
    () => {
      if (!env.IP_RANGES) {
        throw new ConfigError([
          {
            variable: 'IP_RANGES',
            message:
              'not set: give cloud=FILE pairs, e.g. aws=ranges/aws.json,gcp=ranges/gcp.json (npm run fetch-ip-ranges downloads them)',
          },
        ]);
      }
      ipRanges = parseRangeSources(env.IP_RANGES, 'IP_RANGES');
    },
  ]) {
    try {
      step();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.problems);
    }
  }
  if (problems.length > 0 || !settings.success || !table) throw new ConfigError(problems);
  const s = settings.data;
  return {
    table: table.table,
    tableSource: table.source,
    listen: { address: s.LISTEN_ADDRESS, port: s.PORT },
    admin: { address: s.ADMIN_ADDRESS, port: s.ADMIN_PORT },
    ipRanges,
    trustedProxyHops: s.TRUSTED_PROXY_HOPS,
    existence: {
      timeoutMs: s.HEAD_TIMEOUT_MS,
      maxEntries: s.EXISTENCE_CACHE_ENTRIES,
      positiveTtlMs: s.EXISTENCE_POSITIVE_TTL_SECONDS * SECOND,
      negativeTtlMs: s.EXISTENCE_NEGATIVE_TTL_SECONDS * SECOND,
      breakerFailureThreshold: s.BREAKER_FAILURE_THRESHOLD,
      breakerCooldownMs: s.BREAKER_COOLDOWN_SECONDS * SECOND,
    },
    http: {
      headersTimeoutMs: s.HEADERS_TIMEOUT_MS,
      requestTimeoutMs: s.REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: s.KEEP_ALIVE_TIMEOUT_MS,
      maxHeaderSize: s.MAX_HEADER_SIZE,
      shutdownGraceMs: s.SHUTDOWN_GRACE_MS,
    },
    logLevel: s.LOG_LEVEL,
  };
}
