/**
 * What one redirector instance needs to decide where a request goes: derived from the topology for a Cloud Run
 * region (views.ts), baked into the service's environment as JSON, and parsed back here at start-up.
 * Runtime-safe: no infrastructure imports.
 */
import * as z from 'zod';
import { isRepositoryName } from '../oci/grammar';

/**
 * An http(s) URL that paths are appended to (`<base>/v2/...`, `<base>/containers/images/<digest>`), hence no
 * trailing "/". http is allowed for local stand-ins. The topology's URLs use it too: one definition.
 */
export const BaseUrlSchema = z
  .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
  .refine((u) => !u.endsWith('/'), { error: 'must not end with "/"' });

export const UpstreamSchema = z.strictObject({
  /** Registry base URL, e.g. `https://us-central1-docker.pkg.dev`. */
  endpoint: BaseUrlSchema,
  /** Repository path prefix under /v2/, e.g. `k8s-artifacts-prod/images`. */
  path: z.string().refine(isRepositoryName, {
    error: 'must be a repository path like "project/images" (OCI repository name grammar)',
  }),
});

/** A traffic share in percent: 0..100 in steps of 0.01 (the share rule's bucket resolution, 1 in 10,000). */
export const MirrorShareSchema = z
  .number()
  .min(0)
  .max(100)
  .refine((p) => Math.abs(p * 100 - Math.round(p * 100)) < 1e-6, { error: 'must have at most two decimals' });

export const RoutingTableSchema = z.strictObject({
  /** The Cloud Run region this table is for. */
  region: z.string().min(1),
  infoUrl: BaseUrlSchema,
  privacyUrl: BaseUrlSchema,
  /** Manifests, tags, referrers and fallback blobs go here. */
  upstream: UpstreamSchema,
  /** Cosign `.sig`/`.att` manifests go here when set. */
  signatureUpstream: UpstreamSchema.optional(),
  /** Blob base URL for clients in no donor's network; blob URL = `<base>/containers/images/<digest>`. */
  defaultBlobBaseUrl: BaseUrlSchema,
  /** Clouds whose clients fetch blobs straight from the upstream (the upstream's own cloud). */
  upstreamClouds: z.array(z.string().min(1)),
  /** Per cloud, per client region: the blob base URL of the mirror serving that region. */
  mirrors: z.record(z.string().min(1), z.record(z.string().min(1), BaseUrlSchema)),
  /**
   * Per cloud, the percentage (0..100, at most two decimals) of its clients sent to its mirrors during a gradual
   * rollout; the others get the region's default. A cloud absent here is at 100.
   */
  mirrorShares: z.record(z.string().min(1), MirrorShareSchema).optional(),
});

export type Upstream = z.infer<typeof UpstreamSchema>;
export type RoutingTable = z.infer<typeof RoutingTableSchema>;
