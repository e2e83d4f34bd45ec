/**
 * The replication skeleton against each kind of destination, through the ReplicationDestination interface only: a
 * kind written inside this test (in memory: proof that a new kind needs nothing but its implementation), the registry
 * (a real CNCF registry), S3 (s3rver) and Azure Blob Storage (Azurite). The same cases hold for every kind: they are the guarantees destination.ts
 * documents, checked from outside: verified before visible, manifests after what they cover, resumable, nothing
 * re-sent. The source is in memory, so faults can be injected blob by blob.
 */
import { randomBytes } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import {
  type Descriptor,
  type FetchedManifest,
  MediaType,
  parseManifest,
  RegistryClient,
  sha256Digest,
  verifying,
} from '../../lib/oci';
import {
  type BlobSource,
  type ImageRef,
  type ManifestNode,
  registryDestinations,
  replicate,
  type ReplicationDestination,
  type ReplicationOptions,
  Report,
  S3BlobStore,
  S3Destination,
  shareOf,
  type Summary,
} from '../../lib/replicator';
import { AzureBlobDestination } from '../../lib/clouds/azure/destination';
import { blobKey } from '../../lib/topology/blob-layout';
import { type LocalAzurite, startAzurite } from '../clouds/azure/azurite';
import { type LocalRegistry, startRegistry } from '../support/registry';
import { type LocalS3, startS3 } from '../support/s3';

/** The source registry as the copy loop reads it, in memory; a blob's bytes can be served corrupted or cut short. */
class MemorySource {
  readonly host = 'source.invalid';
  readonly manifests = new Map<string, Buffer>();
  readonly blobs = new Map<string, Buffer>();
  readonly faults = new Map<string, 'corrupted' | 'cut short'>();
  /** Digests of the blobs opened, in order. */
  readonly opened: string[] = [];

  async getManifest(_repository: string, digest: string): Promise<FetchedManifest> {
    const bytes = this.manifests.get(digest)!;
    const parsed = parseManifest(bytes);
    return { digest, mediaType: parsed.mediaType, size: bytes.length, bytes, parsed };
  }

  async getBlob(_repository: string, digest: string): Promise<{ size: number; body: Readable }> {
    this.opened.push(digest);
    const bytes = this.blobs.get(digest)!;
    const fault = this.faults.get(digest);
    if (fault === 'corrupted') return { size: bytes.length, body: Readable.from([flipFirstByte(bytes)]) };
    if (fault === 'cut short') {
      const body = new Readable({ read() {} });
      body.push(bytes.subarray(0, bytes.length >> 1));
      setImmediate(() => body.destroy(new Error('the source went away')));
      return { size: bytes.length, body };
    }
    return { size: bytes.length, body: Readable.from([bytes]) };
  }

  /** A blob of fresh random bytes (no destination holds it yet). */
  blob(size: number, mediaType = 'application/vnd.oci.image.layer.v1.tar'): Descriptor {
    const bytes = randomBytes(size);
    const digest = sha256Digest(bytes);
    this.blobs.set(digest, bytes);
    return { mediaType, digest, size };
  }

  manifest(document: object): Descriptor & { bytes: Buffer } {
    const bytes = Buffer.from(JSON.stringify(document));
    const digest = sha256Digest(bytes);
    this.manifests.set(digest, bytes);
    return { mediaType: (document as { mediaType: string }).mediaType, digest, size: bytes.length, bytes };
  }

  /** An index over two platform images of a config and two layers each, one layer shared (`shared`, if given). */
  image(
    repository = 'app',
    shared = this.blob(40_000),
  ): { image: ImageRef; blobs: Descriptor[]; manifests: number; platforms: ImageRef[] } {
    const platforms = ['amd64', 'arm64'].map((architecture) => {
      const config = this.blob(200, 'application/vnd.oci.image.config.v1+json');
      const layers = [shared, this.blob(30_000 + architecture.length)];
      const manifest = this.manifest({ schemaVersion: 2, mediaType: MediaType.ociManifest, config, layers });
      return { manifest, blobs: [config, ...layers], platform: { os: 'linux', architecture } };
    });
    const index = this.manifest({
      schemaVersion: 2,
      mediaType: MediaType.ociIndex,
      manifests: platforms.map(({ manifest, platform }) => ({ ...manifest, bytes: undefined, platform })),
    });
    const blobs = [...new Map(platforms.flatMap((p) => p.blobs).map((blob) => [blob.digest, blob])).values()];
    return {
      image: { repository, digest: index.digest, tags: ['v1'] },
      blobs,
      manifests: 3,
      platforms: platforms.map(({ manifest }) => ({ repository, digest: manifest.digest, tags: [] })),
    };
  }
}

