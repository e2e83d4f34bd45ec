/**
 * Replication: scheduled Cloud Run jobs copying the canonical repository into the other Artifact Registry regions
 * and into the AWS upload bucket, each as `replication.tasks` tasks at once that share the repositories between them
 * (docs/replicator.md). Each job's identity can read the canonical repository and write only where its job copies to.
 */
import { ServiceAccount } from '@cdktf/provider-google/lib/service-account';
import type { Construct } from 'constructs';
import { replicationJobs, type Topology } from '../../../../topology';
import { apisOf } from '../apis';
import { grantRepositoryRole, type RepositoryRef } from '../docker-repository';
import { ROLES, serviceAccountMember } from '../iam';
import { GCP_OUTPUT_IDS, gcpNames, SERVICE_ACCOUNT_IDS } from '../names';
import { jobArgs, jobEnv } from '../replication-args';
import { ScheduledJob } from '../scheduled-job';
import { GcpStack, outputs } from '../stack';

/** The construct and account ids of the first two jobs, as they were named before donors: kept, not to replace them. */
const JOB_SHAPES: Readonly<Record<string, { id: string; accountId: string; what: string }>> = {
  'gcp/registries': { id: 'fan-out', accountId: SERVICE_ACCOUNT_IDS.fanOut, what: 'copies between AR regions' },
  'aws/s3': { id: 's3-upload', accountId: SERVICE_ACCOUNT_IDS.s3Upload, what: 'copies AR to S3' },
};

/** The `registry` kind of replicate (lib/replicator/kinds.ts): into OCI registries. */
const REGISTRY_KIND_NAME = 'registry';

export class ReplicationStack extends GcpStack {
  /** Every job, by `<donor>/<job>`, with the identity it runs as. */
  readonly jobs = new Map<string, { readonly job: ScheduledJob; readonly identity: ServiceAccount }>();
  /** The registry -> registry job; absent when the topology has a single Artifact Registry region. */
  readonly fanOut?: ScheduledJob;
  readonly s3Upload: ScheduledJob;
  readonly s3UploadServiceAccount: ServiceAccount;

  constructor(scope: Construct, id: string, topology: Topology) {
    super(scope, id, { topology, project: topology.gcp.servingProject, apis: apisOf(topology, 'replication') });
    const project = topology.gcp.servingProject;
    const { artifactsProject, repository, canonicalRegion } = topology.gcp;
    const { schedule, timeZone, tasks } = topology.replication;
    const names = gcpNames(topology);
    const repositoryRef = (region: string): RepositoryRef => ({
      project: artifactsProject,
      region,
      repositoryId: repository,
    });
    const serviceAccount = (id: string, accountId: string, what: string) =>
      new ServiceAccount(this, id, { project, accountId, displayName: `${topology.name}: ${what}` });
    const grant = (id: string, region: string, role: string, identity: ServiceAccount) =>
      grantRepositoryRole(this, id, repositoryRef(region), role, serviceAccountMember(identity.email));

    const scheduler = serviceAccount('scheduler', SERVICE_ACCOUNT_IDS.scheduler, 'starts the replication jobs');
    const common = {
      project,
      region: canonicalRegion,
      image: topology.images.replicator,
      schedulerServiceAccountEmail: scheduler.email,
      schedule,
      timeZone,
      tasks,
    };

    // One job per enabled donor's replication target, each with an identity that reads the canonical repository.
    for (const job of replicationJobs(topology)) {
      const shape = JOB_SHAPES[`${job.donor}/${job.job}`] ?? {
        id: job.job,
        accountId: `replicator-${job.donor}`,
        what: `copies AR to ${job.donor}`,
      };
      const identity = serviceAccount(`${shape.id}-identity`, shape.accountId, shape.what);
      grant(`${shape.id}-reads-canonical`, canonicalRegion, ROLES.artifactRegistryReader, identity);
      // Into Artifact Registry (Google Cloud's own fan-out), the identity writes each destination repository.
      if (job.kind === REGISTRY_KIND_NAME && job.donor === 'gcp')
        for (const region of job.regions)
          grant(`${shape.id}-writes-${region}`, region, ROLES.artifactRegistryWriter, identity);
      const scheduled = new ScheduledJob(this, shape.id, {
        ...common,
        name: names.replicationJob(job.job),
        args: jobArgs(topology, job),
        env: jobEnv(job),
        serviceAccountEmail: identity.email,
      });
      this.jobs.set(`${job.donor}/${job.job}`, { job: scheduled, identity });
    }
    const s3 = this.jobs.get('aws/s3');
    this.fanOut = this.jobs.get('gcp/registries')?.job;
    this.s3Upload = s3!.job;
    this.s3UploadServiceAccount = s3!.identity;

    const azure = this.jobs.get('azure/azure');
    outputs(this, {
      [GCP_OUTPUT_IDS.replicatorUniqueId]: [
        this.s3UploadServiceAccount.uniqueId,
        'Subject of the S3 job identity tokens: npm run deploy hands it to the AWS writer role (docs/deploy.md)',
      ],
      ...(azure && {
        [GCP_OUTPUT_IDS.azureReplicatorUniqueId]: [
          azure.identity.uniqueId,
          "Subject of the Azure job identity tokens: npm run deploy hands it to Azure's federated credential",
        ],
      }),
    });
  }
}
