/**
 * OCI and Docker manifests and indexes: media types, validation (zod) and the two questions a replicator asks of a
 * manifest: which child manifests does it point at, and which blobs must exist for it to be pullable.
 */
import * as z from 'zod';
import { isDigest } from './grammar';

export const MediaType = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
} as const;

const INDEX_TYPES: readonly string[] = [MediaType.ociIndex, MediaType.dockerManifestList];
const IMAGE_TYPES: readonly string[] = [MediaType.ociManifest, MediaType.dockerManifest];

/** The `Accept` header of every manifest request: everything we can walk. */
export const MANIFEST_ACCEPT = [...INDEX_TYPES, ...IMAGE_TYPES].join(', ');

const DescriptorSchema = z.object({
  mediaType: z.string().min(1),
  digest: z.string().refine(isDigest, { message: 'not a valid digest (sha256:<64 hex> or sha512:<128 hex>)' }),
  size: z.number().int().nonnegative(),
  urls: z.array(z.string()).optional(),
});
export type Descriptor = z.infer<typeof DescriptorSchema>;

const IndexSchema = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  manifests: z.array(DescriptorSchema),
});

const ImageSchema = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  config: DescriptorSchema,
  layers: z.array(DescriptorSchema),
});

/** A parsed manifest: an index (points at manifests) or an image (points at blobs). */
export type ParsedManifest =
  | { readonly kind: 'index'; readonly mediaType: string; readonly manifests: readonly Descriptor[] }
  | { readonly kind: 'image'; readonly mediaType: string; readonly blobs: readonly Descriptor[] };

class ManifestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ManifestError';
  }
}

/**
 * Parses manifest bytes. The media type comes from the manifest itself when it names one, else from the
 * `Content-Type` the registry sent. Schema 1 and unknown types are refused with a clear error.
 */
export function parseManifest(bytes: Uint8Array, contentType?: string): ParsedManifest {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (error) {
    throw new ManifestError(`manifest is not JSON: ${(error as Error).message}`);
  }
  const declared = typeof json === 'object' && json !== null ? (json as { mediaType?: unknown }).mediaType : undefined;
  const mediaType = typeof declared === 'string' ? declared : (contentType?.split(';')[0]?.trim() ?? '');
  const kind = INDEX_TYPES.includes(mediaType) ? 'index' : IMAGE_TYPES.includes(mediaType) ? 'image' : guessKind(json);
  if (kind === 'index') {
    const index = validate(IndexSchema, json, mediaType);
    return { kind, mediaType: mediaType || MediaType.ociIndex, manifests: index.manifests };
  }
  const image = validate(ImageSchema, json, mediaType);
  return {
    kind,
    mediaType: mediaType || MediaType.ociManifest,
    blobs: [image.config, ...image.layers].filter(isDistributable),
  };
}

// An OCI manifest may omit mediaType; its shape then tells what it is.
function guessKind(json: unknown): 'index' | 'image' {
  if (typeof json === 'object' && json !== null) {
    if ('manifests' in json) return 'index';
    if ('layers' in json) return 'image';
  }
  throw new ManifestError(
    'unsupported manifest: neither an OCI/Docker index nor an image manifest (schema 1 is not supported)',
  );
}

function validate<T>(schema: z.ZodType<T>, json: unknown, mediaType: string): T {
  const result = schema.safeParse(json);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
  throw new ManifestError(`invalid ${mediaType || 'manifest'}: ${problems.join('; ')}`);
}

/**
 * Foreign (Windows base) and non-distributable layers live outside registries by design (their `urls` say where):
 * a mirror must not try to copy them.
 */
function isDistributable(descriptor: Descriptor): boolean {
  return !/\.foreign\.|nondistributable/.test(descriptor.mediaType);
}
