/**
 * The command lines and environments of the replication jobs, as pure functions of the topology: what the
 * replicator (bin/replicate.ts) is started with in Cloud Run.
 */
import { registryFanOut, s3Upload, writerRoleArn, type Topology } from '../../../topology';

/** How the replicator authenticates to Artifact Registry: the job's service account, via the metadata server. */
export const REGISTRY_AUTH_GCP_METADATA = 'gcp-metadata';

/**
 * Per task, blobs copied at once; per job, the request budget of each registry host it speaks to (`--rps`, and
 * `--host-rps` for the hosts the topology budgets apart). Each task of the job keeps 1/tasks of each budget.
 */
function rateArgs(topology: Topology, hosts: readonly string[]): string[] {
  const { concurrency, requestsPerSecond, requestsPerSecondByHost } = topology.replication;
  const ownBudgets = [...new Set(hosts)]
    .filter((host) => requestsPerSecondByHost[host] !== undefined)
    .flatMap((host) => ['--host-rps', `${host}=${requestsPerSecondByHost[host]}`]);
  return ['--concurrency', String(concurrency), '--rps', String(requestsPerSecond), ...ownBudgets];
}

function repositoryArgs(topology: Topology): string[] {
  const repositories = topology.replication.repositories;
  return repositories ? ['--repos', repositories.join(',')] : [];
}

/** registry -> registry: the canonical repository into every other Artifact Registry region. */
export function fanOutJobArgs(topology: Topology): string[] {
  const { source, destinations } = registryFanOut(topology);
  return [
    'registry',
    '--source',
    source.reference,
    ...destinations.flatMap((destination) => ['--dest', destination.reference]),
    ...rateArgs(topology, [source.host, ...destinations.map((destination) => destination.host)]),
    ...repositoryArgs(topology),
  ];
}

export function fanOutJobEnv(): Record<string, string> {
  return { REGISTRY_AUTH: REGISTRY_AUTH_GCP_METADATA };
}

/** registry -> S3: the canonical repository into the upload bucket (S3 replication does the rest). */
export function s3UploadJobArgs(topology: Topology): string[] {
  const { bucket, region } = s3Upload(topology);
  return s3CopyArgs(topology, bucket, region);
}

/**
 * The same copy into any mirror bucket: how a newly added mirror region, which cross-region replication leaves
 * empty (it copies only new objects), is backfilled (the deploy plan's mirror-backfill step).
 */
export function s3CopyArgs(topology: Topology, bucket: string, region: string): string[] {
  const { source } = s3Upload(topology);
  return [
    's3',
    '--source',
    source.reference,
    '--bucket',
    bucket,
    '--region',
    region,
    ...rateArgs(topology, [source.host]),
    ...repositoryArgs(topology),
  ];
}

/** No AWS keys: the job trades a Google ID token for the audience below for the writer role's credentials. */
export function s3UploadJobEnv(topology: Topology): Record<string, string> {
  return {
    REGISTRY_AUTH: REGISTRY_AUTH_GCP_METADATA,
    AWS_ROLE_ARN: writerRoleArn(topology),
    AWS_WEB_IDENTITY_AUDIENCE: topology.aws.writer.audience,
  };
}
