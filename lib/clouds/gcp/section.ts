/**
 * Google Cloud's section of the topology (`gcp:`). Google Cloud is the donor that hosts the registry itself: the
 * Artifact Registry repositories (the upstream, and the replication's source), the redirector and the load balancer
 * in front of it. Its clients pull from the upstream's own regions, so it has no blob mirrors; its replication target
 * is the fan-out from the canonical region into the other Artifact Registry regions.
 *
 * Runtime-safe: the topology (and so the redirector) imports it.
 */
import * as z from 'zod';
import { UpstreamSchema } from '../../topology/routing-table';
import type { TopologyProblem } from '../../topology/errors';
import { duplicates, quote, unknownRegions } from '../../topology/rule-helpers';
import { checkSection, donorSectionSchema, type SectionRule } from '../donor';
import { GCP_REGION_NAME, KNOWN_GCP_REGIONS } from './regions';
import { artifactRegistryHost, artifactRegistryPath } from './urls';

export const gcpRegionName = z.string().regex(GCP_REGION_NAME, { error: 'is not a Google Cloud region name' });

/** An Artifact Registry repository ID: the public images' (gcp.repository) and the services' (images.repository.id). */
export const artifactRepositoryId = z
  .string()
  .regex(/^[a-z]([a-z0-9-]*[a-z0-9])?$/, { error: 'is not an Artifact Registry repository ID' });

export const RedirectorRegionSchema = z.strictObject({
  /** Blob backend for clients in no donor's network: `'cdn'` or a mirror region (or alias). */
  defaultBlobBackend: z.string().min(1),
});

/** A Cloud Run memory value as the redirector's schema accepts it: mebibytes or gibibytes. */
const CLOUD_RUN_MEMORY = /^(\d+)(Mi|Gi)$/;

/** The bytes of a Cloud Run memory value ("512Mi", "1Gi"): the limit its container, and so V8, sees. */
export function cloudRunMemoryBytes(value: string): number {
  const match = CLOUD_RUN_MEMORY.exec(value);
  if (!match) throw new Error(`${JSON.stringify(value)} is not a Cloud Run memory value like "512Mi" or "1Gi"`);
  return Number(match[1]) * (match[2] === 'Gi' ? 1024 ** 3 : 1024 ** 2);
}

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
    .regex(CLOUD_RUN_MEMORY, { error: 'must be a Cloud Run memory value like "512Mi"' })
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

export const GcpSchema = donorSectionSchema(
  {
    /** Project holding the Artifact Registry repositories. */
    artifactsProject: z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, { error: 'is not a GCP project ID' }),
    /** Project holding the redirector, the load balancer and the replication jobs. */
    servingProject: z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, { error: 'is not a GCP project ID' }),
    /** Artifact Registry repository ID, the same in every region. */
    repository: artifactRepositoryId,
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
  },
  // Google Cloud hosts the registry itself: its clients pull from the upstream's own regions.
  { enabled: true, trafficShare: 100 },
);

export type GcpSection = z.output<typeof GcpSchema>;

/** An Artifact Registry repository as the replication jobs need it: where it is, and how the replicator names it. */
export interface ArtifactRepository {
  readonly region: string;
  /** Its registry host, e.g. `us-central1-docker.pkg.dev`. */
  readonly host: string;
  /** `<host>/<path>` as the replicator's `--source` and `--dest` take it, e.g. `us-central1-docker.pkg.dev/p/images`. */
  readonly reference: string;
}

/** The topology's repository in one Artifact Registry region. */
export function artifactRepository(gcp: GcpSection, region: string): ArtifactRepository {
  const host = artifactRegistryHost(region);
  return { region, host, reference: `${host}/${artifactRegistryPath(gcp.artifactsProject, gcp.repository)}` };
}

type Rule = SectionRule<GcpSection>;

const regionsExist: Rule = (gcp) => [
  ...unknownRegions((i) => `artifactRegions[${i}]`, gcp.artifactRegions, KNOWN_GCP_REGIONS, 'Google Cloud'),
  ...unknownRegions(
    (_, r) => `redirector.regions.${r}`,
    Object.keys(gcp.redirector.regions),
    KNOWN_GCP_REGIONS,
    'Google Cloud',
  ),
];

const regionsListedOnce: Rule = (gcp) => duplicates('artifactRegions', gcp.artifactRegions, 'gcp.artifactRegions');

const canonicalRegionHasRepository: Rule = (gcp) =>
  gcp.artifactRegions.includes(gcp.canonicalRegion)
    ? []
    : [{ path: 'canonicalRegion', message: `${quote(gcp.canonicalRegion)} is not one of gcp.artifactRegions` }];

/** Without Google Cloud there is no registry: no upstream, no redirector, no source to replicate from. */
const hostsTheRegistry: Rule = (gcp) =>
  gcp.enabled
    ? []
    : [
        {
          path: 'enabled',
          message: 'cannot be false: Google Cloud hosts the upstream registry, the redirector and the replication',
        },
      ];

const RULES: readonly Rule[] = [regionsExist, regionsListedOnce, canonicalRegionHasRepository, hostsTheRegistry];

export function validateGcpSection(gcp: GcpSection): TopologyProblem[] {
  return checkSection(RULES, gcp);
}
