/**
 * AWS's part of the ordered deploy (lib/deploy/plan.ts): `cdk bootstrap`, the delivery role, the mirror buckets, the
 * upload bucket with the writer role (which trusts the replicator's Google identity once a GCP deploy produced it),
 * the CDN, and the backfill of a newly added mirror. Pure functions of the topology, in the CDK's stack names.
 */
import { cdkDeploy, inPhase, type PhasedStep } from '../../../deploy/plan';
import type { DonorStep } from '../../../synth/donor-infra';
import { bucketName, consumesDeployOutput, replicationDestinations, type Topology } from '../../../topology';
import { s3CopyArgs } from '../../gcp/infra/replication-args';
import { AWS_OUTPUT_IDS, awsRegions, cdnStackName, deliveryStackName, mirrorStackName } from './names';

export const AWS_STEP_IDS = {
  bootstrap: 'aws-bootstrap',
  delivery: 'aws-delivery',
  mirrors: 'aws-mirrors',
  upload: 'aws-upload',
  cdn: 'aws-cdn',
  mirrorBackfill: 'mirror-backfill',
} as const;

function bootstrap(topology: Topology): DonorStep {
  const regions = awsRegions(topology);
  return {
    id: AWS_STEP_IDS.bootstrap,
    tool: 'cdk',
    summary: `Bootstraps the CDK in account ${topology.aws.accountId} in each of the ${regions.length} regions its stacks deploy to (opt-in regions must be enabled first: --preflight checks).`,
    stacks: [],
    commands: [
      { tool: 'cdk', args: ['bootstrap', ...regions.map((region) => `aws://${topology.aws.accountId}/${region}`)] },
    ],
  };
}

function delivery(topology: Topology): DonorStep {
  const stack = deliveryStackName(topology);
  return {
    id: AWS_STEP_IDS.delivery,
    tool: 'cdk',
    summary: `Deploys the role deploy.yml assumes (GitHub Actions, ${topology.github.repository}, environment ${topology.github.environment}) and GitHub's OIDC provider.`,
    stacks: [stack],
    commands: [cdkDeploy([stack])],
  };
}

function mirrors(topology: Topology): DonorStep[] {
  const stacks = replicationDestinations(topology).map((region) => mirrorStackName(topology, region));
  if (stacks.length === 0) return [];
  return [
    {
      id: AWS_STEP_IDS.mirrors,
      tool: 'cdk',
      summary: `Deploys the mirror bucket of every region but the upload region (${stacks.length} stacks): the replication destinations.`,
      stacks,
      commands: [cdkDeploy(stacks)],
    },
  ];
}

function upload(topology: Topology): DonorStep {
  const stack = mirrorStackName(topology, topology.aws.uploadRegion);
  return {
    id: AWS_STEP_IDS.upload,
    tool: 'cdk',
    summary: `Deploys the upload bucket (${bucketName(topology, topology.aws.uploadRegion)}), its cross-region replication to every mirror (new objects only, never deletes) and the writer role the S3 job assumes.`,
    stacks: [stack],
    commands: [cdkDeploy([stack])],
    consumes: consumesDeployOutput(topology, 'replicatorUniqueId')
      ? [{ key: 'replicatorUniqueId', without: 'the writer role trusts no one (its trust policy denies every token)' }]
      : [],
  };
}

function cdn(topology: Topology): DonorStep[] {
  if (!topology.aws.cdn.enabled) return [];
  const stack = cdnStackName(topology);
  const { primaryRegion, failoverRegion } = topology.aws.cdn;
  return [
    {
      id: AWS_STEP_IDS.cdn,
      tool: 'cdk',
      summary: `Deploys the CloudFront distribution over the ${primaryRegion} and ${failoverRegion} buckets.`,
      stacks: [stack],
      commands: [cdkDeploy([stack])],
      // Handed on only where a consumer needs it (the plan drops a value nobody consumes).
      produces: [{ key: 'cdnDomainName', stack, output: AWS_OUTPUT_IDS.cdnDomainName }],
    },
  ];
}

function backfill(topology: Topology): DonorStep[] {
  const regions = replicationDestinations(topology);
  if (regions.length === 0) return [];
  return [
    {
      id: AWS_STEP_IDS.mirrorBackfill,
      tool: 'replicator',
      summary:
        'Cross-region replication copies only new objects, so a newly added mirror starts empty: this copies the ' +
        'canonical repository into each mirror bucket with the replication job (what a bucket already holds is ' +
        'skipped). Run it after adding a mirror region, with your own AWS credentials.',
      stacks: [],
      commands: regions.map((region) => ({
        tool: 'replicator',
        args: s3CopyArgs(topology, region),
      })),
      onDemand: true,
    },
  ];
}

export function awsDeploySteps(topology: Topology): PhasedStep[] {
  return [
    inPhase('bootstrap')(bootstrap(topology)),
    inPhase('delivery')(delivery(topology)),
    ...mirrors(topology).map(inPhase('storage')),
    // The upload bucket is storage too, but its writer role trusts the replication job's identity: after it.
    inPhase('writers')(upload(topology)),
    ...cdn(topology).map(inPhase('edge')),
    ...backfill(topology).map(inPhase('backfill')),
  ];
}
