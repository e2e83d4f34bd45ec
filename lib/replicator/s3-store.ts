/**
 * The upload bucket as a blob store: blobs at `containers/images/<digest>`, markers at `geranos/uploaded-images/<digest>`.
 * Uploads go through part buffers drawn from a bounded pool (memory stays flat whatever the blob size or concurrency):
 * a blob that fits one buffer is verified, then PUT with ChecksumSHA256 (S3 refuses a wrong body too); a larger one is
 * a multipart upload with per-part SHA-256 checksums, completed only once the whole digest was verified (else aborted).
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  type CompletedPart,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { blobKey, markerKey } from '../topology/blob-layout';
import { Semaphore, sha256DigestToBase64, verifying } from '../oci';

export interface S3BlobStoreOptions {
  readonly client: S3Client;
  readonly bucket: string;
  /** Bytes per part buffer: blobs up to this size are one PUT, larger ones multipart. @default 8 MiB */
  readonly partSize?: number;
  /** Part buffers shared by all uploads: the bound on buffered bytes is partSize x partBuffers. @default 6 */
  readonly partBuffers?: number;
}

const MiB = 1024 * 1024;

export class S3BlobStore {
  readonly bucket: string;
  private readonly client: S3Client;
  private readonly partSize: number;
  private readonly pool: PartBufferPool;

  constructor(options: S3BlobStoreOptions) {
    this.client = options.client;
    this.bucket = options.bucket;
    this.partSize = options.partSize ?? 8 * MiB;
    if (this.partSize < 5 * MiB) throw new Error(`S3 parts must be at least 5 MiB, got ${this.partSize}`);
    this.pool = new PartBufferPool(this.partSize, options.partBuffers ?? 6);
  }

  /** True when the blob is there with the expected size (a wrong-size object is treated as missing and replaced). */
  async hasBlob(digest: string, size: number): Promise<boolean> {
    return (await this.objectSize(blobKey(digest))) === size;
  }

  async hasMarker(manifestDigest: string): Promise<boolean> {
    return (await this.objectSize(markerKey(manifestDigest))) !== undefined;
  }

  /** Written only once everything the manifest covers is in place. */
  async putMarker(manifestDigest: string): Promise<void> {
    const key = markerKey(manifestDigest);
    await this.client
      .send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: Buffer.alloc(0),
          ContentLength: 0,
          ContentType: 'text/plain',
        }),
      )
      .catch(this.namingPermission('put', key));
  }

  /** Uploads a blob from a stream; never leaves a partial or wrong object under its key. */
  async putBlob(digest: string, size: number, source: Readable): Promise<void> {
    const verified = verifying(source, digest, size);
    try {
      if (size <= this.partSize) await this.putSingle(digest, verified);
      else await this.putMultipart(digest, verified);
    } catch (error) {
      source.destroy();
      verified.destroy();
      this.namingPermission('put', blobKey(digest))(error);
    }
    await this.verifyStored(digest, size);
  }

  /** Rethrows an error, as an S3AccessDenied naming the missing permission when S3 answered 403. */
  private namingPermission(request: S3Request, key: string): (error: unknown) => never {
    return (error) => {
      if (isForbidden(error)) throw new S3AccessDenied(forbiddenMessage(request, this.bucket, key), { cause: error });
      throw error;
    };
  }

  /**
   * A blob that fits one part buffer is read whole and verified before a single PUT starts: even an S3 stand-in that
   * keeps the bytes of an interrupted PUT never sees a wrong one.
   */
  private async putSingle(digest: string, body: Readable): Promise<void> {
    const part = await this.pool.acquire();
    try {
      let filled = 0;
      for await (const chunk of body as AsyncIterable<Buffer>) filled += chunk.copy(part.buffer, filled);
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: blobKey(digest),
          Body: part.buffer.subarray(0, filled),
          ContentLength: filled,
          ContentType: 'application/octet-stream',
          ChecksumSHA256: sha256DigestToBase64(digest),
        }),
      );
    } finally {
      part.release();
    }
  }

  private async putMultipart(digest: string, body: Readable): Promise<void> {
    const Key = blobKey(digest);
    const created = await this.client.send(
      new CreateMultipartUploadCommand({
        Bucket: this.bucket,
        Key,
        ContentType: 'application/octet-stream',
        ChecksumAlgorithm: 'SHA256',
      }),
    );
    const UploadId = created.UploadId;
    if (!UploadId) throw new Error(`s3://${this.bucket}/${Key}: CreateMultipartUpload returned no UploadId`);
    const uploads: Array<Promise<CompletedPart>> = [];
    let failed: unknown;
    let part: PartBuffer | undefined;
    try {
      part = await this.pool.acquire();
      let filled = 0;
      const dispatch = (length: number) => {
        const upload = this.uploadPart(Key, UploadId, uploads.length + 1, part!, length);
        part = undefined;
        upload.catch((error: unknown) => (failed ??= error));
        uploads.push(upload);
      };
      for await (const chunk of body as AsyncIterable<Buffer>) {
        if (failed) throw failed;
        for (let offset = 0; offset < chunk.length;) {
          part ??= await this.pool.acquire();
          const copied = chunk.copy(
            part.buffer,
            filled,
            offset,
            Math.min(chunk.length, offset + this.partSize - filled),
          );
          filled += copied;
          offset += copied;
          if (filled === this.partSize) {
            dispatch(filled);
            filled = 0;
          }
        }
      }
      // The body ended, so its digest and size were verified: only now may the last part go and the upload complete.
      if (filled > 0) dispatch(filled);
      part?.release();
      const Parts = await Promise.all(uploads);
      await this.client.send(
        new CompleteMultipartUploadCommand({ Bucket: this.bucket, Key, UploadId, MultipartUpload: { Parts } }),
      );
    } catch (error) {
      part?.release();
      await Promise.allSettled(uploads);
      await this.client
        .send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key, UploadId }))
        .catch(() => undefined);
      throw error;
    }
  }

  private async uploadPart(
    Key: string,
    UploadId: string,
    PartNumber: number,
    part: PartBuffer,
    length: number,
  ): Promise<CompletedPart> {
    try {
      const Body = part.buffer.subarray(0, length);
      const ChecksumSHA256 = createHash('sha256').update(Body).digest('base64');
      const result = await this.client.send(
        new UploadPartCommand({
          Bucket: this.bucket,
          Key,
          UploadId,
          PartNumber,
          Body,
          ContentLength: length,
          ChecksumSHA256,
        }),
      );
      return { PartNumber, ETag: result.ETag, ChecksumSHA256 };
    } finally {
      part.release();
    }
  }

  /**
   * After the upload, the object must have exactly the blob's size (a body stored with aws-chunked framing would not)
   * and, where S3 reports one, the blob's checksum.
   */
  private async verifyStored(digest: string, size: number): Promise<void> {
    const key = blobKey(digest);
    const head = await this.client
      .send(new HeadObjectCommand({ Bucket: this.bucket, Key: key, ChecksumMode: 'ENABLED' }))
      .catch(this.namingPermission('head', key));
    const problem =
      head.ContentLength !== size
        ? `stored ${head.ContentLength} bytes, expected ${size}`
        : head.ChecksumSHA256 &&
            !head.ChecksumSHA256.includes('-') &&
            head.ChecksumSHA256 !== sha256DigestToBase64(digest)
          ? `stored checksum ${head.ChecksumSHA256} does not match the digest`
          : undefined;
    if (problem) throw new Error(`s3://${this.bucket}/${key}: ${problem}`);
  }

  private async objectSize(key: string): Promise<number | undefined> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return head.ContentLength ?? 0;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      return this.namingPermission('head', key)(error);
    }
  }
}

