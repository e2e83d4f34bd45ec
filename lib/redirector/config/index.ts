/**
 * The redirector's configuration, as a pure function of the environment and the entry point's flags. Every
 * problem is reported at once, each naming the variable (or flag) it comes from. Its parts:
 *   settings.ts       the scalar settings (ports, addresses, timeouts, cache and breaker sizes, log level);
 *   table-source.ts   where the routing table comes from (ROUTING_TABLE, or the topology and the region);
 *   overrides.ts      production's variables applied on top of the table;
 *   range-sources.ts  the IP-range files (IP_RANGES).
 */
import type { Env } from '../../config/env';
import type { RoutingTable } from '../../topology';
import type { BuiltTables } from '../built-tables';
import type { ExistenceOptions } from '../existence';
import { ConfigError, zodProblems, type ConfigProblem } from './problems';
import { rangeSourcesFromEnv, type RangeSource } from './range-sources';
import { PROJECT_ENV } from '../service-contract';
import { SettingsSchema, type LogLevel } from './settings';
import { routingTableFromEnv, type ChosenTable, type TableFlags } from './table-source';

export { ConfigError, type ConfigProblem } from './problems';
export { parseRangeSources, type RangeSource } from './range-sources';
export { LOG_LEVELS, type LogLevel } from './settings';
export { routingTableFromEnv, TABLE_FLAGS, TABLE_FLAGS_USAGE, type ChosenTable, type TableFlags } from './table-source';

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
  /** The Google Cloud project of the load balancer's traces (GOOGLE_CLOUD_PROJECT); undefined: no trace in logs. */
  readonly projectId: string | undefined;
}

const SECOND = 1000;

/** The value of `read`, or undefined with its problems added to `problems`: so that every problem is listed. */
function collecting<T>(problems: ConfigProblem[], read: () => T): T | undefined {
  try {
    return read();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(...err.problems);
    return undefined;
  }
}

/** `built`: the default topology's tables built beside the bundle (built-tables.ts), when there are. */
export function configFromEnv(env: Env, flags: TableFlags = {}, built?: BuiltTables): Config {
  const problems: ConfigProblem[] = [];
  const settings = SettingsSchema.safeParse(env);
  if (!settings.success) problems.push(...zodProblems(settings.error, ''));
  const table: ChosenTable | undefined = collecting(problems, () => routingTableFromEnv(env, flags, built));
  const ipRanges = collecting(problems, () => rangeSourcesFromEnv(env));
  if (problems.length > 0 || !settings.success || !table || !ipRanges) throw new ConfigError(problems);
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
      probeIntervalMs: s.BREAKER_PROBE_INTERVAL_MS,
    },
    http: {
      headersTimeoutMs: s.HEADERS_TIMEOUT_MS,
      requestTimeoutMs: s.REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: s.KEEP_ALIVE_TIMEOUT_MS,
      maxHeaderSize: s.MAX_HEADER_SIZE,
      shutdownGraceMs: s.SHUTDOWN_GRACE_MS,
    },
    logLevel: s.LOG_LEVEL,
    projectId: s[PROJECT_ENV],
  };
}
