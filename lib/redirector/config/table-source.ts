/**
 * Where this instance's routing table comes from, first match wins:
 *   1. ROUTING_TABLE (JSON, what the Cloud Run stack sets), or
 *   2. the topology (--topology FILE / TOPOLOGY, else the embedded default) and the Cloud Run region
 *      (--region R / REGION, else the topology's canonical region when it runs a redirector).
 * The legacy production variables then override parts of it (overrides.ts).
 */
import type { Env } from '../../config/env';
import {
  loadTopology,
  redirectorRegions,
  routingTableFor,
  RoutingTableSchema,
  TOPOLOGY_FLAG,
  TOPOLOGY_FLAG_USAGE,
  TopologyError,
  type RoutingTable,
} from '../../topology';
import { ROUTING_TABLE_ENV } from '../service-contract';
import { withLegacyOverrides } from './overrides';
import { ConfigError, zodProblems } from './problems';

/** The flags that pick the table, taken by the server and the explain tool alike. */
export const TABLE_FLAGS = { ...TOPOLOGY_FLAG, region: { type: 'string' } } as const;

/** Their lines in --help. */
export const TABLE_FLAGS_USAGE = `${TOPOLOGY_FLAG_USAGE}
  --region R        the Cloud Run region whose routing table to use (default: $REGION, else the topology's
                    canonical region); ${ROUTING_TABLE_ENV}, when set, is the table and both are ignored`;

/** The values of TABLE_FLAGS. */
export interface TableFlags {
  readonly topology?: string;
  readonly region?: string;
}

export interface ChosenTable {
  readonly table: RoutingTable;
  /** Where it came from, for the start-up log. */
  readonly source: string;
}

function tableFromJson(text: string): RoutingTable {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError([{ variable: ROUTING_TABLE_ENV, message: `not valid JSON: ${(err as Error).message}` }]);
  }
  const parsed = RoutingTableSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(zodProblems(parsed.error, ROUTING_TABLE_ENV));
  return parsed.data;
}

function tableFromTopology(env: Env, flags: TableFlags): ChosenTable {
  let loaded;
  try {
    loaded = loadTopology({ flag: flags.topology, env });
  } catch (err) {
    if (err instanceof TopologyError)
      throw new ConfigError([{ variable: '--topology/TOPOLOGY', message: err.message }]);
    throw err;
  }
  const { topology, source } = loaded;
  const known = redirectorRegions(topology);
  const given = flags.region ?? (env.REGION || undefined);
  const region = given ?? (known.includes(topology.gcp.canonicalRegion) ? topology.gcp.canonicalRegion : undefined);
  if (region === undefined || !known.includes(region)) {
    const what = region === undefined ? 'not set' : `${JSON.stringify(region)} runs no redirector in ${source}`;
    throw new ConfigError([{ variable: '--region/REGION', message: `${what} (known: ${known.join(', ')})` }]);
  }
  return { table: routingTableFor(topology, region), source: `${source}, region ${region}` };
}

/** The routing table this instance runs with (see the module comment for precedence). */
export function routingTableFromEnv(env: Env, flags: TableFlags = {}): ChosenTable {
  const json = env[ROUTING_TABLE_ENV];
  const base = json ? { table: tableFromJson(json), source: ROUTING_TABLE_ENV } : tableFromTopology(env, flags);
  // Upstream paths follow the OCI repository grammar (RoutingTableSchema), so no Location can carry dot segments.
  return { table: withLegacyOverrides(base.table, env), source: base.source };
}
