/**
 * The deploy plan: the ordered steps that take a topology from nothing to a running registry, as a pure function of
 * the topology. Each step names the tool and the stacks it deploys, the outputs it produces that a later step
 * consumes, and what a consumer looks like before its producer exists. `npm run deploy -- --plan` prints it;
 * `npm run deploy` runs it (run.ts) over the standard CLIs.
 *
 * The order needs no second pass on a first deploy: every producer comes before its consumers (the replicator's
 * service account before the writer role that trusts it, the CDN before the redirectors that route to it). A later
 * change to a produced value (a CDN replaced, a service account recreated) means redeploying its consumers, which
 * each step says, and which a full run does by itself.
 */
import {
  AWS_OUTPUT_IDS,
  awsRegions,
  cdnStackName,
  deliveryStackName,
  mirrorStackName,
} from '../clouds/aws/infra/names';
import { GCP_OUTPUT_IDS, GCP_STACK_IDS, type GcpStackKey } from '../clouds/gcp/infra/names';
import { s3CopyArgs } from '../clouds/gcp/infra/replication-args';
import {
  bucketName,
  consumesDeployOutput,
  DEPLOY_OUTPUTS,
  terraformStateBucket,
  type DeployOutputKey,
  type Topology,
} from '../topology';

/** The CLIs the steps run: the CDK's, CDKTF's, Google Cloud's, and this repository's replicator. */
export type Tool = 'cdk' | 'cdktf' | 'gcloud' | 'replicator';

export interface Command {
  readonly tool: Tool;
  readonly args: readonly string[];
  /** When this command succeeds, `args` is not run (what already exists is not created again). */
  readonly unless?: { readonly tool: Tool; readonly args: readonly string[] };
  /** The stacks a cdk/cdktf deploy writes outputs for (the runner adds `--outputs-file`). */
  readonly deploys?: readonly string[];
}

/** A value this step's stack outputs that a later step consumes. */
export interface Produced {
  readonly key: DeployOutputKey;
  readonly stack: string;
  /** The CloudFormation output ID or Terraform output name. */
  readonly output: string;
  /** The steps that consume it. */
  readonly consumers: readonly string[];
}

/** A value this step's stack takes from an earlier step. */
export interface Consumed {
  readonly key: DeployOutputKey;
  readonly from: string;
  /** The environment variable the app reads it from. */
  readonly env: string;
  /** What the stack is until the value exists. */
  readonly without: string;
}

export interface Step {
  readonly id: string;
  readonly tool: Tool;
  /** What the step does, in a sentence. */
  readonly summary: string;
  readonly stacks: readonly string[];
  readonly commands: readonly Command[];
  readonly produces: readonly Produced[];
  readonly consumes: readonly Consumed[];
  /** Run only when named with --only (the backfill of a newly added mirror), never by a full run. */
  readonly onDemand: boolean;
}

export interface DeployPlan {
  readonly topology: string;
  /** What must hold before the first step. */
  readonly prerequisites: readonly string[];
  readonly steps: readonly Step[];
}

/** Steps as the plan builds them, before producers learn their consumers. */
type Draft = Omit<Step, 'produces' | 'onDemand'> & {
  readonly produces?: readonly Omit<Produced, 'consumers'>[];
  readonly onDemand?: boolean;
};

/** The steps that are not one GCP stack each (those are named after their stack: gcp-artifacts, ...). */
export const STEP_IDS = {
  stateBucket: 'gcp-state-bucket',
  awsBootstrap: 'aws-bootstrap',
  awsDelivery: 'aws-delivery',
  awsMirrors: 'aws-mirrors',
  awsUpload: 'aws-upload',
  awsCdn: 'aws-cdn',
  mirrorBackfill: 'mirror-backfill',
} as const;

const cdkDeploy = (stacks: readonly string[]): Command => ({
  tool: 'cdk',
  // --exclusively: each step deploys its own stacks; the stacks they depend on are earlier steps.
  args: ['deploy', ...stacks, '--exclusively'],
  deploys: stacks,
});

