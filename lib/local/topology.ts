/**
 * A topology as it runs on one machine: the same file and the same views as in the clouds, with every public
 * address replaced by a local stand-in's, so that nothing local ever sends a request off the machine.
 */
import { join } from 'node:path';
import { azureMirrors } from '../clouds/azure/section';
import { artifactRegistryHost } from '../clouds/gcp/urls';
import { bucketName, readTopologyFile, replicationDestinations, type Topology } from '../topology';

/** The topology npm run local runs without --topology. */
export const DEFAULT_LOCAL_TOPOLOGY = join(__dirname, '../../examples/local.yaml');

export { readTopologyFile };

/** Where the local stand-ins of the donors' blob storage answer. */
export interface LocalEndpoints {
  /** The S3 stand-in, `http://127.0.0.1:<port>`. */
  readonly s3: string;
  /** Azurite's account endpoint, `http://127.0.0.1:<port>/{account}`; needed when the topology has Azure on. */
  readonly azure?: string;
}

/**
 * The topology with its buckets served by the local S3 stand-in (path-style: `<endpoint>/<bucket>`), its CDN played
 * by the CDN's primary origin bucket, its Azure accounts by Azurite, and no separate signature registry (signatures
 * come from the upstream). Throws when Azure is on and no Azurite endpoint is given: it would point at Azure.
 */
export function localTopology(topology: Topology, endpoints: LocalEndpoints): Topology {
  const { aws, azure } = topology;
  if (azure?.enabled && endpoints.azure === undefined)
    throw new Error('the topology has Azure on: its accounts need a local endpoint (Azurite)');
  return {
    ...topology,
    aws: {
      ...aws,
      blobEndpointTemplate: `${endpoints.s3}/{bucket}`,
      cdn: { ...aws.cdn, publicUrl: `${endpoints.s3}/${bucketName(topology, aws.cdn.primaryRegion)}` },
    },
    gcp: { ...topology.gcp, redirector: { ...topology.gcp.redirector, signatureUpstream: undefined } },
    ...(azure?.enabled ? { azure: { ...azure, blobEndpointTemplate: endpoints.azure! } } : {}),
  };
}

/** Whether npm run local starts Azurite: the topology has Azure on. */
export function wantsAzurite(topology: Topology): boolean {
  return topology.azure?.enabled === true;
}

/** An Azure mirror region's storage account and its container, as Azurite emulates them. */
export interface LocalAzureContainer {
  readonly account: string;
  readonly container: string;
}

/** The Azure storage accounts to emulate, one per mirror region (each holding the section's container). */
export function localAzureAccounts(topology: Topology): LocalAzureContainer[] {
  return topology.azure?.enabled
    ? azureMirrors(topology.azure).map(({ account, container }) => ({ account, container }))
    : [];
}

/** The buckets: the upload bucket and every other mirror bucket (the upload bucket is its region's mirror too). */
export interface LocalBuckets {
  readonly upload: string;
  /** By AWS region, every mirror bucket including the upload bucket. */
  readonly byRegion: ReadonlyMap<string, string>;
  /** Where S3 replication copies the upload bucket's objects. */
  readonly replicated: readonly string[];
}

export function localBuckets(topology: Topology): LocalBuckets {
  return {
    upload: bucketName(topology, topology.aws.uploadRegion),
    byRegion: new Map(topology.aws.mirrorRegions.map((region) => [region, bucketName(topology, region)])),
    replicated: replicationDestinations(topology).map((region) => bucketName(topology, region)),
  };
}

/** Artifact Registry's host in each region (`us-central1-docker.pkg.dev`), to be replaced by a local registry's. */
export function artifactRegistryHosts(topology: Topology): ReadonlyMap<string, string> {
  return new Map(topology.gcp.artifactRegions.map((region) => [region, artifactRegistryHost(region)]));
}
