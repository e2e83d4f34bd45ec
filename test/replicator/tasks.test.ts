/**
 * The job as Cloud Run Jobs runs it: N tasks at once, each told its index by CLOUD_RUN_TASK_INDEX/COUNT, on real
 * local components (CNCF registries, s3rver). Between them they copy every blob exactly once, counted where it
 * lands (the stand-ins' own request logs), and each takes about its share of the bytes. Also: a walk that finds
 * nothing fails, a run that cannot start says so in its summary, and every line carries Cloud Logging's fields.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { RegistryClient } from '../../lib/oci';
import { markerKey } from '../../lib/topology/blob-layout';
import { pushImage, pushIndex, pushPrngBlob } from '../support/images';
import { type LocalRegistry, startRegistry } from '../support/registry';
import { type LocalS3, startS3 } from '../support/s3';
import {
  bucketContents,
  type Catalogue,
  pushCatalogue,
  registryBlobUploads,
  replicate,
  type RunResult,
  s3BlobWrites,
  s3Command,
  S3_TEST_ENV,
  summaryOf,
} from './helpers';

const TASKS = 4;
const UNIT = 32 * 1024;
const FAST = ['--rps', '1000'];

/** Runs the same command as `count` tasks of one job, all at once. */
function runAsTasks(argv: readonly string[], count: number): Promise<RunResult[]> {
  return Promise.all(
    Array.from({ length: count }, (_, index) =>
      replicate(argv, {
        AWS_REGION: S3_TEST_ENV.AWS_REGION,
        CLOUD_RUN_TASK_INDEX: String(index),
        CLOUD_RUN_TASK_COUNT: String(count),
      }),
    ),
  );
}

const linesOf = (results: readonly RunResult[], event: string) =>
  results.flatMap((result) => result.lines.filter((line) => line.event === event));

/** How many times each digest occurs. */
function tally(digests: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const digest of digests) counts.set(digest, (counts.get(digest) ?? 0) + 1);
  return counts;
}

