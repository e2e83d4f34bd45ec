/**
 * AWS as a donor: its clients (ip-ranges.json) get the mirror bucket of their region; the replication job writes the
 * upload bucket, whose cross-region replication fills every other mirror.
 */
import type { Donor, ReplicationTarget } from '../donor';
import { roleArn } from './arns';
import { AWS_IP_RANGES_URL, parseAwsRanges } from './ip-ranges';
import { AwsSchema, awsBucketName, awsMirrors, validateAwsSection, type AwsSection } from './section';

/**
 * registry -> S3: the canonical repository into the upload bucket. No AWS keys: the job trades a Google ID token for
 * the audience below for the writer role's credentials.
 */
function uploadTarget(aws: AwsSection): ReplicationTarget {
  return {
    job: 's3',
    kind: 's3',
    args: s3Args(aws, aws.uploadRegion),
    env: { AWS_ROLE_ARN: roleArn(aws.accountId, aws.writer.roleName), AWS_WEB_IDENTITY_AUDIENCE: aws.writer.audience },
    regions: [aws.uploadRegion],
    registryHosts: [],
  };
}

/** The s3 kind's flags for a region's mirror bucket (also how a new mirror is backfilled). */
export function s3Args(aws: AwsSection, region: string): string[] {
  return ['--bucket', awsBucketName(aws, region), '--region', region];
}

export const awsDonor = {
  id: 'aws' as const,
  displayName: 'AWS',
  parseRanges: parseAwsRanges,
  download: { url: AWS_IP_RANGES_URL },
  fileName: 'aws.json',
  topology: {
    schema: AwsSchema,
    validate: validateAwsSection,
    mirrors: awsMirrors,
    replicationTargets: (aws) => [uploadTarget(aws)],
  },
  infra: 'lib/clouds/aws/infra/donor',
} satisfies Donor<AwsSection>;
