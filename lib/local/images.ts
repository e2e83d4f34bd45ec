/**
 * Hand-built OCI content, pushed with our own client: deterministic pseudo-random blobs (streamed from a seeded PRNG,
 * never held whole), image manifests and multi-platform indexes. npm run local builds its sample image with these;
 * the tests and benchmarks build theirs (test/support/images.ts).
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { type Descriptor, MediaType, RegistryClient, sha256Digest } from '../oci';

/** `size` bytes from a seeded xorshift32 generator, in chunks of at most 1 MiB. */
export function prngStream(seed: number, size: number, chunkSize = 1024 * 1024): Readable {
  return Readable.from(prngChunks(seed, size, chunkSize), { objectMode: false });
}

function* prngChunks(seed: number, size: number, chunkSize: number): Generator<Buffer> {
  let state = seed >>> 0 || 0x9e3779b9;
  for (let remaining = size; remaining > 0;) {
    const length = Math.min(chunkSize, remaining);
    const words = new Uint32Array(Math.ceil(length / 4));
    for (let i = 0; i < words.length; i++) {
      state ^= state << 13;
      state >>>= 0;
      state ^= state >>> 17;
      state ^= state << 5;
      state >>>= 0;
      words[i] = state;
    }
    yield Buffer.from(words.buffer, 0, length);
    remaining -= length;
  }
}

/** The digest of a PRNG blob, computed by streaming it once. */
export async function prngDigest(seed: number, size: number): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of prngStream(seed, size)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

/** Pushes a PRNG blob (chunked upload, digest computed while streaming). */
export async function pushPrngBlob(
  client: RegistryClient,
  repository: string,
  seed: number,
  size: number,
): Promise<Descriptor> {
  const { digest } = await client.pushBlobChunked(repository, prngStream(seed, size));
  // Uncompressed: skopeo sniffs content and would gzip random bytes labelled +gzip on its way to an OCI layout.
  return { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest, size };
}

export async function pushBytes(
  client: RegistryClient,
  repository: string,
  bytes: Buffer,
  mediaType: string,
): Promise<Descriptor> {
  const digest = sha256Digest(bytes);
  if ((await client.blobSize(repository, digest)) === undefined) {
    await client.pushBlob(repository, digest, bytes.length, Readable.from([bytes]));
  }
  return { mediaType, digest, size: bytes.length };
}

export interface PushedManifest {
  readonly digest: string;
  readonly mediaType: string;
  readonly bytes: Buffer;
  readonly blobs: readonly Descriptor[];
}

/** An OCI image: a config naming the platform, then the given layers; pushed under its digest (and `tag`). */
export async function pushImage(
  client: RegistryClient,
  repository: string,
  layers: readonly Descriptor[],
  platform: { os: string; architecture: string },
  tag?: string,
): Promise<PushedManifest> {
  const config = Buffer.from(
    JSON.stringify({ ...platform, rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) } }),
  );
  const configDescriptor = await pushBytes(client, repository, config, 'application/vnd.oci.image.config.v1+json');
  const bytes = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociManifest, config: configDescriptor, layers }),
  );
  const digest = sha256Digest(bytes);
  await client.putManifest(repository, digest, { bytes, mediaType: MediaType.ociManifest });
  if (tag) await client.putManifest(repository, tag, { bytes, mediaType: MediaType.ociManifest });
  return { digest, mediaType: MediaType.ociManifest, bytes, blobs: [configDescriptor, ...layers] };
}

/** An OCI index over platform images, pushed under its digest and `tag`. */
export async function pushIndex(
  client: RegistryClient,
  repository: string,
  images: ReadonlyArray<{ manifest: PushedManifest; platform: { os: string; architecture: string } }>,
  tag: string,
): Promise<PushedManifest> {
  const bytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociIndex,
      manifests: images.map(({ manifest, platform }) => ({
        mediaType: manifest.mediaType,
        digest: manifest.digest,
        size: manifest.bytes.length,
        platform,
      })),
    }),
  );
  const digest = sha256Digest(bytes);
  await client.putManifest(repository, digest, { bytes, mediaType: MediaType.ociIndex });
  await client.putManifest(repository, tag, { bytes, mediaType: MediaType.ociIndex });
  return { digest, mediaType: MediaType.ociIndex, bytes, blobs: images.flatMap(({ manifest }) => manifest.blobs) };
}
