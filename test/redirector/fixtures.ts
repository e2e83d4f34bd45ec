/** Shared fixtures of the redirector tests: the small topology's routing tables and the fixture range index. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUILT_TABLES_FORMAT, type BuiltTables } from '../../lib/redirector/built-tables';
import { ConfigError, configFromEnv, type TableFlags } from '../../lib/redirector/config';
import { loadRangeIndex } from '../../lib/redirector/load-ranges';
import type { RangeIndex } from '../../lib/redirector/range-index';
import {
  parseTopology,
  parseTopologyText,
  routingTableFor,
  type RoutingTable,
  type Topology,
} from '../../lib/topology';

export const FIXTURES = join(__dirname, '../fixtures');
export const RANGE_FILES = {
  aws: join(FIXTURES, 'ip-ranges/aws.json'),
  gcp: join(FIXTURES, 'ip-ranges/gcp.json'),
  azure: join(FIXTURES, 'ip-ranges/azure.json'),
};
export const RANGE_SOURCES = Object.entries(RANGE_FILES).map(([cloud, file]) => ({ cloud, file }));
export const IP_RANGES = RANGE_SOURCES.map((s) => `${s.cloud}=${s.file}`).join(',');
export const SMALL_TOPOLOGY = join(FIXTURES, 'topology-small.yaml');

/** The small topology, optionally with its blob endpoint template pointed elsewhere (a local S3). */
export function smallTopology(blobEndpointTemplate?: string): Topology {
  const raw = parseTopologyText(readFileSync(SMALL_TOPOLOGY, 'utf8'), SMALL_TOPOLOGY) as {
    aws: Record<string, unknown>;
  };
  if (blobEndpointTemplate) raw.aws.blobEndpointTemplate = blobEndpointTemplate;
  return parseTopology(raw, SMALL_TOPOLOGY);
}

export function smallTable(region = 'us-central1', blobEndpointTemplate?: string): RoutingTable {
  return routingTableFor(smallTopology(blobEndpointTemplate), region);
}

/** The small topology's two regions as a build writes the default's (lib/redirector/built-tables.ts), from `file`. */
export function builtSmallTables(file: string): BuiltTables {
  // Not in order: messages list the regions sorted.
  const tables = { 'us-central1': smallTable('us-central1'), 'europe-west1': smallTable('europe-west1') };
  return { format: BUILT_TABLES_FORMAT, canonicalRegion: 'us-central1', tables, file };
}

export function fixtureIndex(): RangeIndex {
  return loadRangeIndex(RANGE_SOURCES);
}

export const HEX64 = 'ab'.repeat(32);
export const DIGEST = `sha256:${HEX64}`;

/** The problems configFromEnv reports for this environment, as `VARIABLE: message` lines; throws if it accepts it. */
export function problemsOf(env: Record<string, string>, flags: TableFlags = {}): string[] {
  try {
    configFromEnv(env, flags);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.variable}: ${p.message}`);
    throw err;
  }
  throw new Error('expected a ConfigError');
}
