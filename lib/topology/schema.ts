/**
 * The shape of a topology: field types, formats and defaults. Cross-field rules (a region must exist, an alias
 * must point at a bucket, ...) live in validate.ts so that every problem is reported at once, each with its path.
 *
 * Runtime-safe: imported by the redirector and the replicator, so it must never import infrastructure libraries.
 */
import { z } from 'zod';
import { CLOUDWATCH_RETENTION_DAYS, isCloudWatchRetention } from '../clouds/aws/logs';
import { AWS_REGION_NAME } from '../clouds/aws/regions';
import { GCP_REGION_NAME } from '../clouds/gcp/regions';
import { isRepositoryName } from '../oci/grammar';
import { isHost } from '../oci/location';
import { BaseUrlSchema, UpstreamSchema } from './routing-table';

const awsRegionName = z.string().regex(AWS_REGION_NAME, { error: 'is not an AWS region name' });
const gcpRegionName = z.string().regex(GCP_REGION_NAME, { error: 'is not a Google Cloud region name' });

const cronExpression = z
  .string()
  .regex(/^(\S+\s+){4}\S+$/, { error: 'must be a five-field cron expression (minute hour day month weekday)' });

/** A digest pin: `@sha256:<64 hex>` at the end of an image reference. */
const IMAGE_DIGEST = /@sha256:[a-f0-9]{64}$/;

/** Whether an image reference names its content by digest (`name@sha256:...` or `name:tag@sha256:...`). */
export function isDigestPinned(reference: string): boolean {
  return IMAGE_DIGEST.test(reference);
}

/** A container image reference with a tag, a digest or both: `host/path/name:tag`, `...@sha256:<hex>`. */
const imageReference = z
  .string()
  .regex(
    /^[a-z0-9.-]+(:\d+)?(\/[a-z0-9._-]+)+(:[\w][\w.-]{0,127}|@sha256:[a-f0-9]{64}|:[\w][\w.-]{0,127}@sha256:[a-f0-9]{64})$/,
    {
      error:
        'must be an image reference with a digest (or a tag), e.g. us-docker.pkg.dev/project/repo/name@sha256:<64 hex>',
    },
  );

/** Where a redirector region sends blob requests of clients in no donor's network: the CDN or a mirror region. */
export const CDN_BACKEND = 'cdn';

/** Google's OIDC issuer: its tokens' subject is a service account's unique ID, which only a deploy produces. */
export const GOOGLE_OIDC_ISSUER = 'https://accounts.google.com';

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

export const AwsSchema = z.strictObject({
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
});

export const RedirectorRegionSchema = z.strictObject({
  /** Blob backend for clients in no donor's network: `'cdn'` or a mirror region (or alias). */
  defaultBlobBackend: z.string().min(1),
});

export const RedirectorSchema = z.strictObject({
  /** Cloud Run regions running the redirector, each with its own defaults. */
  regions: z.record(gcpRegionName, RedirectorRegionSchema),
  /** @default '1' */
  cpu: z
    .string()
    .regex(/^\d+(\.\d+)?$|^\d+m$/, { error: 'must be a Cloud Run CPU value like "1" or "1000m"' })
    .default('1'),
  /** @default '512Mi' */
  memory: z
    .string()
    .regex(/^\d+(Mi|Gi)$/, { error: 'must be a Cloud Run memory value like "512Mi"' })
    .default('512Mi'),
  /** Requests one instance serves at once. @default 800 */
  concurrency: z.number().int().min(1).max(1000).default(800),
  /** @default 0 */
  minInstances: z.number().int().min(0).default(0),
  /** @default 10 */
  maxInstances: z.number().int().min(1).default(10),
  /** Request timeout. @default 60 */
  timeoutSeconds: z.number().int().min(1).max(3600).default(60),
  /** Registry serving cosign signatures, when they live apart from the images. @default none */
  signatureUpstream: UpstreamSchema.optional(),
});

export const CloudArmorSchema = z.strictObject({
  /** Requests one client IP may make per interval before it gets 429s. @default 5000 */
  rateLimitCount: z.number().int().positive().default(5000),
  /** @default 60 */
  rateLimitIntervalSeconds: z
    .union([10, 30, 60, 120, 180, 240, 300, 600, 900, 1200, 1800, 2700, 3600].map((n) => z.literal(n)))
    .default(60),
  /** Sensitivity of the preconfigured WAF rules (1 = fewest false positives). @default 1 */
  wafSensitivity: z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4)]).default(1),
});

