/**
 * Everything the stacks, the redirector and the replicator derive from a topology. Pure functions: the same
 * topology always gives the same views, and no region list exists anywhere but in the topology.
 */
import { roleArn } from '../clouds/aws/arns';
import { bucketBaseUrl } from '../clouds/aws/urls';
import { artifactRegistryHost, artifactRegistryPath } from '../clouds/gcp/urls';
import type { RoutingTable, Upstream } from './routing-table';
import { CDN_BACKEND, type Topology } from './schema';

/** The mirror bucket's name in a region, e.g. `prod-registry-k8s-io-us-east-2`. */
export function bucketName(topology: Topology, region: string): string {
  return `${topology.aws.bucketPrefix}${region}`;
}

/** The public base URL of a region's mirror bucket (blob URL = base + `/containers/images/<digest>`). */
export function bucketUrl(topology: Topology, region: string): string {
  return bucketBaseUrl(topology.aws.blobEndpointTemplate, bucketName(topology, region), region);
}

/** Regions the upload bucket replicates to: every mirror but itself. */
export function replicationDestinations(topology: Topology): string[] {
  return topology.aws.mirrorRegions.filter((region) => region !== topology.aws.uploadRegion);
}

/** The mirror region serving clients of an AWS region (itself, or its alias target); undefined if none. */
export function mirrorRegionFor(topology: Topology, awsRegion: string): string | undefined {
  if (topology.aws.mirrorRegions.includes(awsRegion)) return awsRegion;
  return topology.aws.regionAliases[awsRegion];
}

/** Client AWS region -> mirror base URL, for every routed region (mirrors and aliases, sorted). */
export function awsMirrorMap(topology: Topology): Record<string, string> {
  const regions = [...topology.aws.mirrorRegions, ...Object.keys(topology.aws.regionAliases)].sort();
  return Object.fromEntries(regions.map((region) => [region, bucketUrl(topology, mirrorRegionFor(topology, region)!)]));
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
  if (backend === CDN_BACKEND) return cdnUrl(topology) ?? bucketUrl(topology, topology.aws.cdn.primaryRegion);
  return bucketUrl(topology, mirrorRegionFor(topology, backend)!);
}

/** The Artifact Registry repository in a region, as the redirector's upstream (a base URL and a path). */
export function artifactRegistryUpstream(topology: Topology, region: string): Upstream {
  return {
    endpoint: `https://${artifactRegistryHost(region)}`,
    path: artifactRegistryPath(topology.gcp.artifactsProject, topology.gcp.repository),
  };
}

/** An Artifact Registry repository as the replication jobs need it: where it is, and how the replicator names it. */
export interface ArtifactRepository {
  readonly region: string;
  /** Its registry host, e.g. `us-central1-docker.pkg.dev`. */
  readonly host: string;
  /** `<host>/<path>` as the replicator's `--source` and `--dest` take it, e.g. `us-central1-docker.pkg.dev/p/images`. */
  readonly reference: string;
}

function artifactRepository(topology: Topology, region: string): ArtifactRepository {
  const path = artifactRegistryPath(topology.gcp.artifactsProject, topology.gcp.repository);
  const host = artifactRegistryHost(region);
  return { region, host, reference: `${host}/${path}` };
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

/** The routing table the redirector in a Cloud Run region runs with. */
export function routingTableFor(topology: Topology, redirectorRegion: string): RoutingTable {
  redirectorRegionSettings(topology, redirectorRegion);
  const signature = topology.gcp.redirector.signatureUpstream;
  return {
    region: redirectorRegion,
    infoUrl: topology.infoUrl,
    privacyUrl: topology.privacyUrl,
    upstream: artifactRegistryUpstream(topology, redirectorRegion),
    ...(signature ? { signatureUpstream: { ...signature } } : {}),
    defaultBlobBaseUrl: defaultBlobBaseUrl(topology, redirectorRegion),
    upstreamClouds: ['gcp'],
    mirrors: { aws: awsMirrorMap(topology) },
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
    source: artifactRepository(topology, topology.gcp.canonicalRegion),
    destinations: topology.gcp.artifactRegions
      .filter((region) => region !== topology.gcp.canonicalRegion)
      .map((region) => artifactRepository(topology, region)),
  };
}

/** The registry hosts the replication jobs speak to: every Artifact Registry region's, sorted. */
export function replicationRegistryHosts(topology: Topology): string[] {
  return [...new Set(topology.gcp.artifactRegions.map(artifactRegistryHost))].sort();
}

/** Where the registry -> S3 job copies from and to. */
export interface S3Upload {
  readonly source: ArtifactRepository;
  readonly bucket: string;
  readonly region: string;
}

export function s3Upload(topology: Topology): S3Upload {
  return {
    source: artifactRepository(topology, topology.gcp.canonicalRegion),
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
