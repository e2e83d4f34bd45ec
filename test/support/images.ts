/**
 * The sample content of the integration tests and benchmarks. The building blocks (PRNG blobs, images, indexes)
 * live in lib/local/images.ts, where npm run local builds its sample image with them too.
 */
import { type Descriptor, RegistryClient } from '../../lib/oci';
import { pushBytes, pushImage, pushIndex, pushPrngBlob } from '../../lib/local/images';

export {
  prngDigest,
  prngStream,
  pushBytes,
  pushImage,
  pushIndex,
  pushPrngBlob,
  type PushedManifest,
} from '../../lib/local/images';

export interface SampleImages {
  /** Every blob pushed, by digest. */
  readonly blobs: ReadonlyMap<string, Descriptor>;
  /** repository (relative) -> root manifest digest -> tags */
  readonly roots: ReadonlyArray<{ repository: string; digest: string; tags: string[]; blobs: readonly Descriptor[] }>;
}

/**
 * The sample content of the integration tests under `<path>/`: `app` (an index over linux/amd64 and linux/arm64,
 * three layers each, one shared, tagged v1, with a cosign-style `.sig` tag) and `tool` (one image tagged v1 and latest).
 */
export async function pushSampleImages(
  client: RegistryClient,
  path: string,
  layerSize = 300 * 1024,
): Promise<SampleImages> {
  const app = `${path}/app`;
  const tool = `${path}/tool`;
  const shared = await pushPrngBlob(client, app, 1, layerSize);
  const amd64Layers = [
    shared,
    await pushPrngBlob(client, app, 2, layerSize + 1),
    await pushPrngBlob(client, app, 3, 1000),
  ];
  const arm64Layers = [
    shared,
    await pushPrngBlob(client, app, 4, layerSize + 7),
    await pushPrngBlob(client, app, 5, 10),
  ];
  const amd64Platform = { os: 'linux', architecture: 'amd64' };
  const arm64Platform = { os: 'linux', architecture: 'arm64' };
  const amd64 = await pushImage(client, app, amd64Layers, amd64Platform);
  const arm64 = await pushImage(client, app, arm64Layers, arm64Platform);
  const index = await pushIndex(
    client,
    app,
    [
      { manifest: amd64, platform: amd64Platform },
      { manifest: arm64, platform: arm64Platform },
    ],
    'v1',
  );
  const signatureLayer = await pushBytes(
    client,
    app,
    Buffer.from('{"critical":{}}'),
    'application/vnd.dev.cosign.simplesigning.v1+json',
  );
  const signatureTag = `${index.digest.replace(':', '-')}.sig`;
  const signature = await pushImage(client, app, [signatureLayer], { os: 'none', architecture: 'none' }, signatureTag);

  const toolLayers = [await pushPrngBlob(client, tool, 6, layerSize * 2), await pushPrngBlob(client, tool, 7, 123)];
  const toolImage = await pushImage(client, tool, toolLayers, amd64Platform, 'v1');
  await client.putManifest(tool, 'latest', { bytes: toolImage.bytes, mediaType: toolImage.mediaType });

  const roots = [
    { repository: 'app', digest: index.digest, tags: ['v1'], blobs: index.blobs },
    { repository: 'app', digest: signature.digest, tags: [signatureTag], blobs: signature.blobs },
    { repository: 'tool', digest: toolImage.digest, tags: ['latest', 'v1'], blobs: toolImage.blobs },
  ];
  const blobs = new Map(roots.flatMap((root) => root.blobs.map((blob) => [blob.digest, blob] as const)));
  return { blobs, roots };
}