type S3Error = { name?: string; $metadata?: { httpStatusCode?: number } } | undefined;

function isNotFound(error: unknown): boolean {
  const e = error as S3Error;
  return e?.name === 'NotFound' || e?.name === 'NoSuchKey' || e?.$metadata?.httpStatusCode === 404;
}

function isForbidden(error: unknown): boolean {
  const e = error as S3Error;
  return e?.name === 'AccessDenied' || e?.name === 'Forbidden' || e?.$metadata?.httpStatusCode === 403;
}

/** A request the store makes: reading an object's metadata, or writing one (single PUT or multipart). */
export type S3Request = 'head' | 'put';

/** S3 refused a request (403): the message names the permission the credentials lack. */
export class S3AccessDenied extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'S3AccessDenied';
  }
}

/**
 * What a 403 means. A HEAD is refused either for want of s3:GetObject on the key, or, when the key does not exist,
 * for want of s3:ListBucket on the bucket: without it S3 answers 403 where it would answer 404, so that a caller
 * cannot learn which keys exist. S3 does not say which; both are named.
 */
export function forbiddenMessage(request: S3Request, bucket: string, key: string): string {
  const object = `arn:aws:s3:::${bucket}/${key}`;
  const lacks =
    request === 'head'
      ? `s3:GetObject on ${object}, or (if the key does not exist) s3:ListBucket on arn:aws:s3:::${bucket}, without which S3 answers 403 instead of 404`
      : `s3:PutObject on ${object}`;
  return `s3://${bucket}/${key}: 403 Forbidden: the credentials lack ${lacks} (the writer role grants them: docs/aws.md)`;
}

interface PartBuffer {
  readonly buffer: Buffer;
  release(): void;
}

/** Reusable part buffers, at most `count` of them: uploads wait for a free one (backpressure on the source). */
class PartBufferPool {
  private readonly slots: Semaphore;
  private readonly free: Buffer[] = [];

  constructor(
    private readonly size: number,
    count: number,
  ) {
    this.slots = new Semaphore(count);
  }

  async acquire(): Promise<PartBuffer> {
    const releaseSlot = await this.slots.acquire();
    const buffer = this.free.pop() ?? Buffer.allocUnsafeSlow(this.size);
    let released = false;
    return {
      buffer,
      release: () => {
        if (released) return;
        released = true;
        this.free.push(buffer);
        releaseSlot();
      },
    };
  }
}
