/**
 * Replication: scheduled Cloud Run jobs copying the canonical repository into the other Artifact Registry regions
 * and into the AWS upload bucket, each as `replication.tasks` tasks at once that share the repositories between them
 * (docs/replicator.md). Each job's identity can read the canonical repository and write only where its job copies to.
 */
import { ServiceAccount } from '@cdktf/provider-google/lib/service-account';
import type { Construct } from 'constructs';
import { registryFanOut, s3Upload, type Topology } from '../../../../topology';
import { apisOf } from '../apis';
import { grantRepositoryRole, type RepositoryRef } from '../docker-repository';
import { ROLES, serviceAccountMember } from '../iam';
import { GCP_OUTPUT_IDS, gcpNames, SERVICE_ACCOUNT_IDS } from '../names';
import { fanOutJobArgs, fanOutJobEnv, s3UploadJobArgs, s3UploadJobEnv } from '../replication-args';
import { ScheduledJob } from '../scheduled-job';
import { GcpStack, outputs } from '../stack';

export class ReplicationStack extends GcpStack {
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

    const fanOut = registryFanOut(topology);
    if (fanOut.destinations.length > 0) {
      const fanOutIdentity = serviceAccount(
        'fan-out-identity',
        SERVICE_ACCOUNT_IDS.fanOut,
        'copies between AR regions',
      );
      grant('fan-out-reads-canonical', fanOut.source.region, ROLES.artifactRegistryReader, fanOutIdentity);
      for (const { region } of fanOut.destinations) {
        grant(`fan-out-writes-${region}`, region, ROLES.artifactRegistryWriter, fanOutIdentity);
      }
      this.fanOut = new ScheduledJob(this, 'fan-out', {
        ...common,
        name: names.fanOutJob,
        args: fanOutJobArgs(topology),
        env: fanOutJobEnv(),
        serviceAccountEmail: fanOutIdentity.email,
      });
    }

    this.s3UploadServiceAccount = serviceAccount('s3-upload-identity', SERVICE_ACCOUNT_IDS.s3Upload, 'copies AR to S3');
    const upload = s3Upload(topology);
    grant('s3-upload-reads-canonical', upload.source.region, ROLES.artifactRegistryReader, this.s3UploadServiceAccount);
    this.s3Upload = new ScheduledJob(this, 's3-upload', {
      ...common,
      name: names.s3UploadJob,
      args: s3UploadJobArgs(topology),
      env: s3UploadJobEnv(topology),
      serviceAccountEmail: this.s3UploadServiceAccount.email,
    });

    outputs(this, {
      [GCP_OUTPUT_IDS.replicatorUniqueId]: [
        this.s3UploadServiceAccount.uniqueId,
        'Subject of the S3 job identity tokens: npm run deploy hands it to the AWS writer role (docs/deploy.md)',
      ],
    });
  }
}
