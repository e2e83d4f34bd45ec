/**
 * Everything the stacks, the redirector and the replicator derive from a topology. Pure functions: the same
 * topology always gives the same views, and no region list exists anywhere but in the topology.
 */
import { roleArn } from '../clouds/aws/arns';
import { awsBucketName, awsBucketUrl } from '../clouds/aws/section';
import { isEnabled, mirrorRegionFor, sectionOf, type Donor, type ReplicationTarget } from '../clouds/donor';
import { DONORS } from '../clouds/donors';
import { fanOutRegions } from '../clouds/gcp/donor';
import { artifactRepository, type ArtifactRepository } from '../clouds/gcp/section';
import { artifactRegistryHost, artifactRegistryPath } from '../clouds/gcp/urls';
import type { RoutingTable, Upstream } from './routing-table';
import { CDN_BACKEND, type Topology } from './schema';

export type { ArtifactRepository } from '../clouds/gcp/section';

/** The donors that take part in a topology (a section, enabled), in registry order. */
export function enabledDonors(topology: Topology, donors: readonly Donor[] = DONORS): Donor[] {
  return donors.filter((donor) => isEnabled(topology, donor));
}

/** The mirror bucket's name in a region, e.g. `prod-registry-k8s-io-us-east-2`. */
export function bucketName(topology: Topology, region: string): string {
  return awsBucketName(topology.aws, region);
}

/** Regions the upload bucket replicates to: every mirror but itself. */
export function replicationDestinations(topology: Topology): string[] {
  return topology.aws.mirrorRegions.filter((region) => region !== topology.aws.uploadRegion);
}

/** Per enabled donor with mirrors: client region -> mirror base URL (the routing table's `mirrors`). */
export function donorMirrors(
  topology: Topology,
  donors: readonly Donor[] = DONORS,
): Record<string, Record<string, string>> {
  return Object.fromEntries(
    enabledDonors(topology, donors).flatMap((donor) => {
      const mirrors = donor.topology!.mirrors(sectionOf(topology, donor)!);
      return Object.keys(mirrors).length > 0 ? [[donor.id, mirrors]] : [];
    }),
  );
}

/**
 * Per enabled donor with mirrors, its traffic share (the routing table's `mirrorShares`), for the donors in a gradual
 * rollout only: a donor absent from it is at 100%, so a topology without one keeps its routing tables as they were.
 */
export function donorMirrorShares(topology: Topology, donors: readonly Donor[] = DONORS): Record<string, number> {
  const mirrored = Object.keys(donorMirrors(topology, donors));
  return Object.fromEntries(
    enabledDonors(topology, donors)
      .filter((donor) => mirrored.includes(donor.id))
      .map((donor) => [donor.id, sectionOf(topology, donor)!.trafficShare] as const)
      .filter(([, share]) => share < 100),
  );
}

/** How clients reach the CDN; undefined when it has no known address yet. */
export function cdnUrl(topology: Topology): string | undefined {
  const { cdn } = topology.aws;
  return cdn.publicUrl ?? (cdn.domainName ? `https://${cdn.domainName}` : undefined);
}

/**
 * The blob base URL for clients outside the donors' networks, as configured for a Cloud Run region. A region whose
 * backend is the CDN uses the CDN's primary bucket until the CDN's address is known (the CDN stack's deploy produces
 * it): the same blobs, from one region instead of the edge.
 */
export function defaultBlobBaseUrl(topology: Topology, redirectorRegion: string): string {
  const backend = redirectorRegionSettings(topology, redirectorRegion).defaultBlobBackend;
  if (backend === CDN_BACKEND) return cdnUrl(topology) ?? awsBucketUrl(topology.aws, topology.aws.cdn.primaryRegion);
  return awsBucketUrl(topology.aws, mirrorRegionFor(topology.aws, backend)!);
}

/** The Artifact Registry repository in a region, as the redirector's upstream (a base URL and a path). */
export function artifactRegistryUpstream(topology: Topology, region: string): Upstream {
  return {
    endpoint: `https://${artifactRegistryHost(region)}`,
    path: artifactRegistryPath(topology.gcp.artifactsProject, topology.gcp.repository),
  };
}

/** The Cloud Run regions running the redirector, sorted. */
export function redirectorRegions(topology: Topology): string[] {
  return Object.keys(topology.gcp.redirector.regions).sort();
}

