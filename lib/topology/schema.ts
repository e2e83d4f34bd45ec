/**
 * The shape of a topology: field types, formats and defaults. Cross-field rules (a region must exist, an alias
 * must point at a bucket, ...) live in validate.ts so that every problem is reported at once, each with its path.
 * Each donor's section (`aws:`, `gcp:`, ...) is the donor's own schema (lib/clouds/<id>/section.ts), taken from the
 * donor registry.
 *
 * Runtime-safe: imported by the redirector and the replicator, so it must never import infrastructure libraries.
 */
import * as z from 'zod';
import type { Donor } from '../clouds/donor';
import { DONORS } from '../clouds/donors';
import { artifactRepositoryId, gcpRegionName } from '../clouds/gcp/section';
import { isRepositoryName } from '../oci/grammar';
import { isHost } from '../oci/location';
import { BaseUrlSchema } from './routing-table';

export {
  AwsSchema,
  CdnSchema,
  GOOGLE_OIDC_ISSUER,
  WriterIdentitySchema,
  type AwsSection,
  type WriterIdentity,
} from '../clouds/aws/section';
export {
  AlertThresholdsSchema,
  CloudArmorSchema,
  GcpSchema,
  ObservabilitySchema,
  RedirectorRegionSchema,
  RedirectorSchema,
  StateBackendSchema,
  type GcpSection,
} from '../clouds/gcp/section';

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
      id: artifactRepositoryId.default('services'),
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

/** The fields of a topology that belong to no donor. */
const COMMON_SHAPE = {
  /** Short name used in resource names. */
  name: z.string().regex(/^[a-z][a-z0-9-]{1,30}[a-z0-9]$/, { error: 'must be 3-32 lowercase letters, digits or "-"' }),
  /** Where `/` redirects. */
  infoUrl: BaseUrlSchema,
  /** Where `/privacy` redirects. */
  privacyUrl: BaseUrlSchema,
  images: ImagesSchema,
  github: GithubSchema,
};

/** Shared by every replication job, whichever donor it copies into. */
const REPLICATION_SHAPE = { replication: ReplicationSchema.default(ReplicationSchema.parse({})) };

type RegisteredDonor = (typeof DONORS)[number];

/** Each registered donor's section schema under its id (donors without a section have no key). */
type DonorSectionShape = {
  [D in RegisteredDonor as D extends { readonly topology: object } ? D['id'] : never]: D extends {
    readonly topology: { readonly schema: infer S };
  }
    ? S
    : never;
};

/** The topology schema for a list of donors: the common fields and each donor's section. */
export function topologySchema(donors: readonly Donor[]) {
  const sections = donors.flatMap((donor) => (donor.topology ? [[donor.id, donor.topology.schema] as const] : []));
  return z.strictObject({ ...COMMON_SHAPE, ...Object.fromEntries(sections), ...REPLICATION_SHAPE });
}

/** The topology schema of the registered donors. */
export const TopologySchema = topologySchema(DONORS) as unknown as z.ZodObject<
  typeof COMMON_SHAPE & DonorSectionShape & typeof REPLICATION_SHAPE,
  z.core.$strict
>;

/** A topology as written in a file: defaults may be left out. */
export type TopologyInput = z.input<typeof TopologySchema>;
/** A topology with every default filled in. */
export type Topology = z.output<typeof TopologySchema>;