describe('a job of several tasks', () => {
  let source: LocalRegistry;
  let destination: LocalRegistry;
  let s3: LocalS3;
  let catalogue: Catalogue;
  const restore: Record<string, string | undefined> = {};

  beforeAll(async () => {
    [source, destination, s3] = await Promise.all([
      startRegistry(),
      startRegistry(),
      startS3(['tasks', 'single', 'lines', 'broken']),
    ]);
    for (const [key, value] of Object.entries(S3_TEST_ENV)) {
      restore[key] = process.env[key];
      process.env[key] = value;
    }
    const client = new RegistryClient({ host: source.host, insecure: true });
    try {
      catalogue = await pushCatalogue(client, 'prod/images', UNIT);
    } finally {
      client.close();
    }
  });

  afterAll(async () => {
    for (const [key, value] of Object.entries(restore)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    await Promise.all([source?.stop(), destination?.stop(), s3?.stop()]);
  });

  it('copies every blob to S3 exactly once across four tasks, each about a quarter of the bytes', async () => {
    const mark = s3.requests.mark();
    const results = await runAsTasks([...s3Command(source.host, 'prod/images', 'tasks', s3.endpoint), ...FAST], TASKS);
    expect(results.map((result) => result.code)).toEqual([0, 0, 0, 0]);
    expect(results.map((result) => summaryOf(result).ok)).toEqual([true, true, true, true]);

    const writes = tally(s3BlobWrites(s3.requests.since(mark), 'tasks'));
    expect([...writes.keys()].sort()).toEqual([...catalogue.blobs.keys()].sort());
    expect([...writes.values()].every((count) => count === 1)).toBe(true);
    const contents = await bucketContents(s3.client, 'tasks');
    for (const image of catalogue.images) expect(contents.has(markerKey(image.digest))).toBe(true);

    const shards = linesOf(results, 'shard');
    expect(shards.map((line) => line.task).sort()).toEqual([0, 1, 2, 3]);
    const total = [...catalogue.blobs.values()].reduce((sum, blob) => sum + blob.size, 0);
    for (const shard of shards) expect(shard.totalBytes).toBe(total);
    expect(Math.max(...shards.map((line) => line.bytes as number)) / total).toBeLessThanOrEqual(0.35);
    // What each task said it copied is what it was assigned.
    for (const [index, result] of results.entries())
      expect(summaryOf(result).bytes).toBe(shards.find((line) => line.task === index)!.bytes);

    const rerunMark = s3.requests.mark();
    const rerun = await runAsTasks([...s3Command(source.host, 'prod/images', 'tasks', s3.endpoint), ...FAST], TASKS);
    expect(rerun.map((result) => summaryOf(result).images.copied)).toEqual([0, 0, 0, 0]);
    expect(s3.requests.since(rerunMark).filter((r) => r.method !== 'GET' && r.method !== 'HEAD')).toEqual([]);
  });

  it('fans out to a registry with each blob uploaded once across four tasks, mounted everywhere else', async () => {
    const mark = destination.requests.mark();
    const argv = ['registry', '--source', `${source.host}/prod/images`, '--dest', `${destination.host}/mirror`];
    const insecure = ['--insecure-registry', source.host, '--insecure-registry', destination.host];
    const results = await runAsTasks([...argv, ...insecure, ...FAST], TASKS);
    expect(results.map((result) => result.code)).toEqual([0, 0, 0, 0]);
    await destination.settle();

    const uploads = tally(registryBlobUploads(destination.requests.since(mark)));
    expect([...uploads.keys()].sort()).toEqual([...catalogue.blobs.keys()].sort());
    expect([...uploads.values()].every((count) => count === 1)).toBe(true);
    const mounted = linesOf(results, 'blob').filter((line) => line.outcome === 'mounted');
    expect(mounted.length).toBeGreaterThan(0); // the shared bases, into every repository but their home

    const client = new RegistryClient({ host: destination.host, insecure: true });
    try {
      for (const image of catalogue.images) {
        expect(await client.headManifest(`mirror/${image.repository}`, image.tags[0]!)).toMatchObject({
          digest: image.digest,
        });
        for (const blob of image.blobs)
          expect(await client.blobSize(`mirror/${image.repository}`, blob.digest)).toBe(blob.size);
      }
    } finally {
      client.close();
    }
  });

  it('fails an image whose manifests cannot be read in its own task alone; the others copy the rest', async () => {
    const client = new RegistryClient({ host: source.host, insecure: true });
    const platform = { os: 'linux', architecture: 'amd64' };
    try {
      const good = await pushImage(
        client,
        'broken/images/good',
        [await pushPrngBlob(client, 'broken/images/good', 7, 999)],
        platform,
        'v1',
      );
      const child = await pushImage(
        client,
        'broken/images/bad',
        [await pushPrngBlob(client, 'broken/images/bad', 8, 999)],
        platform,
      );
      await pushIndex(client, 'broken/images/bad', [{ manifest: child, platform }], 'v1');
      const deleted = await fetch(`${source.url}/v2/broken/images/bad/manifests/${child.digest}`, { method: 'DELETE' });
      expect(deleted.status).toBe(202);

      const results = await runAsTasks([...s3Command(source.host, 'broken/images', 'broken', s3.endpoint), ...FAST], 2);
      expect(linesOf(results, 'tree-unread')).toHaveLength(2); // each task weighed it as nothing
      expect(results.map((result) => result.code).sort()).toEqual([0, 1]);
      const images = linesOf(results, 'image');
      expect(images.filter((line) => line.outcome === 'failed').map((line) => line.repository)).toEqual(['bad']);
      expect(images.find((line) => line.repository === 'good')).toMatchObject({
        outcome: 'copied',
        digest: good.digest,
      });
    } finally {
      client.close();
    }
  });

  it('is one task without Cloud Run’s variables: everything, at the whole budget', async () => {
    const result = await replicate([...s3Command(source.host, 'prod/images', 'single', s3.endpoint), ...FAST]);
    expect(result.code).toBe(0);
    expect(result.lines.some((line) => line.event === 'shard')).toBe(false);
    expect(summaryOf(result)).toMatchObject({ ok: true, images: { copied: catalogue.images.length } });
  });

  it('refuses task variables that make no sense (exit 2)', async () => {
    const result = await replicate(s3Command(source.host, 'prod/images', 'single', s3.endpoint), {
      AWS_REGION: 'us-east-1',
      CLOUD_RUN_TASK_INDEX: '4',
      CLOUD_RUN_TASK_COUNT: '4',
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('CLOUD_RUN_TASK_INDEX 4 is not below CLOUD_RUN_TASK_COUNT 4');
  });

  it('writes every line with Cloud Logging’s severity and a message', async () => {
    const plan = await replicate([
      ...s3Command(source.host, 'prod/images', 'lines', s3.endpoint),
      '--dry-run',
      ...FAST,
    ]);
    const copy = await replicate([...s3Command(source.host, 'prod/images', 'lines', s3.endpoint), ...FAST]);
    const refused = await replicate(s3Command(source.host, 'nothing/here', 'single', s3.endpoint));
    const lines = [...plan.lines, ...copy.lines, ...refused.lines];
    // 'progress' lines are timed (one every few seconds of a slow copy), so whether one appears depends on the load.
    const events = lines.map((line) => line.event).filter((event) => event !== 'progress');
    expect(new Set(events)).toEqual(
      new Set(['selected', 'plan-image', 'plan', 'blob', 'manifest', 'image', 'summary', 'startup-failed']),
    );
    const byLevel = { 30: 'INFO', 40: 'WARNING', 50: 'ERROR' } as Record<number, string>;
    for (const line of lines) {
      expect(line.severity).toBe(byLevel[line.level as number]);
      expect(typeof line.message).toBe('string');
      expect(line.message).not.toBe('');
    }
    expect(refused.lines.find((line) => line.event === 'startup-failed')).toMatchObject({ severity: 'ERROR' });
    expect(refused.lines.find((line) => line.event === 'summary')).toMatchObject({ severity: 'ERROR', ok: false });
  });
});

describe('a run that cannot start', () => {
  /** A registry stand-in: answers /v2/ as `ping` says, and refuses `_catalog` with 404 (as registry.k8s.io does). */
  let stub: http.Server;
  let stubHost: string;
  let ping = 200;
  let empty: LocalRegistry;

  beforeAll(async () => {
    stub = http.createServer((request, response) => {
      const status = request.url === '/v2/' ? ping : 404;
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(status === 200 ? '{}' : '{"errors":[{"code":"UNSUPPORTED","message":"not here"}]}');
    });
    await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve));
    stubHost = `127.0.0.1:${(stub.address() as AddressInfo).port}`;
    empty = await startRegistry();
  });

  afterAll(async () => {
    stub?.closeAllConnections();
    await Promise.all([stub ? new Promise<void>((resolve) => stub.close(() => resolve())) : undefined, empty?.stop()]);
  });

  const registryJob = (host: string) => [
    'registry',
    '--source',
    `${host}/prod/images`,
    '--dest',
    `${host}/mirror`,
    '--insecure-registry',
    host,
  ];

  it.each([
    ['an empty _catalog', () => registryJob(empty.host), /_catalog lists no repository under prod\/images\//],
    [
      'repositories without a tag',
      () => [...registryJob(empty.host), '--repos', 'pause,etcd'],
      /none of the repositories pause, etcd under prod\/images\/ has a tag/,
    ],
    ['a _catalog the registry refuses', () => registryJob(stubHost), /_catalog\?n=1000: HTTP 404/],
  ])('fails on %s (exit 3), and its summary says so', async (_name, argv, error) => {
    ping = 200;
    const result = await replicate(argv());
    expect(result.code).toBe(3);
    const summary = summaryOf(result);
    expect(summary).toMatchObject({ ok: false, images: { copied: 0, failed: 0 } });
    expect(summary.error).toMatch(error);
  });

  it('fails when the source refuses us (exit 3), and its summary says so', async () => {
    ping = 403;
    const result = await replicate(registryJob(stubHost));
    expect(result.code).toBe(3);
    expect(summaryOf(result)).toMatchObject({ ok: false, error: expect.stringMatching(/HTTP 403/) });
  });

  it('says ok: false in its summary on a configuration error found at start-up (exit 2)', async () => {
    ping = 200;
    const list = join(mkdtempSync(join(tmpdir(), 'images-')), 'images.yaml');
    writeFileSync(list, `- name: pause\n  dmap:\n    "sha256:${'1'.repeat(64)}": ["3.10"]\n`);
    const argv = [...s3Command(empty.host, 'prod/images', 'b-1', 'http://127.0.0.1:9'), '--images', list];
    const result = await replicate(argv, {});
    rmSync(dirname(list), { recursive: true, force: true });
    expect(result.code).toBe(2);
    expect(summaryOf(result)).toMatchObject({ ok: false, error: expect.stringMatching(/region of bucket b-1/) });
  });
});