function redirectorRegionSettings(topology: Topology, region: string) {
  const settings = topology.gcp.redirector.regions[region];
  if (!settings) {
    throw new Error(
      `${JSON.stringify(region)} is not a redirector region (known: ${redirectorRegions(topology).join(', ')})`,
    );
  }
  return settings;
}

/** The routing table the redirector in a Cloud Run region runs with; the mirrors are the enabled donors'. */
export function routingTableFor(
  topology: Topology,
  redirectorRegion: string,
  donors: readonly Donor[] = DONORS,
): RoutingTable {
  redirectorRegionSettings(topology, redirectorRegion);
  const signature = topology.gcp.redirector.signatureUpstream;
  const mirrorShares = donorMirrorShares(topology, donors);
  return {
    region: redirectorRegion,
    infoUrl: topology.infoUrl,
    privacyUrl: topology.privacyUrl,
    upstream: artifactRegistryUpstream(topology, redirectorRegion),
    ...(signature ? { signatureUpstream: { ...signature } } : {}),
    defaultBlobBaseUrl: defaultBlobBaseUrl(topology, redirectorRegion),
    // Google Cloud hosts the upstream: its clients pull from the Artifact Registry region nearest to them.
    upstreamClouds: ['gcp'],
    mirrors: donorMirrors(topology, donors),
    ...(Object.keys(mirrorShares).length > 0 ? { mirrorShares } : {}),
  };
}

/** Where the registry -> registry job copies from and to. */
export interface RegistryFanOut {
  /** The canonical region's repository. */
  readonly source: ArtifactRepository;
  /** Every other Artifact Registry region's repository, in topology order; empty with a single region. */
  readonly destinations: readonly ArtifactRepository[];
}

export function registryFanOut(topology: Topology): RegistryFanOut {
  return {
    source: replicationSource(topology),
    destinations: fanOutRegions(topology.gcp).map((region) => artifactRepository(topology.gcp, region)),
  };
}

/** Where every replication job copies from: the canonical region's Artifact Registry repository. */
export function replicationSource(topology: Topology): ArtifactRepository {
  return artifactRepository(topology.gcp, topology.gcp.canonicalRegion);
}

/** A replication job: one enabled donor's target. */
export interface ReplicationJob extends ReplicationTarget {
  /** The donor it copies into. */
  readonly donor: string;
}

/** Every replication job of the topology: the targets of the enabled donors, in registry order. */
export function replicationJobs(topology: Topology, donors: readonly Donor[] = DONORS): ReplicationJob[] {
  return enabledDonors(topology, donors).flatMap((donor) =>
    donor.topology!.replicationTargets(sectionOf(topology, donor)!).map((target) => ({ donor: donor.id, ...target })),
  );
}

/** The registry hosts the replication jobs speak to: the source's and every job's destinations', sorted. */
export function replicationRegistryHosts(topology: Topology, donors: readonly Donor[] = DONORS): string[] {
  const hosts = [
    replicationSource(topology).host,
    ...replicationJobs(topology, donors).flatMap((j) => j.registryHosts),
  ];
  return [...new Set(hosts)].sort();
}

/** Where the registry -> S3 job copies from and to. */
export interface S3Upload {
  readonly source: ArtifactRepository;
  readonly bucket: string;
  readonly region: string;
}

export function s3Upload(topology: Topology): S3Upload {
  return {
    source: replicationSource(topology),
    bucket: bucketName(topology, topology.aws.uploadRegion),
    region: topology.aws.uploadRegion,
  };
}

/** The ARN of the IAM role the replication job assumes to write to the upload bucket. */
export function writerRoleArn(topology: Topology): string {
  return roleArn(topology.aws.accountId, topology.aws.writer.roleName);
}

/** Where the GCP stacks' Terraform state lives, when the topology keeps it in Cloud Storage. */
export interface TerraformStateBucket {
  readonly bucket: string;
  readonly project: string;
  readonly location: string;
  /** Each stack's state is under `<prefix>/<stack id>`; no trailing "/". */
  readonly prefix: string;
}

/** The state bucket the deploy's first step creates; undefined when the topology asks for local state. */
export function terraformStateBucket(topology: Topology): TerraformStateBucket | undefined {
  const backend = topology.gcp.stateBackend;
  if (backend.type === 'local') return undefined;
  const project = topology.gcp.servingProject;
  return {
    bucket: backend.bucket ?? `${project}-terraform-state`,
    project,
    location: backend.location ?? topology.gcp.canonicalRegion,
    prefix: backend.prefix.replace(/\/+$/, ''),
  };
}
