/**
 * AWS's section of the topology (`aws:`): its schema, its rules, and the names and URLs derived from it. The mirror
 * buckets are the blob mirrors of AWS clients, the CDN and the buckets are also the default blob backends of the
 * redirector regions (lib/topology/views.ts).
 *
 * Runtime-safe: the topology (and so the redirector) imports it.
 */
import * as z from 'zod';
import { BaseUrlSchema } from '../../topology/routing-table';
import type { TopologyProblem } from '../../topology/errors';
import { duplicates, quote, subjectIsKnown, unknownRegions } from '../../topology/rule-helpers';
import { aliasesPointAtMirrors, checkSection, donorSectionSchema, mirrorRegionFor, type SectionRule } from '../donor';
import { CLOUDWATCH_RETENTION_DAYS, isCloudWatchRetention } from './logs';
import { AWS_REGION_NAME, KNOWN_AWS_REGIONS } from './regions';
import { bucketBaseUrl } from './urls';

const awsRegionName = z.string().regex(AWS_REGION_NAME, { error: 'is not an AWS region name' });

export { GOOGLE_OIDC_ISSUER } from '../../topology/rule-helpers';

export const CdnSchema = z.strictObject({
  /** Deploy the CloudFront distribution. @default true */
  enabled: z.boolean().default(true),
  /** Mirror region whose bucket is the CDN's primary origin. */
  primaryRegion: awsRegionName,
  /** Mirror region whose bucket the CDN fails over to on 403/404/5xx from the primary. */
  failoverRegion: awsRegionName,
  /** Custom domain served by the CDN (needs a certificate in us-east-1). @default none: the cloudfront.net name */
  domainName: z
    .string()
    .regex(/^([a-z0-9-]+\.)+[a-z]{2,}$/, { error: 'must be a DNS name' })
    .optional(),
  /** ACM certificate (us-east-1) for domainName. @default a DNS-validated certificate is created */
  certificateArn: z
    .string()
    .regex(/^arn:aws:acm:us-east-1:\d{12}:certificate\/[\w-]+$/, {
      error: 'must be an ACM certificate ARN in us-east-1',
    })
    .optional(),
  /**
   * The URL clients use to reach the CDN, when it is not the distribution itself (a proxy in front of it, a local
   * stand-in); the redirector sends blob requests there. Never the distribution's own cloudfront.net name: a deploy
   * produces that one, and `npm run deploy` hands it from the CDN stack to the redirector stack (docs/deploy.md).
   * @default `https://<domainName>` when a domain is set, else the name the CDN stack's deploy produced; until that
   * exists, redirector regions whose default backend is the CDN send those clients to the CDN's primary bucket
   */
  publicUrl: BaseUrlSchema.optional(),
  /** CloudFront price class. @default 'PriceClass_All' */
  priceClass: z.enum(['PriceClass_100', 'PriceClass_200', 'PriceClass_All']).default('PriceClass_All'),
  /** Days the CDN's access logs are kept. @default 30 */
  logRetentionDays: z
    .number()
    .refine(isCloudWatchRetention, {
      error: `must be a CloudWatch Logs retention period (${CLOUDWATCH_RETENTION_DAYS.join(', ')} days)`,
    })
    .default(30),
});

export const WriterIdentitySchema = z.strictObject({
  /** Name of the IAM role the replication job assumes. @default 'registry-replicator-writer' */
  roleName: z
    .string()
    .regex(/^[\w+=,.@-]{1,64}$/, { error: 'must be a valid IAM role name' })
    .default('registry-replicator-writer'),
  /** OIDC issuer of the job's identity tokens (`https://accounts.google.com` for GCP service accounts). */
  oidcIssuer: z.url({ protocol: /^https$/, error: 'must be an https URL' }),
  /** Audience the job requests its token for. */
  audience: z.string().min(1),
  /**
   * Subject of the job's token, for an issuer whose subjects are known before deploying (a CI system's OIDC
   * provider). Required for any issuer but Google's.
   * @default with Google's issuer, the unique ID of the replicator's service account, which the GCP replication
   * stack creates: `npm run deploy` hands its output to the upload region's stack (docs/deploy.md); until then the
   * writer role trusts no one
   */
  subject: z.string().min(1).optional(),
});