const cdktfDeploy = (stack: string): Command => ({ tool: 'cdktf', args: ['deploy', stack], deploys: [stack] });

function stateBucketStep(topology: Topology): Draft[] {
  const state = terraformStateBucket(topology);
  if (!state) return [];
  const bucket = `gs://${state.bucket}`;
  const project = `--project=${state.project}`;
  return [
    {
      id: STEP_IDS.stateBucket,
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
      consumes: [],
    },
  ];
}

function awsBootstrapStep(topology: Topology): Draft {
  const regions = awsRegions(topology);
  return {
    id: STEP_IDS.awsBootstrap,
    tool: 'cdk',
    summary: `Bootstraps the CDK in account ${topology.aws.accountId} in each of the ${regions.length} regions its stacks deploy to (opt-in regions must be enabled first: --preflight checks).`,
    stacks: [],
    commands: [
      { tool: 'cdk', args: ['bootstrap', ...regions.map((region) => `aws://${topology.aws.accountId}/${region}`)] },
    ],
    consumes: [],
  };
}

function awsDeliveryStep(topology: Topology): Draft {
  const stack = deliveryStackName(topology);
  return {
    id: STEP_IDS.awsDelivery,
    tool: 'cdk',
    summary: `Deploys the role deploy.yml assumes (GitHub Actions, ${topology.github.repository}, environment ${topology.github.environment}) and GitHub's OIDC provider.`,
    stacks: [stack],
    commands: [cdkDeploy([stack])],
    consumes: [],
  };
}

function awsMirrorsStep(topology: Topology): Draft[] {
  const stacks = topology.aws.mirrorRegions
    .filter((region) => region !== topology.aws.uploadRegion)
    .map((region) => mirrorStackName(topology, region));
  if (stacks.length === 0) return [];
  return [
    {
      id: STEP_IDS.awsMirrors,
      tool: 'cdk',
      summary: `Deploys the mirror bucket of every region but the upload region (${stacks.length} stacks): the replication destinations.`,
      stacks,
      commands: [cdkDeploy(stacks)],
      consumes: [],
    },
  ];
}

function gcpStep(key: GcpStackKey, summary: string, extra: Partial<Draft> = {}): Draft {
  const stack = GCP_STACK_IDS[key];
  return { id: stack, tool: 'cdktf', summary, stacks: [stack], commands: [cdktfDeploy(stack)], consumes: [], ...extra };
}

function consumed(topology: Topology, key: DeployOutputKey, from: string, without: string): Consumed[] {
  return consumesDeployOutput(topology, key) ? [{ key, from, env: DEPLOY_OUTPUTS[key].env, without }] : [];
}

function uploadStep(topology: Topology): Draft {
  const stack = mirrorStackName(topology, topology.aws.uploadRegion);
  return {
    id: STEP_IDS.awsUpload,
    tool: 'cdk',
    summary: `Deploys the upload bucket (${bucketName(topology, topology.aws.uploadRegion)}), its cross-region replication to every mirror (new objects only, never deletes) and the writer role the S3 job assumes.`,
    stacks: [stack],
    commands: [cdkDeploy([stack])],
    consumes: consumed(
      topology,
      'replicatorUniqueId',
      GCP_STACK_IDS.replication,
      'the writer role trusts no one (its trust policy denies every token)',
    ),
  };
}

function cdnStep(topology: Topology): Draft[] {
  if (!topology.aws.cdn.enabled) return [];
  const stack = cdnStackName(topology);
  const { primaryRegion, failoverRegion } = topology.aws.cdn;
  return [
    {
      id: STEP_IDS.awsCdn,
      tool: 'cdk',
      summary: `Deploys the CloudFront distribution over the ${primaryRegion} and ${failoverRegion} buckets.`,
      stacks: [stack],
      commands: [cdkDeploy([stack])],
      produces: consumesDeployOutput(topology, 'cdnDomainName')
        ? [{ key: 'cdnDomainName', stack, output: AWS_OUTPUT_IDS.cdnDomainName }]
        : [],
      consumes: [],
    },
  ];
}

