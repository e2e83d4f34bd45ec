import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { startS3 } from './s3';

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
});