export const AwsSchema = donorSectionSchema(
  {
    /** Account all AWS stacks deploy to (also names the writer role ARN the GCP replication job assumes). */
    accountId: z.string().regex(/^\d{12}$/, { error: 'must be a 12-digit AWS account ID' }),
    /** Bucket names are `<bucketPrefix><region>`. */
    bucketPrefix: z.string().regex(/^[a-z0-9][a-z0-9.-]*-$/, { error: 'must be lowercase and end with "-"' }),
    /** The authoritative bucket: the replication job writes here, S3 replication fans out from here. */
    uploadRegion: awsRegionName,
    /** Regions that get their own mirror bucket. */
    mirrorRegions: z.array(awsRegionName).min(1),
    /**
     * Regions without a bucket whose clients use another region's bucket (`ap-east-2` -> `ap-east-1`). Clients of an
     * AWS region that is neither a mirror nor an alias get the redirector region's default blob backend.
     */
    regionAliases: z.record(awsRegionName, awsRegionName).default({}),
    /**
     * Public base URL of a bucket; `{bucket}` and `{region}` are substituted. Point it at a local S3 stand-in in tests.
     * @default 'https://{bucket}.s3.dualstack.{region}.amazonaws.com'
     */
    blobEndpointTemplate: z
      .string()
      .regex(/^https?:\/\/\S*\{bucket\}\S*$/, { error: 'must be an http(s) URL containing {bucket}' })
      .refine((u) => !u.endsWith('/'), { error: 'must not end with "/"' })
      .default('https://{bucket}.s3.dualstack.{region}.amazonaws.com'),
    /** Days a replaced or deleted object version is kept. @default 30 */
    noncurrentVersionExpirationDays: z.number().int().positive().default(30),
    cdn: CdnSchema,
    writer: WriterIdentitySchema,
  },
  // AWS has served registry.k8s.io's AWS clients from the start.
  { enabled: true, trafficShare: 100 },
);

export type AwsSection = z.output<typeof AwsSchema>;
export type WriterIdentity = AwsSection['writer'];

/** The mirror bucket's name in a region, e.g. `prod-registry-k8s-io-us-east-2`. */
export function awsBucketName(aws: AwsSection, region: string): string {
  return `${aws.bucketPrefix}${region}`;
}

/** The public base URL of a region's mirror bucket (blob URL = base + `/containers/images/<digest>`). */
export function awsBucketUrl(aws: AwsSection, region: string): string {
  return bucketBaseUrl(aws.blobEndpointTemplate, awsBucketName(aws, region), region);
}

/** Client AWS region -> mirror base URL, for every routed region (mirrors and aliases, sorted). */
export function awsMirrors(aws: AwsSection): Record<string, string> {
  const regions = [...aws.mirrorRegions, ...Object.keys(aws.regionAliases)].sort();
  return Object.fromEntries(regions.map((region) => [region, awsBucketUrl(aws, mirrorRegionFor(aws, region)!)]));
}

type Rule = SectionRule<AwsSection>;

const regionsExist: Rule = (aws) => [
  ...unknownRegions((i) => `mirrorRegions[${i}]`, aws.mirrorRegions, KNOWN_AWS_REGIONS, 'AWS'),
  ...unknownRegions((_, r) => `regionAliases.${r}`, Object.keys(aws.regionAliases), KNOWN_AWS_REGIONS, 'AWS'),
];

const regionsListedOnce: Rule = (aws) => duplicates('mirrorRegions', aws.mirrorRegions, 'aws.mirrorRegions');

const uploadRegionHasBucket: Rule = (aws) =>
  aws.mirrorRegions.includes(aws.uploadRegion)
    ? []
    : [{ path: 'uploadRegion', message: `${quote(aws.uploadRegion)} is not one of aws.mirrorRegions` }];

const aliasesPointAtBuckets = aliasesPointAtMirrors('bucket', 'aws.mirrorRegions');

/** S3 bucket names: 3-63 characters of lowercase letters, digits, dots and hyphens. */
const bucketNamesAreValid: Rule = (aws) =>
  aws.mirrorRegions.flatMap((region, i) => {
    const name = awsBucketName(aws, region);
    return name.length > 63
      ? [{ path: `mirrorRegions[${i}]`, message: `bucket name ${quote(name)} is longer than 63 characters` }]
      : [];
  });

const cdnOriginsHaveBuckets: Rule = ({ cdn, mirrorRegions }) => {
  if (!cdn.enabled) return [];
  const problems: TopologyProblem[] = [];
  for (const key of ['primaryRegion', 'failoverRegion'] as const) {
    if (!mirrorRegions.includes(cdn[key]))
      problems.push({ path: `cdn.${key}`, message: `${quote(cdn[key])} is not one of aws.mirrorRegions` });
  }
  if (cdn.primaryRegion === cdn.failoverRegion)
    problems.push({ path: 'cdn.failoverRegion', message: 'must differ from aws.cdn.primaryRegion' });
  if (cdn.certificateArn && !cdn.domainName)
    problems.push({ path: 'cdn.certificateArn', message: 'is set but aws.cdn.domainName is not' });
  return problems;
};

const writerSubjectIsKnown: Rule = ({ writer }) => subjectIsKnown('writer.subject', writer);

const RULES: readonly Rule[] = [
  regionsExist,
  regionsListedOnce,
  uploadRegionHasBucket,
  aliasesPointAtBuckets,
  bucketNamesAreValid,
  cdnOriginsHaveBuckets,
  writerSubjectIsKnown,
];

export function validateAwsSection(aws: AwsSection): TopologyProblem[] {
  return checkSection(RULES, aws);
}
