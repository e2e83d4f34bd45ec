/**
 * The safety guarantees on real components: a corrupted source blob is refused and written nowhere; a run killed
 * mid-way leaves nothing partial and a rerun completes it; throttling (429 + Retry-After) slows a run down but it completes.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { RegistryClient, type Descriptor } from '../../lib/oci';
import { blobKey, MARKER_PREFIX } from '../../lib/topology/blob-layout';
import { blobDataPath, type LocalRegistry, startRegistry } from '../support/registry';
import { type LocalS3, startS3 } from '../support/s3';
import { pushImage, pushPrngBlob, pushSampleImages } from '../support/images';
import { startThrottlingProxy } from '../support/throttling-proxy';
import { bucketContents, replicate, S3_TEST_ENV, summaryOf, useS3TestCredentials, s3Command } from './helpers';

const ROOT = join(__dirname, '../..');
const platform = { os: 'linux', architecture: 'amd64' };

describe('replicator safety', () => {
  let source: LocalRegistry;
  let destination: LocalRegistry;
  let s3: LocalS3;
  let client: RegistryClient;
  let restoreEnv: () => void;

  beforeAll(async () => {
    [source, destination, s3] = await Promise.all([startRegistry(), startRegistry(), startS3(['corrupt', 'killed'])]);
    restoreEnv = useS3TestCredentials();
    client = new RegistryClient({ host: source.host, insecure: true });
  });

  afterAll(async () => {
    client?.close();
    restoreEnv?.();
    await Promise.all([source?.stop(), destination?.stop(), s3?.stop()]);
  });

  it('refuses a source blob whose bytes do not match its digest: written nowhere, exit code 1', async () => {
    const good = await pushPrngBlob(client, 'bad/image', 11, 200_000);
    const corrupted = await pushPrngBlob(client, 'bad/image', 12, 300_000);
    const image = await pushImage(client, 'bad/image', [good, corrupted], platform, 'v1');
    const file = blobDataPath(source.storageDir, corrupted.digest);
    const bytes = readFileSync(file);
    bytes[1000] = bytes[1000]! ^ 0xff; // same length, one byte flipped
    writeFileSync(file, bytes);

    const toS3 = await replicate([...s3Command(source.host, 'bad', 'corrupt', s3.endpoint), '--repos', 'image']);
    expect(toS3.code).toBe(1);
    expect(summaryOf(toS3)).toMatchObject({ ok: false, images: { failed: 1 }, blobs: { failed: 1 } });
    expect(
      toS3.lines.some(
        (line) => line.event === 'blob' && line.outcome === 'failed' && String(line.error).includes('digest mismatch'),
      ),
    ).toBe(true);
    const keys = [...(await bucketContents(s3.client, 'corrupt')).keys()];
    expect(keys).not.toContain(blobKey(corrupted.digest));
    expect(keys.filter((key) => key.startsWith(MARKER_PREFIX))).toEqual([]);

    const toRegistry = await replicate([
      'registry',
      '--source',
      `${source.host}/bad`,
      '--repos',
      'image',
      '--dest',
      `${destination.host}/copy`,
      '--insecure-registry',
      source.host,
      '--insecure-registry',
      destination.host,
    ]);
    expect(toRegistry.code).toBe(1);
    const destinationClient = new RegistryClient({ host: destination.host, insecure: true });
    try {
      expect(await destinationClient.blobSize('copy/image', corrupted.digest)).toBeUndefined();
      expect(await destinationClient.headManifest('copy/image', image.digest)).toBeUndefined();
    } finally {
      destinationClient.close();
    }
  });

  it('killed once bytes moved, leaves nothing partial; a rerun completes the work', async () => {
    const layers: Descriptor[] = [];
    for (let seed = 100; seed < 124; seed++)
      layers.push(await pushPrngBlob(client, 'kill/big', seed, 2 * 1024 * 1024 + seed));
    const image = await pushImage(client, 'kill/big', layers, platform, 'v1');
    const args = s3Command(source.host, 'kill', 'killed', s3.endpoint);

    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'bin/replicate.ts', ...args, '--concurrency', '2', '--rps', '10'],
      {
        cwd: ROOT,
        env: { ...process.env, ...S3_TEST_ENV },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    await killOnFirstCopiedBlob(child);

    const afterKill = await bucketContents(s3.client, 'killed');
    for (const [key, object] of afterKill)
      if (key.startsWith('containers/images/')) expect(blobKey(object.sha256)).toBe(key);
    if ([...afterKill.keys()].some((key) => key.startsWith(MARKER_PREFIX))) {
      for (const blob of image.blobs) expect(afterKill.has(blobKey(blob.digest))).toBe(true); // marker => everything under it
    }

    const rerun = await replicate(args);
    expect(rerun.code).toBe(0);
    expect(summaryOf(rerun).blobs.copied).toBeGreaterThan(0); // the kill really interrupted the work
    const final = await bucketContents(s3.client, 'killed');
    for (const blob of image.blobs) expect(final.get(blobKey(blob.digest))?.sha256).toBe(blob.digest);
  });

  it('slows down on 429 + Retry-After and still completes', async () => {
    await pushSampleImages(client, 'throttled', 50_000);
    const proxy = await startThrottlingProxy(source.host, 1);
    try {
      const started = Date.now();
      const result = await replicate([
        'registry',
        '--source',
        `${proxy.host}/throttled`,
        '--dest',
        `${destination.host}/unthrottled`,
        '--insecure-registry',
        proxy.host,
        '--insecure-registry',
        destination.host,
      ]);
      expect(result.code).toBe(0);
      expect(summaryOf(result)).toMatchObject({ ok: true, images: { copied: 3, failed: 0 } });
      expect(proxy.throttled()).toBeGreaterThan(5);
      // Retry-After honoured (a dropped keep-alive connection may add a jittered retry of its own).
      expect(result.lines.filter((line) => line.event === 'retry' && line.delayMs === 1000).length).toBeGreaterThan(5);
      expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    } finally {
      await proxy.stop();
    }
  });
});

/** Resolves once the child reported a copied blob (then SIGKILLs it) — progress read from its JSON lines, no sleeping. */
async function killOnFirstCopiedBlob(child: ChildProcess): Promise<void> {
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let killed = false;
  for await (const line of createInterface({ input: child.stdout! })) {
    const event = JSON.parse(line) as { event?: string; outcome?: string };
    if (event.event === 'blob' && event.outcome === 'copied') {
      child.kill('SIGKILL');
      killed = true;
      break;
    }
  }
  await exited;
  if (!killed) throw new Error(`the child finished before it could be killed (exit ${child.exitCode}): ${stderr}`);
}
