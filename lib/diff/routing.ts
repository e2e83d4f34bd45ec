/**
 * Routing impact: which clients a Cloud Run region now sends somewhere else. The routing tables are read back
 * from what each side synthesized (every redirector service carries its table in ROUTING_TABLE), so the base
 * needs no code of its own to be compared, and each client is routed by the redirector's own decide().
 */
import { CLIENT_NOT_NEEDED, decide, UNLISTED_CLIENT, type Client } from '../redirector/decide';
import type { Route } from '../redirector/route';
import { sharePercent } from '../redirector/share';
import { ROUTING_TABLE_ENV } from '../redirector/service-contract';
import { blobKey } from '../topology/blob-layout';
import { formatPath } from '../config/paths';
import { RoutingTableSchema, type RoutingTable } from '../topology/routing-table';
import type { TerraformConfig } from '../synth/read-output';
import type { RoutingChange } from './model';

const OTHER_CLIENTS = 'other';

interface ServiceBody {
  template?: { containers?: { env?: { name: string; value?: string }[] }[] };
}

/** Region -> routing table of every redirector service in the configurations. Throws on a table that is not one. */
export function routingTablesOf(configs: Readonly<Record<string, TerraformConfig>>): Map<string, RoutingTable> {
  const tables = new Map<string, RoutingTable>();
  for (const [stack, config] of Object.entries(configs)) {
    const services = config.resource?.google_cloud_run_v2_service ?? {};
    for (const [name, body] of Object.entries(services)) {
      const env = ((body as ServiceBody).template?.containers ?? []).flatMap((container) => container.env ?? []);
      const value = env.find((variable) => variable.name === ROUTING_TABLE_ENV)?.value;
      if (value === undefined) continue;
      const where = `${stack}: google_cloud_run_v2_service.${name} ${ROUTING_TABLE_ENV}`;
      let raw: unknown;
      try {
        raw = JSON.parse(value);
      } catch (err) {
        throw new Error(`${where} is not JSON: ${(err as Error).message}`);
      }
      const parsed = RoutingTableSchema.safeParse(raw);
      if (!parsed.success) {
        const problems = parsed.error.issues.map((issue) => `${formatPath(issue.path) || '(table)'}: ${issue.message}`);
        throw new Error(`${where} is not a routing table: ${problems.join('; ')}`);
      }
      tables.set(parsed.data.region, parsed.data);
    }
  }
  return tables;
}

const PROBE: Extract<Route, { kind: 'blob' }> = {
  kind: 'blob',
  repository: 'probe',
  digest: `sha256:${'0'.repeat(64)}`,
  query: '',
};

/** A client as the routing impact names it, and as decide() sees it. */
interface NamedClient {
  readonly name: string;
  readonly client: Client;
}

/**
 * The slices of a cloud's clients that a share splits differently in either table, as [from, to) percent: cut at 0,
 * 100 and each table's share (a cloud a table gives no share is at 100). One slice when the shares agree at 0 or 100.
 */
export function shareSlices(cloud: string, tables: readonly RoutingTable[]): [number, number][] {
  const cuts = [...new Set([0, 100, ...tables.map((table) => sharePercent(table, cloud) ?? 100)])].sort(
    (a, b) => a - b,
  );
  return cuts.slice(0, -1).map((from, i) => [from, cuts[i + 1]!]);
}

/**
 * A donor region's clients, one per share slice: a slice's clients all have share buckets in [from, to) (in
 * hundredths of a percent), so its first bucket stands for all of them. A share raised from 10 to 50 moves the
 * `10-50%` slice from the default to the mirror, and only that slice.
 */
function donorRegionClients(
  name: string,
  cloud: string,
  region: string,
  tables: readonly RoutingTable[],
): NamedClient[] {
  const slices = shareSlices(cloud, tables);
  return slices.map(([from, to]) => ({
    name: slices.length === 1 ? name : `${name} (${from}-${to}% of its clients)`,
    client: { kind: 'located', location: { cloud, region }, bucket: Math.round(from * 100) },
  }));
}

/** Every client either table tells apart: each donor region with a mirror (by share slice), each upstream cloud, everyone else. */
function clientsOf(tables: readonly RoutingTable[]): NamedClient[] {
  const donorRegions = new Set<string>();
  const upstreamClouds = new Set<string>();
  for (const table of tables) {
    for (const [cloud, regions] of Object.entries(table.mirrors))
      for (const region of Object.keys(regions)) donorRegions.add(`${cloud}:${region}`);
    for (const cloud of table.upstreamClouds) upstreamClouds.add(cloud);
  }
  const located = (cloud: string, region: string): Client => ({ kind: 'located', location: { cloud, region } });
  return [
    ...[...donorRegions].sort().flatMap((name) => {
      const [cloud, region] = name.split(':') as [string, string];
      return donorRegionClients(name, cloud, region, tables);
    }),
    ...[...upstreamClouds].sort().map((cloud) => ({ name: cloud, client: located(cloud, '') })),
    { name: OTHER_CLIENTS, client: UNLISTED_CLIENT },
  ];
}

/** The base URL a client's blob requests are sent to (the blob's own path taken off). */
export function blobBackend(table: RoutingTable, client: Client): string {
  const location = decide(PROBE, client === CLIENT_NOT_NEEDED ? UNLISTED_CLIENT : client, table).location!;
  for (const suffix of [`/${blobKey(PROBE.digest)}`, `/${PROBE.repository}/blobs/${PROBE.digest}`])
    if (location.endsWith(suffix)) return location.slice(0, -suffix.length);
  return location;
}

/** Per Cloud Run region (sorted), every client whose blob backend differs between base and head. */
export function routingImpact(
  base: ReadonlyMap<string, RoutingTable>,
  head: ReadonlyMap<string, RoutingTable>,
): RoutingChange[] {
  const regions = [...new Set([...base.keys(), ...head.keys()])].sort();
  return regions.flatMap((region) => {
    const [before, after] = [base.get(region), head.get(region)];
    const tables = [before, after].filter((table): table is RoutingTable => table !== undefined);
    return clientsOf(tables).flatMap(({ name, client }) => {
      const from = before ? blobBackend(before, client) : null;
      const to = after ? blobBackend(after, client) : null;
      return from === to ? [] : [{ region, client: name, from, to }];
    });
  });
}
