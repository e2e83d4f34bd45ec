/**
 * THE 200 MB TEST (the only one in the suite): one blob of 200 MiB, generated streaming from a seeded PRNG, copied
 * registry -> S3 (multipart, bounded part buffers) and registry -> registry (one streamed PUT), then verified.
 * Budget: well under 60 s on a 2-core machine.
 */
import { createHash } from 'node:crypto';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { RegistryClient } from '../../lib/oci';
import { blobKey } from '../../lib/topology/blob-layout';
import { type LocalRegistry, startRegistry } from '../support/registry';
import { type LocalS3, startS3 } from '../support/s3';
import { pushImage, pushPrngBlob } from '../support/images';
import { replicate, summaryOf, useS3TestCredentials, s3Command } from './helpers';

const SIZE = 200 * 1024 * 1024;

describe('a 200 MiB blob', () => {
  let source: LocalRegistry;
  let destination: LocalRegistry;
  let s3: LocalS3;
  let restoreEnv: () => void;
  let digest: string;

  beforeAll(async () => {
    [source, destination, s3] = await Promise.all([startRegistry(), startRegistry(), startS3(['large'])]);
    restoreEnv = useS3TestCredentials();
    const client = new RegistryClient({ host: source.host, insecure: true });
    try {
      const layer = await pushPrngBlob(client, 'big/image', 42, SIZE);
      digest = layer.digest;
      await pushImage(client, 'big/image', [layer], { os: 'linux', architecture: 'amd64' }, 'v1');
    } finally {
      client.close();
    }
  });

  afterAll(async () => {
    restoreEnv?.();
    await Promise.all([source?.stop(), destination?.stop(), s3?.stop()]);
  });

  it('goes to S3 as a multipart upload whose object hashes to its key', async () => {
    const mark = s3.requests.mark();
    const result = await replicate(s3Command(source.host, 'big', 'large', s3.endpoint));
    expect(result.code).toBe(0);
    const parts = s3.requests.since(mark).filter((r) => r.method === 'PUT' && r.query.includes('partNumber='));
    expect(parts).toHaveLength(Math.ceil(SIZE / (8 * 1024 * 1024))); // 8 MiB parts, never the blob in one buffer
    expect(summaryOf(result).bytes).toBeGreaterThan(SIZE);
    const object = await s3.client.send(new GetObjectCommand({ Bucket: 'large', Key: blobKey(digest) }));
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of object.Body as AsyncIterable<Buffer>) {
      hash.update(chunk);
      size += chunk.length;
    }
    expect(size).toBe(SIZE);
    expect(`sha256:${hash.digest('hex')}`).toBe(digest);
  });

  it('streams to another registry in one PUT, which verified the digest', async () => {
    const mark = destination.requests.mark();
    const result = await replicate([
      'registry',
      '--source',
      `${source.host}/big`,
      '--dest',
      `${destination.host}/big`,
      '--insecure-registry',
      source.host,
      '--insecure-registry',
      destination.host,
    ]);
    expect(result.code).toBe(0);
    await destination.settle();
    const uploads = destination.requests.since(mark).filter((r) => r.path.startsWith('/v2/big/image/blobs/uploads/'));
    expect(
      uploads.map((r) => `${r.method} ${r.status} ${r.query.includes(`digest=${encodeURIComponent(digest)}`)}`),
    ).toContain('PUT 201 true');
    expect(uploads.filter((r) => r.method === 'PATCH')).toEqual([]);
    const client = new RegistryClient({ host: destination.host, insecure: true });
    try {
      expect(await client.blobSize('big/image', digest)).toBe(SIZE);
    } finally {
      client.close();
    }
  });
});