export const AlertThresholdsSchema = z.strictObject({
  /** 5xx answers at the load balancer, in percent of its requests over 5 minutes. @default 1 */
  serverErrorPercent: z.number().positive().max(100).default(1),
  /** p99 of the load balancer's backend latency (the redirectors' answer time), in ms, for 10 minutes. @default 1000 */
  p99LatencyMs: z.number().int().positive().default(1000),
  /** Requests per second answered 429 by Cloud Armor's per-client throttle, over 5 minutes. @default 10 */
  throttledPerSecond: z.number().positive().default(10),
});

export const ObservabilitySchema = z.strictObject({
  /** Where alerts go. */
  notificationEmail: z.email({ error: 'must be an e-mail address' }),
  /** BigQuery dataset receiving request logs. @default 'registry_request_logs' */
  logDataset: z
    .string()
    .regex(/^\w{1,1024}$/, { error: 'must be a BigQuery dataset ID' })
    .default('registry_request_logs'),
  /** Alert when the TLS certificate expires in fewer days than this. @default 15 */
  certificateExpiryDays: z.number().int().positive().default(15),
  /**
   * Days a day of request logs is kept in BigQuery before its partition is deleted. The logs hold client IP
   * addresses (personal data): keep them no longer than the traffic analysis needs. @default 30
   */
  requestLogRetentionDays: z.number().int().min(1).max(3650).default(30),
  /** When the alerts fire (docs/runbook.md says what each means and what to do). */
  alerts: AlertThresholdsSchema.default(AlertThresholdsSchema.parse({})),
});

const gcsBucketName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/, { error: 'must be a Cloud Storage bucket name (3-63 characters)' });

export const StateBackendSchema = z.discriminatedUnion('type', [
  /** State files in the working directory (`terraform.<stack>.tfstate`): for trying things out, never for a registry. */
  z.strictObject({ type: z.literal('local') }),
  /**
   * A versioned Cloud Storage bucket in the serving project, created by the deploy's first step (as `cdk bootstrap`
   * creates the CDK's bucket), one prefix per stack.
   */
  z.strictObject({
    type: z.literal('gcs'),
    /** @default `<gcp.servingProject>-terraform-state` */
    bucket: gcsBucketName.optional(),
    /** Where the bootstrap step creates the bucket. @default gcp.canonicalRegion */
    location: z
      .string()
      .regex(/^[A-Za-z0-9-]+$/, { error: 'must be a Cloud Storage location, e.g. us-central1 or US' })
      .optional(),
    /** @default 'terraform/state' */
    prefix: z.string().default('terraform/state'),
  }),
]);

export const GcpSchema = z.strictObject({
  /** Project holding the Artifact Registry repositories. */
  artifactsProject: z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, { error: 'is not a GCP project ID' }),
  /** Project holding the redirector, the load balancer and the replication jobs. */
  servingProject: z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, { error: 'is not a GCP project ID' }),
  /** Artifact Registry repository ID, the same in every region. */
  repository: z.string().regex(/^[a-z]([a-z0-9-]*[a-z0-9])?$/, { error: 'is not an Artifact Registry repository ID' }),
  /** The region images are promoted to; replication fans out from here. */
  canonicalRegion: gcpRegionName,
  /** Regions with an Artifact Registry repository. */
  artifactRegions: z.array(gcpRegionName).min(1),
  /** Refuse to move an existing tag. @default false */
  immutableTags: z.boolean().default(false),
  redirector: RedirectorSchema,
  /** Public host name of the registry, e.g. `registry.k8s.io`. */
  domain: z.string().regex(/^([a-z0-9-]+\.)+[a-z]{2,}$/, { error: 'must be a DNS name' }),
  armor: CloudArmorSchema.default(CloudArmorSchema.parse({})),
  observability: ObservabilitySchema,
  /** Where Terraform keeps its state. @default `{type: gcs}`: a versioned bucket the deploy creates (synth stays offline) */
  stateBackend: StateBackendSchema.default(StateBackendSchema.parse({ type: 'gcs' })),
});

