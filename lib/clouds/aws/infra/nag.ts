/**
 * Every cdk-nag (AwsSolutions) acknowledgement of the AWS app, each on the one resource it concerns, naming the
 * exact finding (wildcard resources included) and saying why the design is right. docs/aws.md lists them too.
 */
import { Validations, type CfnResource } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { objectsArn } from '../arns';
import type { BlobCdn } from './blob-cdn';
import { cdkBootstrapRolesArn, cdkToolkitStacksArn, type GithubDeployRole } from './github-deploy-role';
import type { MirrorBucket } from './mirror-bucket';
import type { WriterRole } from './writer-role';

export const REASONS = {
  publicMirror:
    'A mirror serves public container image blobs to anonymous clients, so its bucket policy must be allowed to grant ' +
    's3:GetObject on the blob prefix (only there: no listing, no other prefix). ACLs stay blocked and ignored.',
  replicationReadsSource:
    'S3 replication reads every object version of the source bucket, whose keys (content digests) are unknown at ' +
    'deploy time; the actions are only the GetObjectVersion* reads replication needs.',
  replicationWritesDestination:
    'Replication copies whole buckets, so replicas land anywhere in this destination mirror bucket; the actions are ' +
    'only ReplicateObject/ReplicateTags (deletes are not replicated).',
  writerPrefix:
    'The replication job writes objects whose keys (digests) are unknown at deploy time; the wildcard is confined to ' +
    'one key prefix the job owns (blobs or markers) of the upload bucket.',
  cdnLogging:
    'Access logs go through CloudFront standard logging v2 (AWS::Logs::Delivery) to a CloudWatch log group with a ' +
    'retention; the rule only recognises the legacy Logging property, which would need an ACL-enabled bucket.',
  cdnGeo: 'The CDN serves public open-source container images to everyone; there is no country to exclude.',
  cdnWaf:
    'The distribution answers only GET/HEAD of immutable content-addressed blobs (its viewer-request function 404s ' +
    'everything else) and serves them from cache; there is no application for WAF rules to protect.',
  cdnDefaultCertificate:
    'Without topology.aws.cdn.domainName the distribution uses the *.cloudfront.net certificate, whose security ' +
    'policy CloudFront fixes; setting a domain name switches to TLSv1.2_2021.',
  deployThroughBootstrapRoles:
    'The deploy identity deploys the way cdk deploy does for a person: through the CDK bootstrap roles of every ' +
    'region (deploy, file publishing, lookup), whose names share the qualifier and differ by region and account.',
  checkBootstrapStacks:
    'cdk bootstrap of an already bootstrapped region reads the CDKToolkit stack of that region and runs an empty ' +
    'change set; the stack ID ends in a random suffix. Any real change would need permissions the role lacks.',
} as const;

function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

function resourceOf(scope: IConstruct): CfnResource {
  return scope.node.defaultChild as CfnResource;
}

export function acknowledgeMirrorFindings(mirror: MirrorBucket): void {
  acknowledge(resourceOf(mirror.bucket), 'AwsSolutions-S2', REASONS.publicMirror);
  if (mirror.replicationRole) {
    const role = resourceOf(mirror.replicationRole);
    acknowledge(role, iam5(objectsArn(mirror.bucketName, '*')), REASONS.replicationReadsSource);
    for (const destination of mirror.replicationDestinations) {
      acknowledge(role, iam5(objectsArn(destination.bucketName, '*')), REASONS.replicationWritesDestination);
    }
  }
}

export function acknowledgeWriterFindings(writer: WriterRole): void {
  const role = resourceOf(writer.role);
  for (const prefix of writer.prefixes) {
    acknowledge(role, iam5(objectsArn(writer.bucketName, `${prefix}*`)), REASONS.writerPrefix);
  }
}

export function acknowledgeCdnFindings(cdn: BlobCdn): void {
  const distribution = resourceOf(cdn.distribution);
  acknowledge(distribution, 'AwsSolutions-CFR1', REASONS.cdnGeo);
  acknowledge(distribution, 'AwsSolutions-CFR2', REASONS.cdnWaf);
  acknowledge(distribution, 'AwsSolutions-CFR3', REASONS.cdnLogging);
  if (!cdn.certificate) acknowledge(distribution, 'AwsSolutions-CFR4', REASONS.cdnDefaultCertificate);
}

export function acknowledgeDeployRoleFindings(deploy: GithubDeployRole): void {
  const role = resourceOf(deploy.role);
  acknowledge(role, iam5(cdkBootstrapRolesArn(deploy.account)), REASONS.deployThroughBootstrapRoles);
  acknowledge(role, iam5(cdkToolkitStacksArn(deploy.account)), REASONS.checkBootstrapStacks);
}

/** The finding ID of a wildcard resource in an IAM policy. */
function iam5(resource: string): string {
  return `AwsSolutions-IAM5[Resource::${resource}]`;
}
