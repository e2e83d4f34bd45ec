/**
 * The clients npm run local simulates, one front-door port each: who they are (a real address from the donors'
 * published ranges, so the redirector classifies them as it would in production) and which of the routing rules
 * each one exercises. Pure functions of the topology and the range files.
 */
import { join } from 'node:path';
import { type Donor, isEnabled, sectionOf } from '../clouds/donor';
import { DONORS } from '../clouds/donors';
import type { IpRange } from '../clouds/ranges';
import type { RangeSource } from '../redirector/config';
import { type ClientLocation, type CloudRanges, RangeIndex } from '../redirector/range-index';
import { inShare, shareBucket } from '../redirector/share';
import { redirectorRegions, replicationDestinations, type Topology } from '../topology';

/**
 * The range files the local redirector loads, named as the published files they are samples of (generated from
 * those by lib/local/ranges/generate.ts: one prefix per region).
 */
export const LOCAL_RANGE_FILES = {
  aws: 'aws-ip-ranges.json',
  gcp: 'google-cloud-ip-ranges.json',
  azure: 'microsoft-azure-ip-ranges.json',
} as const;

export const LOCAL_RANGE_SOURCES: readonly RangeSource[] = Object.entries(LOCAL_RANGE_FILES).map(([cloud, name]) => ({
  cloud,
  file: join(__dirname, 'ranges', name),
}));

/** Which rule a client exercises. */
export type ClientRole = 'upstream-cloud' | 'mirrored-region' | 'aliased-region' | 'no-donor';

export interface SimulatedClient {
  /** `<cloud>:<region>`, or `other` for the client in no donor's network (the key in `--json`'s `clients`). */
  readonly id: string;
  readonly role: ClientRole;
  /** The client's address as the load balancer sees it. */
  readonly address: string;
  /** e.g. `an AWS client in eu-west-1, a mirrored region`. */
  readonly description: string;
}

/**
 * The no-donor client's address: in TEST-NET-3 (RFC 5737), documentation space that no cloud publishes, so it is in
 * no donor's network whatever the range files hold.
 */
export const NO_DONOR_ADDRESS = '203.0.113.10';

export const OTHER_CLIENT_ID = 'other';

/** Dotted-quad text of an IPv4 address held as a number. */
export function ipv4Text(address: number): string {
  return [24, 16, 8, 0].map((shift) => (address >>> shift) & 0xff).join('.');
}

/** The address a simulated client takes in a prefix: its first host (the prefix itself for a /31 or /32). */
export function clientAddressIn(range: IpRange & { family: 4 }): string {
  return ipv4Text(range.prefixLength <= 30 ? range.start + 1 : range.start);
}

/** Where the redirector's range index places an address; undefined when in no donor's range. */
export function locationOf(index: RangeIndex, address: string): ClientLocation | undefined {
  const id = index.lookup(address);
  return id >= 0 ? index.locations[id] : undefined;
}

/** The Cloud Run region whose redirector runs locally: the canonical region when it runs one, else the first. */
export function localRedirectorRegion(topology: Topology): string {
  const regions = redirectorRegions(topology);
  return regions.includes(topology.gcp.canonicalRegion) ? topology.gcp.canonicalRegion : regions[0]!;
}

interface Wanted {
  readonly cloud: string;
  readonly region: string;
  readonly role: ClientRole;
  /** What it is and where its blobs come from; given its address when that decides (a share of a donor's clients). */
  readonly description: string | ((address: string) => string);
}

/** The donors whose clients AWS's own rules below do not cover: each enabled one with mirrors of its own. */
function furtherMirrorDonors(topology: Topology, donors: readonly Donor[]): Donor[] {
  return donors.filter(
    (donor) =>
      donor.id !== 'aws' &&
      isEnabled(topology, donor) &&
      Object.keys(donor.topology!.mirrors(sectionOf(topology, donor)!)).length > 0,
  );
}

/**
 * A client of a donor with mirrors, in the first region its replication jobs write themselves (so its blobs were
 * copied there by the job npm run local ran), and where its blobs come from at the donor's traffic share.
 */
