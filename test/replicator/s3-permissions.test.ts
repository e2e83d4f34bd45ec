/**
 * A 403 from S3 names the permission the credentials lack, from the start-up probe on: the writer role once listed
 * its bucket only under a prefix condition, a HEAD of a missing key answered 403, and the job failed every run with
 * nothing but "UnknownError". S3 is the SDK's standard mock (aws-sdk-client-mock).
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { S3Destination } from '../../lib/replicator/s3-destination';
import { forbiddenMessage, S3AccessDenied, S3BlobStore } from '../../lib/replicator/s3-store';
import { blobKey, markerKey } from '../../lib/topology/blob-layout';

const s3 = mockClient(S3Client);
const BUCKET = 'registry-us-east-2';
const PROBE_KEY = markerKey(`sha256:${'0'.repeat(64)}`);

/** What the SDK throws for an S3 answer without a body (HEAD): the status only. */
function answered(status: number, name: string): Error {
  return Object.assign(new Error(name === 'Forbidden' ? 'UnknownError' : name), {
    name,
    $metadata: { httpStatusCode: status },
  });
}

const store = () => new S3BlobStore({ client: new S3Client({ region: 'us-east-2' }), bucket: BUCKET });

beforeEach(() => s3.reset());

describe('403 from S3', () => {
  it('on the start-up probe: names s3:ListBucket (a missing key) and s3:GetObject', async () => {
    s3.on(HeadObjectCommand).rejects(answered(403, 'Forbidden'));
    const probe = new S3Destination(store()).probe();
    await expect(probe).rejects.toThrow(S3AccessDenied);
    await expect(probe).rejects.toThrow(
      `s3://${BUCKET}/${PROBE_KEY}: 403 Forbidden: the credentials lack s3:GetObject on arn:aws:s3:::${BUCKET}/${PROBE_KEY}, ` +
        `or (if the key does not exist) s3:ListBucket on arn:aws:s3:::${BUCKET}, without which S3 answers 403 instead of 404 ` +
        '(the writer role grants them: docs/aws.md)',
    );
  });

  it('on a write: names s3:PutObject on the key', async () => {
    s3.on(HeadObjectCommand).rejects(answered(404, 'NotFound'));
    s3.on(PutObjectCommand).rejects(
      Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }),
    );
    const digest = `sha256:${'a'.repeat(64)}`;
    await expect(store().putMarker(digest)).rejects.toThrow(forbiddenMessage('put', BUCKET, markerKey(digest)));
    const bytes = Buffer.from('layer');
    const blob = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    await expect(store().putBlob(blob, bytes.length, Readable.from([bytes]))).rejects.toThrow(
      `s3://${BUCKET}/${blobKey(blob)}: 403 Forbidden: the credentials lack s3:PutObject on arn:aws:s3:::${BUCKET}/${blobKey(blob)}`,
    );
  });

  it('keeps a 404 what it is, a missing object, and other errors as they are', async () => {
    s3.on(HeadObjectCommand).rejects(answered(404, 'NotFound'));
    await expect(store().hasMarker(`sha256:${'b'.repeat(64)}`)).resolves.toBe(false);
    s3.on(HeadObjectCommand).rejects(answered(503, 'ServiceUnavailable'));
    await expect(store().hasMarker(`sha256:${'b'.repeat(64)}`)).rejects.toThrow('ServiceUnavailable');
  });
});