function backfillStep(topology: Topology): Draft[] {
  const mirrors = topology.aws.mirrorRegions.filter((region) => region !== topology.aws.uploadRegion);
  if (mirrors.length === 0) return [];
  return [
    {
      id: STEP_IDS.mirrorBackfill,
      tool: 'replicator',
      summary:
        'Cross-region replication copies only new objects, so a newly added mirror starts empty: this copies the ' +
        'canonical repository into each mirror bucket with the replication job (what a bucket already holds is ' +
        'skipped). Run it after adding a mirror region, with your own AWS credentials.',
      stacks: [],
      commands: mirrors.map((region) => ({
        tool: 'replicator',
        args: s3CopyArgs(topology, bucketName(topology, region), region),
      })),
      consumes: [],
      onDemand: true,
    },
  ];
}

function drafts(topology: Topology): Draft[] {
  const replication = GCP_STACK_IDS.replication;
  return [
    ...stateBucketStep(topology),
    awsBootstrapStep(topology),
    gcpStep(
      'delivery',
      "Deploys the services' image repository and the GitHub identities: the workload identity pool, the accounts images.yml and deploy.yml use.",
    ),
    awsDeliveryStep(topology),
    ...awsMirrorsStep(topology),
    gcpStep('artifacts', 'Deploys the Artifact Registry repositories (and enables the APIs they need).'),
    gcpStep(
      'replication',
      "Deploys the scheduled replication jobs and their service accounts; the S3 job's account is the subject the AWS writer role trusts.",
      {
        produces: consumesDeployOutput(topology, 'replicatorUniqueId')
          ? [{ key: 'replicatorUniqueId', stack: replication, output: GCP_OUTPUT_IDS.replicatorUniqueId }]
          : [],
      },
    ),
    uploadStep(topology),
    ...cdnStep(topology),
    gcpStep('redirector', 'Deploys the redirector, one Cloud Run service per redirector region.', {
      consumes: consumed(
        topology,
        'cdnDomainName',
        STEP_IDS.awsCdn,
        `regions whose default backend is the CDN send those clients to the ${topology.aws.cdn.primaryRegion} bucket (the CDN's primary origin)`,
      ),
    }),
    gcpStep(
      'frontend',
      'Deploys the global load balancer, its certificate and Cloud Armor (the redirector services must exist).',
    ),
    gcpStep(
      'observability',
      'Deploys the request logs, the uptime check, the log-based metrics, the alerts and the dashboard.',
    ),
    ...backfillStep(topology),
  ];
}

function prerequisites(): string[] {
  return [
    'npm run deploy -- --preflight passes: the AWS regions are enabled, S3 Block Public Access lets the mirrors be ' +
      "public, the Google projects exist with billing, and the deployer's roles suffice (docs/deploy.md)",
    'the images of images.redirector and images.replicator are in the services repository (Cloud Run pulls them ' +
      'when gcp-replication and gcp-redirector deploy): on a first deploy, run the steps up to aws-delivery, then ' +
      '.github/workflows/images.yml, and put the digests it prints into the topology (README, "Continuous delivery")',
  ];
}

/** The deploy plan of a topology. */
export function deployPlan(topology: Topology): DeployPlan {
  const steps = drafts(topology);
  return {
    topology: topology.name,
    prerequisites: prerequisites(),
    steps: steps.map((step) => ({
      ...step,
      onDemand: step.onDemand ?? false,
      produces: (step.produces ?? []).map((produced) => ({
        ...produced,
        consumers: steps.filter((s) => s.consumes.some((c) => c.key === produced.key)).map((s) => s.id),
      })),
    })),
  };
}

/** The step ids, in order. */
export function stepIds(plan: DeployPlan): string[] {
  return plan.steps.map((step) => step.id);
}
