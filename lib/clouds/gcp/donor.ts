/**
 * Google Cloud as a donor. Its role beyond a donor's (the upstream registry, the redirector, the load balancer) stays
 * in its section and its stacks; as a donor it has no blob mirrors (its clients pull from the upstream's own
 * regions) and one replication target: the fan-out from the canonical region into every other Artifact Registry
 * region, when there is one.
 */
import type { Donor, ReplicationTarget } from '../donor';
import { GCP_IP_RANGES_URL, parseGcpRanges } from './ip-ranges';
import { artifactRepository, GcpSchema, validateGcpSection, type GcpSection } from './section';

/** Every Artifact Registry region but the canonical one, in topology order. */
export function fanOutRegions(gcp: GcpSection): string[] {
  return gcp.artifactRegions.filter((region) => region !== gcp.canonicalRegion);
}

/** registry -> registry: the canonical repository into every other Artifact Registry region. */
function fanOutTargets(gcp: GcpSection): ReplicationTarget[] {
  const destinations = fanOutRegions(gcp).map((region) => artifactRepository(gcp, region));
  if (destinations.length === 0) return [];
  return [
    {
      job: 'registries',
      kind: 'registry',
      args: destinations.flatMap((destination) => ['--dest', destination.reference]),
      env: {},
      regions: destinations.map((destination) => destination.region),
      registryHosts: destinations.map((destination) => destination.host),
    },
  ];
}

export const gcpDonor = {
  id: 'gcp' as const,
  displayName: 'GCP',
  parseRanges: parseGcpRanges,
  download: { url: GCP_IP_RANGES_URL },
  fileName: 'gcp.json',
  topology: {
    schema: GcpSchema,
    validate: validateGcpSection,
    mirrors: () => ({}),
    replicationTargets: fanOutTargets,
  },
  infra: 'lib/clouds/gcp/infra/donor',
} satisfies Donor<GcpSection>;
