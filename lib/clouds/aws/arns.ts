/**
 * ARNs of things we know by name only (buckets in other stacks, the writer role's bucket). Computing them from
 * names keeps the per-region stacks free of cross-stack references. Every account in a topology is in the
 * commercial partition (China regions are aliases served from ap-east-1), so the partition is written out.
 */
export const PARTITION = 'aws';

/** `arn:aws:s3:::<bucket>` */
export function bucketArn(bucketName: string): string {
  return `arn:${PARTITION}:s3:::${bucketName}`;
}

/** `arn:aws:s3:::<bucket>/<keyPattern>`, e.g. `objectsArn('b', 'containers/images/*')`. */
export function objectsArn(bucketName: string, keyPattern: string): string {
  return `${bucketArn(bucketName)}/${keyPattern}`;
}

/** `arn:aws:iam::<account>:role/<roleName>` (IAM is global: no region; roles here have the default path "/"). */
export function roleArn(account: string, roleName: string): string {
  return `arn:${PARTITION}:iam::${account}:role/${roleName}`;
}

/** Any CloudFront distribution of an account (CloudFront ARNs have no region). */
export function distributionsArnPattern(account: string): string {
  return `arn:${PARTITION}:cloudfront::${account}:distribution/*`;
}
