/**
 * The sample image npm run local pushes to its "Artifact Registry": a multi-platform index (linux/amd64 and
 * linux/arm64), each image with three layers, the first shared by both. Layers are deterministic pseudo-random
 * bytes: the image is for pulling and checking digests, not for running.
 */
import type { Descriptor, RegistryClient } from '../oci';
import { pushImage, pushIndex, pushPrngBlob } from './images';

export interface Platform {
  readonly os: string;
  readonly architecture: string;
}

export interface SampleImage {
  /** The repository as clients name it through the redirector (relative to the upstream path), e.g. `sample`. */
  readonly repository: string;
  /** The tags pushed, in order; the first is the one to pull. */
  readonly tags: readonly string[];
  /** The index's digest. */
  readonly digest: string;
  readonly platforms: ReadonlyArray<{
    readonly platform: Platform;
    readonly digest: string;
    readonly blobs: readonly Descriptor[];
  }>;
  /** Every blob (configs and layers) of every platform, once each. */
  readonly blobs: readonly Descriptor[];
}

export interface SampleOptions {
  /** @default 'sample' */
  readonly repository?: string;
  /** @default ['v1', 'latest'] */
  readonly tags?: readonly string[];
  /** Distinct seeds give distinct blobs. @default 1 */
  readonly seed?: number;
  /** Size of the larger layers. @default 256 KiB */
  readonly layerSize?: number;
}

export const PLATFORMS: readonly Platform[] = [
  { os: 'linux', architecture: 'amd64' },
  { os: 'linux', architecture: 'arm64' },
];

/** Pushes the sample under `<upstreamPath>/<repository>` and tags its index. */
export async function pushSampleImage(
  client: RegistryClient,
  upstreamPath: string,
  options: SampleOptions = {},
): Promise<SampleImage> {
  const repository = options.repository ?? 'sample';
  const [tag, ...otherTags] = options.tags ?? ['v1', 'latest'];
  const seed = (options.seed ?? 1) * 100;
  const size = options.layerSize ?? 256 * 1024;
  const path = `${upstreamPath}/${repository}`;
  const shared = await pushPrngBlob(client, path, seed, size * 2);
  const platforms = [];
  for (const [i, platform] of PLATFORMS.entries()) {
    const layers = [
      shared,
      await pushPrngBlob(client, path, seed + 10 + i, size + i),
      await pushPrngBlob(client, path, seed + 20 + i, 4096 + i),
    ];
    const manifest = await pushImage(client, path, layers, platform);
    platforms.push({ platform, manifest });
  }
  const index = await pushIndex(client, path, platforms, tag!);
  for (const other of otherTags)
    await client.putManifest(path, other, { bytes: index.bytes, mediaType: index.mediaType });
  const blobs = new Map(index.blobs.map((blob) => [blob.digest, blob]));
  return {
    repository,
    tags: [tag!, ...otherTags],
    digest: index.digest,
    platforms: platforms.map(({ platform, manifest }) => ({
      platform,
      digest: manifest.digest,
      blobs: manifest.blobs,
    })),
    blobs: [...blobs.values()],
  };
}
