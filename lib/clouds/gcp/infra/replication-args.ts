/**
 * The command lines and environments of the replication jobs, as pure functions of the topology: what the
 * replicator (bin/replicate.ts) is started with in Cloud Run.
 */
import { s3Args } from '../../aws/donor';
import { replicationJobs, replicationSource, type ReplicationJob, type Topology } from '../../../topology';

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

/** A replication job's command line: its kind, the canonical repository as the source, its own flags, the budgets. */
export function jobArgs(topology: Topology, job: Pick<ReplicationJob, 'kind' | 'args' | 'registryHosts'>): string[] {
  const source = replicationSource(topology);
  return [
    job.kind,
    '--source',
    source.reference,
    ...job.args,
    ...rateArgs(topology, [source.host, ...job.registryHosts]),
    ...repositoryArgs(topology),
  ];
}

/** A job's environment: the source's credentials (the job's own service account), then what its donor needs. */
export function jobEnv(job: Pick<ReplicationJob, 'env'>): Record<string, string> {
  return { REGISTRY_AUTH: REGISTRY_AUTH_GCP_METADATA, ...job.env };
}

/** The job of a donor's target by its short name (e.g. gcp's `registries`); undefined when the topology has none. */
export function replicationJob(topology: Topology, donor: string, job: string): ReplicationJob | undefined {
  return replicationJobs(topology).find((j) => j.donor === donor && j.job === job);
}

/** registry -> registry: the canonical repository into every other Artifact Registry region. */
export function fanOutJobArgs(topology: Topology): string[] {
  const job = replicationJob(topology, 'gcp', 'registries');
  return job ? jobArgs(topology, job) : [];
}

/** registry -> S3: the canonical repository into the upload bucket (S3 replication does the rest). */
export function s3UploadJobArgs(topology: Topology): string[] {
  return jobArgs(topology, replicationJob(topology, 'aws', 's3')!);
}

/**
 * The same copy into any mirror bucket: how a newly added mirror region, which cross-region replication leaves
 * empty (it copies only new objects), is backfilled (the deploy plan's mirror-backfill step).
 */
export function s3CopyArgs(topology: Topology, region: string): string[] {
  return jobArgs(topology, { kind: 's3', args: s3Args(topology.aws, region), registryHosts: [] });
}

export function fanOutJobEnv(): Record<string, string> {
  return jobEnv({ env: {} });
}

/** No AWS keys: the job trades a Google ID token for the writer role's credentials (the AWS donor's target says how). */
export function s3UploadJobEnv(topology: Topology): Record<string, string> {
  return jobEnv(replicationJob(topology, 'aws', 's3')!);
}
