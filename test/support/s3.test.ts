import { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { startS3, type StoredObject } from './s3';

describe('local S3 stand-in', () => {
  it('stores and returns an object, then stops', async () => {
    const s3 = await startS3(['bucket-a']);
    try {
      await s3.client.send(new PutObjectCommand({ Bucket: 'bucket-a', Key: 'k', Body: 'hello' }));
      const got = await s3.client.send(new GetObjectCommand({ Bucket: 'bucket-a', Key: 'k' }));
      expect(await got.Body!.transformToString()).toBe('hello');
      const head = await fetch(`${s3.endpoint}/bucket-a/k`, { method: 'HEAD' });
      expect(head.status).toBe(200);
    } finally {
      await s3.stop();
    }
  });

  it('stores nothing when a PUT body ends early, as S3 does', async () => {
    const s3 = await startS3(['bucket-b']);
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const S3Object = require('s3rver/lib/models/object') as new (
        bucket: string,
        key: string,
        content: Readable,
        headers: Record<string, string>,
      ) => StoredObject;
      const cutShort = new Readable({
        read() {
          this.push(Buffer.alloc(1024, 1));
          this.destroy(new Error('client went away'));
        },
      });
      const object = new S3Object('bucket-b', 'partial', cutShort, { 'content-length': '1048576' });
      // Bounded so that a store that never settles (s3rver's own putObject ignores source errors) fails, not hangs.
      let timer: NodeJS.Timeout | undefined;
      const neverSettled = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('putObject never settled')), 10_000);
      });
      await expect(Promise.race([s3.store.putObject(object), neverSettled])).rejects.toThrow('client went away');
      clearTimeout(timer);
      await expect(s3.client.send(new HeadObjectCommand({ Bucket: 'bucket-b', Key: 'partial' }))).rejects.toMatchObject(
        {
          $metadata: { httpStatusCode: 404 },
        },
      );
    } finally {
      await s3.stop();
    }
  });

  it('shows an object only whole: a listing or HEAD made while its PUT is being stored sees nothing or all of it', async () => {
    const s3 = await startS3(['bucket-e']);
    const size = 32 * 1024 * 1024;
    try {
      const seen: number[] = [];
      let stored = false;
      const put = s3.client
        .send(new PutObjectCommand({ Bucket: 'bucket-e', Key: 'big', Body: Buffer.alloc(size, 7) }))
        .finally(() => (stored = true));
      // Until the PUT is answered, and once after: every size the store shows for the key.
      for (let last = false; !last;) {
        last = stored;
        const [listing, head] = await Promise.all([
          s3.client.send(new ListObjectsV2Command({ Bucket: 'bucket-e' })),
          s3.client.send(new HeadObjectCommand({ Bucket: 'bucket-e', Key: 'big' })).catch(() => undefined),
        ]);
        for (const object of listing.Contents ?? []) seen.push(object.Size!);
        if (head) seen.push(head.ContentLength!);
      }
      await put;
      expect(seen.length).toBeGreaterThan(0);
      expect(seen.filter((length) => length !== size)).toEqual([]);
    } finally {
      await s3.stop();
    }
  });

  it('holds the requests to a silent bucket unanswered, and closes them when it comes back', async () => {
    const s3 = await startS3(['bucket-c', 'bucket-d']);
    try {
      await s3.client.send(new PutObjectCommand({ Bucket: 'bucket-c', Key: 'k', Body: 'hello' }));
      s3.setBucketDown('bucket-c', 'silent');
      // Only that bucket: the other still answers.
      expect((await fetch(`${s3.endpoint}/bucket-d/k`, { method: 'HEAD' })).status).toBe(404);
      await expect(
        fetch(`${s3.endpoint}/bucket-c/k`, { method: 'HEAD', signal: AbortSignal.timeout(300) }),
      ).rejects.toMatchObject({ name: 'TimeoutError' });
      const arrived = s3.requests.waitFor((entry) => entry.path === '/bucket-c/k', 5000);
      const waiting = fetch(`${s3.endpoint}/bucket-c/k`, { method: 'HEAD' });
      expect(await arrived).toMatchObject({ method: 'HEAD', status: 0 });
      s3.setBucketDown('bucket-c', false);
      await expect(waiting).rejects.toThrow('fetch failed');
      expect((await fetch(`${s3.endpoint}/bucket-c/k`, { method: 'HEAD' })).status).toBe(200);
    } finally {
      await s3.stop();
    }
  });
});