export function mirrorDonorClient(topology: Topology, donor: Donor): Wanted {
  const section = sectionOf(topology, donor)!;
  const mirrors = donor.topology!.mirrors(section);
  const written = donor.topology!.replicationTargets(section).flatMap((target) => target.regions);
  const region = written.find((r) => r in mirrors) ?? Object.keys(mirrors)[0]!;
  const share = section.trafficShare;
  const fallback = `the default backend (${defaultBackendOf(topology)})`;
  const from = (address: string) =>
    inShare(shareBucket(address), share) ? "blobs from its region's mirror" : `blobs from ${fallback}`;
  return {
    cloud: donor.id,
    region,
    role: 'mirrored-region',
    description: (address) =>
      `a${/^[AEIOU]/.test(donor.displayName) ? 'n' : ''} ${donor.displayName} client in ${region}, a mirrored region ` +
      `at trafficShare ${share}%: ${from(address)}`,
  };
}

/** The default blob backend of the Cloud Run region whose redirector runs locally. */
function defaultBackendOf(topology: Topology): string {
  return topology.gcp.redirector.regions[localRedirectorRegion(topology)]!.defaultBlobBackend;
}

/** Who to simulate for a topology: one client per routing rule it has. */
export function wantedClients(topology: Topology, donors: readonly Donor[] = DONORS): Wanted[] {
  const served = localRedirectorRegion(topology);
  const mirrored = replicationDestinations(topology)[0] ?? topology.aws.uploadRegion;
  const aliased = Object.keys(topology.aws.regionAliases).sort()[0];
  return [
    {
      cloud: 'gcp',
      region: served,
      role: 'upstream-cloud',
      description: `a GCP client in ${served}, a served region: blobs from Artifact Registry`,
    },
    {
      cloud: 'aws',
      region: mirrored,
      role: 'mirrored-region',
      description: `an AWS client in ${mirrored}, a mirrored region: blobs from its own bucket`,
    },
    ...(aliased
      ? [
          {
            cloud: 'aws',
            region: aliased,
            role: 'aliased-region' as const,
            description: `an AWS client in ${aliased}, aliased to ${topology.aws.regionAliases[aliased]}: blobs from that bucket`,
          },
        ]
      : []),
    ...furtherMirrorDonors(topology, donors).map((donor) => mirrorDonorClient(topology, donor)),
  ];
}

/**
 * The simulated clients, each with a real address of its region taken from `ranges` (the files the redirector
 * loads), checked to be classified as intended by the same range index the redirector builds.
 */
export function simulatedClients(
  topology: Topology,
  ranges: readonly CloudRanges[],
  donors: readonly Donor[] = DONORS,
): SimulatedClient[] {
  const index = new RangeIndex(ranges);
  const located = wantedClients(topology, donors).map((wanted): SimulatedClient => {
    const range = ranges
      .find((cloud) => cloud.cloud === wanted.cloud)
      ?.ranges.find(
        (candidate): candidate is IpRange & { family: 4 } =>
          candidate.family === 4 && candidate.region === wanted.region,
      );
    if (!range) {
      throw new Error(
        `no IPv4 range of ${wanted.cloud} region ${wanted.region} in the local range files: ` +
          'regenerate them (lib/local/ranges/generate.ts) or pick regions they hold',
      );
    }
    const address = clientAddressIn(range);
    const where = locationOf(index, address);
    if (where?.cloud !== wanted.cloud || where.region !== wanted.region) {
      throw new Error(
        `${address} (from ${wanted.cloud} ${wanted.region}) is classified as ${where ? `${where.cloud} ${where.region}` : 'no donor'}`,
      );
    }
    const description = typeof wanted.description === 'string' ? wanted.description : wanted.description(address);
    return { id: `${wanted.cloud}:${wanted.region}`, role: wanted.role, address, description };
  });
  if (locationOf(index, NO_DONOR_ADDRESS)) throw new Error(`${NO_DONOR_ADDRESS} is in a donor's range`);
  return [
    ...located,
    {
      id: OTHER_CLIENT_ID,
      role: 'no-donor',
      address: NO_DONOR_ADDRESS,
      description: `a client in no donor's network: blobs from the default backend (${defaultBackendOf(topology)})`,
    },
  ];
}
