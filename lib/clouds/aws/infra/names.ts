/**
 * The AWS stacks' names and regions and the outputs other steps read, derived from the topology without loading
 * the CDK: the deploy plan (lib/deploy) names the stacks it deploys and the outputs it hands on with these.
 */
import type { Topology } from '../../../topology';

/** CloudFront, its certificates and its functions live in us-east-1. */
export const CDN_REGION = 'us-east-1';

export function mirrorStackName(topology: Topology, region: string): string {
  return `${topology.name}-${region}`;
}

export function cdnStackName(topology: Topology): string {
  return `${topology.name}-cdn`;
}

/** The stack of deploy.yml's identity (IAM is global; the stack sits in the upload region, always bootstrapped). */
export function deliveryStackName(topology: Topology): string {
  return `${topology.name}-delivery`;
}

/** The role deploy.yml assumes. */
export function deployRoleName(topology: Topology): string {
  return `${topology.name}-github-deploy`;
}

/** Whether a region's bucket is one of the CDN's origins. */
export function isCdnOrigin(topology: Topology, region: string): boolean {
  const { cdn } = topology.aws;
  return cdn.enabled && (region === cdn.primaryRegion || region === cdn.failoverRegion);
}

/** The regions the AWS app deploys to, sorted: every mirror region, and the CDN's when it is enabled. */
export function awsRegions(topology: Topology): string[] {
  const regions = new Set(topology.aws.mirrorRegions);
  if (topology.aws.cdn.enabled) regions.add(CDN_REGION);
  return [...regions].sort();
}

/** CloudFormation output IDs the deploy reads (`cdk deploy --outputs-file`: `{<stack name>: {<id>: value}}`). */
export const AWS_OUTPUT_IDS = {
  /** Of the CDN stack: the distribution's cloudfront.net name. */
  cdnDomainName: 'DistributionDomainName',
  /** Of the upload region's stack. */
  writerRoleArn: 'WriterRoleArn',
  /** Of every mirror stack. */
  bucketName: 'BucketName',
  /** Of the delivery stack: role-to-assume of deploy.yml (GitHub variable AWS_DEPLOY_ROLE_ARN). */
  deployRoleArn: 'DeployRoleArn',
} as const;
