/**
 * The jobs end to end on real local components: two CNCF distribution registries (source and destination), an
 * S3-compatible server, skopeo as the independent client that checks the fanned-out copies.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegistryClient, sha256Digest } from '../../lib/oci';
import { blobKey, markerKey } from '../../lib/topology/blob-layout';
import { type LocalRegistry, startRegistry } from '../support/registry';
import { type LocalS3, startS3 } from '../support/s3';
import { pushSampleImages, type SampleImages } from '../support/images';
import { bucketContents, replicate, summaryOf, useS3TestCredentials, s3Command } from './helpers';

const BUCKET = 'upload-bucket';

/** The logged requests that write (anything but GET and HEAD), as `METHOD path`. */
function writesAmong(requests: ReadonlyArray<{ method: string; path: string }>): string[] {
  return requests.filter((r) => r.method !== 'GET' && r.method !== 'HEAD').map((r) => `${r.method} ${r.path}`);
}

describe('replicate (registry -> S3, registry -> registry)', () => {
  let source: LocalRegistry;
  let destination: LocalRegistry;
  let s3: LocalS3;
  let sample: SampleImages;
  let restoreEnv: () => void;
  let workDir: string;

  beforeAll(async () => {
    [source, destination, s3] = await Promise.all([startRegistry(), startRegistry(), startS3([BUCKET, 'dry-bucket'])]);
    restoreEnv = useS3TestCredentials();
    workDir = mkdtempSync(join(tmpdir(), 'replicate-test-'));
    const client = new RegistryClient({ host: source.host, insecure: true });
    try {
      sample = await pushSampleImages(client, 'prod/images');
    } finally {
      client.close();
    }
  });

  afterAll(async () => {
    restoreEnv?.();
    await Promise.all([source?.stop(), destination?.stop(), s3?.stop()]);
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('dry-run prints the plan and writes nothing', async () => {
    const result = await replicate([...s3Command(source.host, 'prod/images', 'dry-bucket', s3.endpoint), '--dry-run']);
    expect(result.code).toBe(0);
    const plan = result.lines.find((line) => line.event === 'plan');
    expect(plan).toMatchObject({ images: 3, skipped: 0, blobs: sample.blobs.size });
    expect(plan!.bytes).toBe([...sample.blobs.values()].reduce((total, blob) => total + blob.size, 0));
    expect((await bucketContents(s3.client, 'dry-bucket')).size).toBe(0);
  });

  it('refuses to guess the bucket region', async () => {
    const result = await replicate(s3Command(source.host, 'prod/images', 'dry-bucket', s3.endpoint), {});
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('the region of bucket dry-bucket is unknown: pass --region or set AWS_REGION');
  });

  it('copies every blob of every image to S3 under its digest, with markers, and skips it all on a rerun', async () => {
    const args = s3Command(source.host, 'prod/images', BUCKET, s3.endpoint);
    const first = await replicate(args);
    expect(first.code).toBe(0);
    expect(summaryOf(first)).toMatchObject({
      ok: true,
      images: { copied: 3, failed: 0 },
      blobs: { copied: sample.blobs.size, failed: 0 },
    });

    const contents = await bucketContents(s3.client, BUCKET);
    const blobObjects = [...contents].filter(([key]) => key.startsWith('containers/images/'));
    expect(blobObjects.map(([key]) => key).sort()).toEqual([...sample.blobs.keys()].map(blobKey).sort());
    for (const [key, object] of blobObjects) expect(blobKey(object.sha256)).toBe(key);
    for (const root of sample.roots) expect(contents.has(markerKey(root.digest))).toBe(true);

    const beforeRerun = s3.requests.mark();
    const second = await replicate(args);
    expect(second.code).toBe(0);
    expect(summaryOf(second)).toMatchObject({ images: { copied: 0, skipped: 3 }, blobs: { copied: 0 }, bytes: 0 });
    // Skipped for real: the bucket was only asked (a marker HEAD per image), never written.
    expect(writesAmong(s3.requests.since(beforeRerun))).toEqual([]);
  });

  it('fans out to other registries (streamed and mounted), and skopeo pulls identical digests', async () => {
    const args = [
      'registry',
      '--source',
      `${source.host}/prod/images`,
      '--dest',
      `${destination.host}/mirror/images`,
      '--dest',
      `${source.host}/second/images`,
      '--repos',
      'app,tool',
      '--insecure-registry',
      source.host,
      '--insecure-registry',
      destination.host,
    ];
    const beforeFirst = source.requests.mark();
    const first = await replicate(args);
    expect(first.code).toBe(0);
    const summary = summaryOf(first);
    expect(summary).toMatchObject({ ok: true, images: { copied: 6, failed: 0 } });
    expect(summary.blobs.copied).toBeGreaterThanOrEqual(sample.blobs.size);
    expect(summary.blobs.mounted).toBeGreaterThanOrEqual(sample.blobs.size); // same registry: mounted, never re-sent
    await source.settle();
    const intoSecond = source.requests.since(beforeFirst).filter((r) => r.path.startsWith('/v2/second/images/'));
    const mounts = intoSecond.filter((r) => r.method === 'POST' && r.query.includes('mount=') && r.status === 201);
    expect(mounts).toHaveLength(summary.blobs.mounted);
    expect(intoSecond.filter((r) => r.method === 'PUT' && r.path.includes('/blobs/uploads/'))).toEqual([]);

    for (const root of sample.roots) {
      for (const [host, path] of [
        [destination.host, 'mirror/images'],
        [source.host, 'second/images'],
      ]) {
        for (const tag of root.tags) {
          const raw = execFileSync('skopeo', [
            'inspect',
            '--raw',
            '--tls-verify=false',
            `docker://${host}/${path}/${root.repository}:${tag}`,
          ]);
          expect(sha256Digest(raw)).toBe(root.digest);
        }
      }
    }
    // A full pull by skopeo (it verifies every blob against its digest); --preserve-digests: nothing re-encoded.
    const pulled = join(workDir, 'pulled');
    execFileSync('skopeo', [
      'copy',
      '--all',
      '--preserve-digests',
      '--src-tls-verify=false',
      `docker://${destination.host}/mirror/images/app:v1`,
      `dir:${pulled}`,
    ]);
    const pulledFiles = readdirSync(pulled);
    for (const blob of sample.roots[0]!.blobs) expect(pulledFiles).toContain(blob.digest.slice('sha256:'.length));

    const beforeRerun = destination.requests.mark();
    const second = await replicate(args);
    expect(summaryOf(second)).toMatchObject({
      images: { copied: 0, skipped: 6 },
      blobs: { copied: 0, mounted: 0 },
      bytes: 0,
    });
    await destination.settle();
    expect(writesAmong(destination.requests.since(beforeRerun))).toEqual([]); // tags checked, nothing written
  });

  it('copies what a promoter-style images file lists, with its signature tags', async () => {
    const app = sample.roots[0]!;
    const file = join(workDir, 'images.yaml');
    writeFileSync(file, `- name: app\n  dmap:\n    "${app.digest}": ["v1", "stable"]\n`);
    const result = await replicate([
      'registry',
      '--source',
      `${source.host}/prod/images`,
      '--dest',
      `${destination.host}/promoted`,
      '--images',
      file,
      '--insecure-registry',
      source.host,
      '--insecure-registry',
      destination.host,
    ]);
    expect(result.code).toBe(0);
    const client = new RegistryClient({ host: destination.host, insecure: true });
    try {
      expect((await client.headManifest('promoted/app', 'stable'))?.digest).toBe(app.digest);
      expect((await client.listTags('promoted/app')).sort()).toEqual([
        `${app.digest.replace(':', '-')}.sig`,
        'stable',
        'v1',
      ]);
    } finally {
      client.close();
    }
  });

  it.each([
    [['s3', '--source', 'x/y'], /--bucket is required/],
    [['registry', '--source', 'h:1/p', '--dest', 'h:1/p'], /is the source itself/],
    [['copy'], /unknown subcommand/],
    [['s3', '--source', 'h/p', '--bucket', 'b-1', '--bogus'], /--bogus/],
  ])('refuses bad command lines with exit code 2: %j', async (argv, message) => {
    const result = await replicate(argv);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});
