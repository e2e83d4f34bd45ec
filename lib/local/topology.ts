/**
 * A topology as it runs on one machine: the same file and the same views as in the clouds, with every public
 * address replaced by a local stand-in's, so that nothing local ever sends a request off the machine.
 */
import { join } from 'node:path';
import { artifactRegistryHost } from '../clouds/gcp/urls';
import { bucketName, readTopologyFile, replicationDestinations, type Topology } from '../topology';

/** The topology npm run local runs without --topology. */
export const DEFAULT_LOCAL_TOPOLOGY = join(__dirname, '../../examples/local.yaml');

export { readTopologyFile };

/**
 * The topology with its buckets served by the local S3 stand-in (path-style: `<endpoint>/<bucket>`), its CDN played
 * by the CDN's primary origin bucket, and no separate signature registry (signatures come from the upstream).
 */
export function localTopology(topology: Topology, s3Endpoint: string): Topology {
  const { aws } = topology;
  return {
    ...topology,
    aws: {
      ...aws,
      blobEndpointTemplate: `${s3Endpoint}/{bucket}`,
      cdn: { ...aws.cdn, publicUrl: `${s3Endpoint}/${bucketName(topology, aws.cdn.primaryRegion)}` },
    },
    gcp: { ...topology.gcp, redirector: { ...topology.gcp.redirector, signatureUpstream: undefined } },
  };
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
