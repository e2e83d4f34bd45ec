/**
 * Where this instance's routing table comes from, first match wins:
 *   1. ROUTING_TABLE (JSON, what the Cloud Run stack sets), or
 *   2. the topology (--topology FILE / TOPOLOGY, else the embedded default) and the Cloud Run region
 *      (--region R / REGION, else the topology's canonical region when it runs a redirector). For the embedded
 *      default, the tables npm run build:redirector put beside the bundle, when there are (built-tables.ts): the
 *      same tables, without building the topology's schemas first.
 * The legacy production variables then override parts of it (overrides.ts).
 */
import type { Env } from '../../config/env';
import type { RoutingTable } from '../../topology/routing-table';
import { DEFAULT_TOPOLOGY_SOURCE, topologyPathFrom, TOPOLOGY_FLAG, TOPOLOGY_FLAG_USAGE } from '../../topology/source';
import type { BuiltTables } from '../built-tables';
import { routingTableModule, topologyModule } from '../on-demand';
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
  const parsed = routingTableModule().RoutingTableSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(zodProblems(parsed.error, ROUTING_TABLE_ENV));
  return parsed.data;
}

/**
 * The region to serve: --region, else REGION, else the topology's canonical region when it runs a redirector;
 * refused unless it is one of `known` (the regions that run one).
 */
function regionToServe(known: readonly string[], canonicalRegion: string, source: string, env: Env, flags: TableFlags) {
  const given = flags.region ?? (env.REGION || undefined);
  const region = given ?? (known.includes(canonicalRegion) ? canonicalRegion : undefined);
  if (region === undefined || !known.includes(region)) {
    const what = region === undefined ? 'not set' : `${JSON.stringify(region)} runs no redirector in ${source}`;
    throw new ConfigError([{ variable: '--region/REGION', message: `${what} (known: ${known.join(', ')})` }]);
  }
  return region;
}

function tableFromTopology(env: Env, flags: TableFlags): ChosenTable {
  const { loadTopology, redirectorRegions, routingTableFor, TopologyError } = topologyModule();
  let loaded;
  try {
    loaded = loadTopology({ flag: flags.topology, env });
  } catch (err) {
    if (err instanceof TopologyError)
      throw new ConfigError([{ variable: '--topology/TOPOLOGY', message: err.message }]);
    throw err;
  }
  const { topology, source } = loaded;
  const region = regionToServe(redirectorRegions(topology), topology.gcp.canonicalRegion, source, env, flags);
  return { table: routingTableFor(topology, region), source: `${source}, region ${region}` };
}

function tableFromBuilt(built: BuiltTables, env: Env, flags: TableFlags): ChosenTable {
  const source = `${DEFAULT_TOPOLOGY_SOURCE} as built into ${built.file}`;
  const region = regionToServe(Object.keys(built.tables).sort(), built.canonicalRegion, source, env, flags);
  return { table: built.tables[region]!, source: `${source}, region ${region}` };
}

/** ROUTING_TABLE; else, for the embedded default topology, the built tables when there are; else the topology's. */
function baseTable(env: Env, flags: TableFlags, built: BuiltTables | undefined): ChosenTable {
  const json = env[ROUTING_TABLE_ENV];
  if (json) return { table: tableFromJson(json), source: ROUTING_TABLE_ENV };
  const embeddedDefault = topologyPathFrom({ flag: flags.topology, env }) === undefined;
  if (built && embeddedDefault) return tableFromBuilt(built, env, flags);
  return tableFromTopology(env, flags);
}

/** The routing table this instance runs with (see the module comment for precedence). */
export function routingTableFromEnv(env: Env, flags: TableFlags = {}, built?: BuiltTables): ChosenTable {
  const base = baseTable(env, flags, built);
  // Upstream paths follow the OCI repository grammar (RoutingTableSchema), so no Location can carry dot segments.
  return { table: withLegacyOverrides(base.table, env), source: base.source };
}