export const ReplicationSchema = z.strictObject({
  /** When the replication jobs run (cron, in timeZone). @default every 2 hours */
  schedule: cronExpression.default('0 */2 * * *'),
  /** @default 'Etc/UTC' */
  timeZone: z.string().min(1).default('Etc/UTC'),
  /**
   * Requests per second a job sends to each registry host (the source's region, each destination region), all its
   * tasks together: each task keeps 1/tasks of it. @default 80 (production's rate, which was one for every host)
   */
  requestsPerSecond: z.number().positive().default(80),
  /** The budgets of particular registry hosts instead, e.g. `{ "us-central1-docker.pkg.dev": 200 }`. @default none */
  requestsPerSecondByHost: z
    .record(z.string().refine(isHost, { error: 'must be a registry host[:port]' }), z.number().positive())
    .default({}),
  /**
   * Tasks each replication job runs at once (the Cloud Run job's task count and parallelism). Each task copies its
   * share of the repositories, balanced by bytes, and every task reads every manifest of the source to agree on the
   * shares. @default 4
   */
  tasks: z.number().int().min(1).max(100).default(4),
  /** Blobs copied at once, per task. @default 8 */
  concurrency: z.number().int().min(1).max(256).default(8),
  /** Repositories to copy, relative to the source path. @default all: the source is walked */
  repositories: z
    .array(z.string().refine(isRepositoryName, { error: 'must be a repository name (OCI repository name grammar)' }))
    .optional(),
});

export const ImagesSchema = z.strictObject({
  /**
   * The Artifact Registry repository the delivery stack creates in `gcp.servingProject` for the services' own images
   * (not the public images repository); .github/workflows/images.yml pushes and signs them there.
   */
  repository: z
    .strictObject({
      /** Repository ID. @default 'services' */
      id: z
        .string()
        .regex(/^[a-z]([a-z0-9-]*[a-z0-9])?$/, { error: 'is not an Artifact Registry repository ID' })
        .default('services'),
      /** @default gcp.canonicalRegion */
      region: gcpRegionName.optional(),
    })
    .default({ id: 'services' }),
  /** Image the Cloud Run redirector services run, by digest (`name@sha256:...`: what images.yml printed). */
  redirector: imageReference,
  /** Image the Cloud Run replication jobs run, by digest. */
  replicator: imageReference,
  /**
   * Let the services run an image by tag, which can be moved under them: for a development deploy only. Production
   * pins digests, so what runs is exactly what was reviewed and signed. @default false
   */
  allowMutableTags: z.boolean().default(false),
});

/** The GitHub repository whose workflows build the images and deploy (.github/workflows/images.yml, deploy.yml). */
export const GithubSchema = z.strictObject({
  /** `owner/name`: the only repository the deploy identities of both clouds trust. */
  repository: z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/, {
    error: 'must be a GitHub repository "owner/name"',
  }),
  /** The only branch deploys and image builds come from (image builds also from tags). @default 'main' */
  branch: z
    .string()
    .regex(/^[\w./-]+$/, { error: 'must be a branch name' })
    .default('main'),
  /** The GitHub environment deploy.yml runs in; its required reviewers approve each deploy. @default 'production' */
  environment: z
    .string()
    .regex(/^[\w.-]{1,255}$/, { error: 'must be a GitHub environment name' })
    .default('production'),
  /**
   * The AWS account's existing OIDC provider for GitHub (`token.actions.githubusercontent.com`). An account holds
   * one provider per issuer, so a second one cannot be created beside it.
   * @default created by the delivery stack
   */
  awsOidcProviderArn: z
    .string()
    .regex(/^arn:aws:iam::\d{12}:oidc-provider\/token\.actions\.githubusercontent\.com$/, {
      error: "must be the ARN of the account's token.actions.githubusercontent.com OIDC provider",
    })
    .optional(),
});

export const TopologySchema = z.strictObject({
  /** Short name used in resource names. */
  name: z.string().regex(/^[a-z][a-z0-9-]{1,30}[a-z0-9]$/, { error: 'must be 3-32 lowercase letters, digits or "-"' }),
  /** Where `/` redirects. */
  infoUrl: BaseUrlSchema,
  /** Where `/privacy` redirects. */
  privacyUrl: BaseUrlSchema,
  images: ImagesSchema,
  github: GithubSchema,
  aws: AwsSchema,
  gcp: GcpSchema,
  replication: ReplicationSchema.default(ReplicationSchema.parse({})),
});

/** A topology as written in a file: defaults may be left out. */
export type TopologyInput = z.input<typeof TopologySchema>;
/** A topology with every default filled in. */
export type Topology = z.output<typeof TopologySchema>;
export type WriterIdentity = Topology['aws']['writer'];