function flipFirstByte(bytes: Buffer): Buffer {
  const copy = Buffer.from(bytes);
  copy[0] = copy[0]! ^ 0xff;
  return copy;
}

/**
 * A destination kind written for this test alone, and all the skeleton needs to copy into it. It refuses a manifest
 * whose blobs or child manifests are not in yet, so every case below also checks the loop's order.
 */
class MemoryDestination implements ReplicationDestination {
  readonly name = 'memory';
  readonly blobs = new Map<string, Buffer>();
  readonly manifests = new Set<string>();

  target(): string {
    return 'memory:';
  }

  async probe(): Promise<void> {}

  async holdsImage(image: ImageRef): Promise<boolean> {
    return this.manifests.has(image.digest);
  }

  async holdsBlob(_image: ImageRef, blob: Descriptor): Promise<boolean> {
    return this.blobs.get(blob.digest)?.length === blob.size;
  }

  async ensureBlob(_image: ImageRef, blob: Descriptor, source: BlobSource): Promise<'copied' | 'skipped'> {
    if (this.blobs.get(blob.digest)?.length === blob.size) return 'skipped';
    const chunks: Buffer[] = [];
    for await (const chunk of verifying(await source.open(), blob.digest, blob.size)) chunks.push(chunk as Buffer);
    this.blobs.set(blob.digest, Buffer.concat(chunks));
    return 'copied';
  }

  async commitManifest(_image: ImageRef, manifest: ManifestNode): Promise<'copied'> {
    const missing = [
      ...manifest.blobs.filter((blob) => !this.blobs.has(blob.digest)),
      ...manifest.children.filter((child) => !this.manifests.has(child.digest)),
    ];
    if (missing.length > 0) throw new Error(`manifest ${manifest.digest} committed before what it covers`);
    this.manifests.add(manifest.digest);
    return 'copied';
  }
}

interface Run {
  readonly summary: Summary;
  readonly lines: Array<Record<string, unknown>>;
}

async function run(
  source: MemorySource,
  destination: ReplicationDestination,
  images: readonly ImageRef[],
  dryRun = false,
  task: Pick<ReplicationOptions, 'sharedBlobs' | 'wait'> = {},
): Promise<Run> {
  const lines: Array<Record<string, unknown>> = [];
  const output = new PassThrough();
  output.on('data', (chunk: Buffer) =>
    chunk
      .toString()
      .split('\n')
      .filter((line) => line.trim() !== '')
      .forEach((line) => lines.push(JSON.parse(line) as Record<string, unknown>)),
  );
  const report = new Report({ output });
  const sourceLocation = { host: source.host, path: 'images' };
  const destinations = [destination];
  await replicate({ source, sourceLocation, destinations, images, concurrency: 4, dryRun, report, ...task });
  return { summary: report.finish(), lines };
}

const blobLine = (result: Run, digest: string) =>
  result.lines.find((line) => line.event === 'blob' && line.digest === digest);

