/**
 * Google Cloud's part of the ordered deploy (lib/deploy/plan.ts): the Terraform state bucket, then one `cdktf deploy`
 * per stack, each in its phase. The replication stack outputs the unique ID of the replicator's service account,
 * which other donors' writers trust; the redirectors consume the CDN's address where a region routes to the CDN.
 */
import { cdktfDeploy, inPhase, type PhasedStep } from '../../../deploy/plan';
import type { DonorStep } from '../../../synth/donor-infra';
import { consumesDeployOutput, terraformStateBucket, type Topology } from '../../../topology';
import { GCP_OUTPUT_IDS, GCP_STACK_IDS, type GcpStackKey } from './names';

/** The step that is not one stack (the others are named after their stack: gcp-artifacts, ...). */
export const GCP_STATE_BUCKET_STEP = 'gcp-state-bucket';

function stateBucket(topology: Topology): DonorStep[] {
  const state = terraformStateBucket(topology);
  if (!state) return [];
  const bucket = `gs://${state.bucket}`;
  const project = `--project=${state.project}`;
  return [
    {
      id: GCP_STATE_BUCKET_STEP,
      tool: 'gcloud',
      summary:
        `Creates the versioned Cloud Storage bucket holding the GCP stacks' Terraform state (${state.bucket}, ` +
        `${state.location}), as cdk bootstrap does for the CDK; a bucket that exists is kept.`,
      stacks: [],
      commands: [
        {
          tool: 'gcloud',
          args: [
            'storage',
            'buckets',
            'create',
            bucket,
            project,
            `--location=${state.location}`,
            '--uniform-bucket-level-access',
            '--public-access-prevention',
          ],
          unless: { tool: 'gcloud', args: ['storage', 'buckets', 'describe', bucket, project] },
        },
        // Every state version is kept: a bad apply can be rolled back.
        { tool: 'gcloud', args: ['storage', 'buckets', 'update', bucket, project, '--versioning'] },
      ],
    },
  ];
}

function stackStep(key: GcpStackKey, summary: string, extra: Partial<DonorStep> = {}): DonorStep {
  const stack = GCP_STACK_IDS[key];
  return { id: stack, tool: 'cdktf', summary, stacks: [stack], commands: [cdktfDeploy(stack)], ...extra };
}

/** Each stack in its phase. */
function stackSteps(topology: Topology): PhasedStep[] {
  const replication = GCP_STACK_IDS.replication;
  return [
    inPhase('delivery')(
      stackStep(
        'delivery',
        "Deploys the services' image repository and the GitHub identities: the workload identity pool, the accounts images.yml and deploy.yml use.",
      ),
    ),
    inPhase('storage')(
      stackStep('artifacts', 'Deploys the Artifact Registry repositories (and enables the APIs they need).'),
    ),
    inPhase('replication')(
      stackStep(
        'replication',
        "Deploys the scheduled replication jobs and their service accounts; the S3 job's account is the subject the AWS writer role trusts.",
        // Handed on only where a consumer needs it (the plan drops a value nobody consumes).
        {
          produces: [
            { key: 'replicatorUniqueId', stack: replication, output: GCP_OUTPUT_IDS.replicatorUniqueId },
            // Only when Azure is on (the plan drops it otherwise, having no consumer).
            { key: 'azureReplicatorUniqueId', stack: replication, output: GCP_OUTPUT_IDS.azureReplicatorUniqueId },
          ],
          consumes: consumesDeployOutput(topology, 'azureReplicatorClientId')
            ? [
                {
                  key: 'azureReplicatorClientId',
                  without: 'the Azure job has no AZURE_CLIENT_ID: it stops at start, naming what it lacks',
                },
              ]
            : [],
        },
      ),
    ),
    inPhase('serving')(
      stackStep('redirector', 'Deploys the redirector, one Cloud Run service per redirector region.', {
        consumes: consumesDeployOutput(topology, 'cdnDomainName')
          ? [
              {
                key: 'cdnDomainName',
                without: `regions whose default backend is the CDN send those clients to the ${topology.aws.cdn.primaryRegion} bucket (the CDN's primary origin)`,
              },
            ]
          : [],
      }),
    ),
    inPhase('serving')(
      stackStep(
        'frontend',
        'Deploys the global load balancer, its certificate and Cloud Armor (the redirector services must exist).',
      ),
    ),
    inPhase('observability')(
      stackStep(
        'observability',
        'Deploys the request logs, the uptime check, the log-based metrics, the alerts and the dashboard.',
      ),
    ),
  ];
}

export function gcpDeploySteps(topology: Topology): PhasedStep[] {
  return [...stateBucket(topology).map(inPhase('bootstrap')), ...stackSteps(topology)];
}