describe('the replication skeleton, for every kind of destination', () => {
  let registry: LocalRegistry;
  let registryClient: RegistryClient;
  let s3: LocalS3;
  let azurite: LocalAzurite;

  beforeAll(async () => {
    [registry, s3, azurite] = await Promise.all([startRegistry(), startS3(['copies']), startAzurite(['copies'])]);
    registryClient = new RegistryClient({ host: registry.host, insecure: true });
    await azurite.container('copies', 'images').create();
  });

  afterAll(async () => {
    registryClient?.close();
    await Promise.all([registry?.stop(), s3?.stop(), azurite?.stop()]);
  });

  const kinds: Array<[string, () => ReplicationDestination]> = [
    ['in memory, defined in this test only', () => new MemoryDestination()],
    [
      'registry',
      () => registryDestinations([{ client: registryClient, location: { host: registry.host, path: 'copies' } }])[0]!,
    ],
    ['S3', () => new S3Destination(new S3BlobStore({ client: s3.client, bucket: 'copies' }))],
    // Blocks far smaller than the layers, so that every blob of more than a few bytes is staged in several blocks.
    ['Azure', () => new AzureBlobDestination({ container: azurite.container('copies', 'images'), blockSize: 4096 })],
  ];

  describe.each(kinds)('%s', (_kind, makeDestination) => {
    let source: MemorySource;
    let destination: ReplicationDestination;
    beforeEach(() => {
      source = new MemorySource();
      destination = makeDestination();
    });

    it('copies every blob once, then the manifests children first; a rerun sends nothing', async () => {
      const { image, blobs, manifests } = source.image();
      const first = await run(source, destination, [image]);
      expect(first.summary).toMatchObject({
        ok: true,
        images: { copied: 1 },
        manifests: { copied: manifests },
        blobs: { copied: blobs.length, skipped: 0, failed: 0 },
        bytes: blobs.reduce((total, blob) => total + blob.size, 0),
      });
      expect(source.opened.sort()).toEqual(blobs.map((blob) => blob.digest).sort()); // the shared layer once
      expect(await destination.holdsImage(image)).toBe(true);

      const rerun = await run(source, destination, [image]);
      expect(rerun.summary).toMatchObject({ images: { copied: 0, skipped: 1 }, blobs: { copied: 0, skipped: 0 } });
      expect(source.opened).toHaveLength(blobs.length);
    });

    it.each(['corrupted', 'cut short'] as const)(
      'writes a blob whose bytes come %s nowhere, and no manifest over it; a rerun completes',
      async (fault) => {
        const { image, blobs, platforms } = source.image();
        const bad = blobs.at(-1)!; // a layer of the second platform only
        source.faults.set(bad.digest, fault);
        const failed = await run(source, destination, [image]);
        expect(failed.summary).toMatchObject({ ok: false, images: { failed: 1 }, blobs: { failed: 1 } });
        expect(blobLine(failed, bad.digest)).toMatchObject({ outcome: 'failed' });
        expect(await destination.holdsImage(image)).toBe(false);
        expect(await destination.holdsImage(platforms[1]!)).toBe(false); // not even the manifest right above it

        source.faults.clear();
        const rerun = await run(source, destination, [image]);
        expect(rerun.summary).toMatchObject({ ok: true, images: { copied: 1 } });
        expect(blobLine(rerun, bad.digest)).toMatchObject({ outcome: 'copied' }); // nothing wrong was left under its digest
      },
    );

    it('resumes after a kill: what was done is skipped, the rest copied', async () => {
      const { image, blobs } = source.image();
      const done = blobs.slice(0, 2);
      for (const blob of done) {
        const from = {
          host: source.host,
          repository: 'images/app',
          open: async () => (await source.getBlob('', blob.digest)).body,
        };
        await destination.ensureBlob(image, blob, from);
      }
      const resumed = await run(source, destination, [image]);
      expect(resumed.summary).toMatchObject({
        ok: true,
        images: { copied: 1 },
        blobs: { copied: blobs.length - done.length, skipped: done.length },
      });
      expect(source.opened).toHaveLength(blobs.length); // each blob's bytes sent once over both runs
    });

    it('plans in a dry run exactly what the run then copies, writing nothing', async () => {
      const images = [source.image(), source.image()];
      const refs = images.map(({ image }) => image);
      const dry = await run(source, destination, refs, true);
      const planned = dry.lines.find((line) => line.event === 'plan');
      const blobs = images.flatMap((image) => image.blobs);
      expect(planned).toEqual({
        level: 30,
        severity: 'INFO',
        message: expect.stringMatching(/^plan: 2 images to copy/),
        time: expect.any(String),
        event: 'plan',
        images: 2,
        skipped: 0,
        manifests: 6,
        blobs: blobs.length,
        bytes: blobs.reduce((total, blob) => total + blob.size, 0),
      });
      expect(source.opened).toEqual([]);
      for (const image of refs) expect(await destination.holdsImage(image)).toBe(false);

      const copied = await run(source, destination, refs);
      expect(copied.summary).toMatchObject({ blobs: { copied: planned!.blobs }, bytes: planned!.bytes });
    });

    /** Three repositories whose images share a base layer, and the shares two tasks of one job take of them. */
    function catalogue() {
      const base = source.blob(50_000);
      const built = ['app', 'tool', 'web'].map((repository) => source.image(repository, base));
      const images = built.map(({ image }) => image);
      const blobsOf = (image: ImageRef) => built.find((entry) => entry.image === image)!.blobs;
      const shares = [0, 1].map((index) => shareOf(images, blobsOf, { index, count: 2 }));
      const blobs = new Set(built.flatMap((entry) => entry.blobs.map((blob) => blob.digest)));
      return { base, images, shares, blobs };
    }

    it('copies each blob once between two tasks of one job, the shared base layer included', async () => {
      const { images, shares, blobs } = catalogue();
      const wait = { timeoutMs: 60_000, firstDelayMs: 5, maxDelayMs: 20 };
      const plans = await Promise.all(
        shares.map((share) => run(source, destination, share.images, true, { sharedBlobs: share.sharedBlobs, wait })),
      );
      const planned = plans.map((plan) => plan.lines.find((line) => line.event === 'plan')!);
      expect(planned.map((plan) => plan.bytes)).toEqual(shares.map((share) => share.bytes));
      expect(planned.reduce((sum, plan) => sum + (plan.blobs as number), 0)).toBe(blobs.size);

      const tasks = await Promise.all(
        shares.map((share) => run(source, destination, share.images, false, { sharedBlobs: share.sharedBlobs, wait })),
      );
      expect(tasks.map((task) => task.summary.ok)).toEqual([true, true]);
      expect(source.opened.sort()).toEqual([...blobs].sort()); // each blob's bytes sent once, by one task
      for (const image of images) expect(await destination.holdsImage(image)).toBe(true);
      expect(tasks.some((task) => task.lines.some((line) => line.event === 'wait-timeout'))).toBe(false);
    });

    it('copies a shared blob itself when the task that should has not, after the wait', async () => {
      const { base, images, shares } = catalogue();
      const waiting = shares.find((share) => share.sharedBlobs.get(base.digest)?.copiedHere === false)!;
      const pauses: number[] = [];
      const wait = { timeoutMs: 100, firstDelayMs: 10, maxDelayMs: 40, sleep: async (ms: number) => pauses.push(ms) };
      const alone = await run(source, destination, waiting.images, false, { sharedBlobs: waiting.sharedBlobs, wait });
      expect(pauses).toEqual([10, 20, 40]); // a fourth pause would end beyond the 100 ms
      expect(alone.lines.find((line) => line.event === 'wait-timeout')).toMatchObject({
        digest: base.digest,
        severity: 'WARNING',
      });
      expect(alone.summary).toMatchObject({ ok: true, images: { copied: waiting.images.length } });
      for (const image of waiting.images) expect(await destination.holdsImage(image)).toBe(true);
      expect(waiting.images.length).toBeLessThan(images.length);
    });
  });

  // The blob stores key a blob by its digest alone: a stray object of another size there is not the blob.
  const stores: Array<[string, () => ReplicationDestination, (key: string, body: Buffer) => Promise<unknown>]> = [
    [
      'S3',
      () => new S3Destination(new S3BlobStore({ client: s3.client, bucket: 'copies' })),
      (key, body) => s3.client.send(new PutObjectCommand({ Bucket: 'copies', Key: key, Body: body })),
    ],
    [
      'Azure',
      () => new AzureBlobDestination({ container: azurite.container('copies', 'images') }),
      (key, body) => azurite.container('copies', 'images').getBlockBlobClient(key).upload(body, body.length),
    ],
  ];

  it.each(stores)("%s replaces an object of another size stored under a blob's digest", async (_kind, make, plant) => {
    const source = new MemorySource();
    const { image } = source.image();
    const blob = source.blob(3000);
    await plant(blobKey(blob.digest), source.blobs.get(blob.digest)!.subarray(0, 1000));
    const destination = make();
    expect(await destination.holdsBlob(image, blob)).toBe(false);
    const from = {
      host: source.host,
      repository: 'images/app',
      open: async () => Readable.from([source.blobs.get(blob.digest)!]),
    };
    expect(await destination.ensureBlob(image, blob, from)).toBe('copied');
    expect(await destination.holdsBlob(image, blob)).toBe(true);
  });
});
