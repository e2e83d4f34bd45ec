/**
 * Content addressing: digests of bytes in memory, and a pass-through stream that verifies a digest as the bytes flow,
 * so a blob is never buffered whole and never delivered complete when it is wrong.
 */
import { createHash, type Hash } from 'node:crypto';
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import { parseDigest } from './grammar';

/** The bytes did not hash to the digest that names them (or were not the announced size). */
export class DigestMismatchError extends Error {
  constructor(
    readonly expected: string,
    readonly actual: string,
    readonly detail = `content has digest ${actual}`,
  ) {
    super(`digest mismatch for ${expected}: ${detail}`);
    this.name = 'DigestMismatchError';
  }
}

/** `sha256:<hex>` of some bytes. */
export function sha256Digest(data: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** The digest of `data` with the algorithm of `expected` (sha256 or sha512). */
export function digestWithAlgorithmOf(expected: string, data: Uint8Array): string {
  const { algorithm } = parseDigest(expected);
  return `${algorithm}:${createHash(algorithm).update(data).digest('hex')}`;
}

/** The base64 sha256 S3 expects in `ChecksumSHA256`, from a `sha256:<hex>` digest. */
export function sha256DigestToBase64(digest: string): string {
  const { algorithm, hex } = parseDigest(digest);
  if (algorithm !== 'sha256') throw new Error(`S3 checksums need a sha256 digest, got ${digest}`);
  return Buffer.from(hex, 'hex').toString('base64');
}

/**
 * Passes bytes through unchanged while hashing and counting them: for content whose digest is learnt as it flows
 * (an upload that names its digest at the end), not checked against one (VerifyingStream does that).
 */
export class HashingStream extends Transform {
  private readonly hash: Hash;
  /** Bytes passed through so far. */
  size = 0;

  /** `algorithm`: any node:crypto hash name (sha256, md5, ...). */
  constructor(algorithm: string) {
    super();
    this.hash = createHash(algorithm);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    callback(null, chunk);
  }

  /** The hex digest of every byte passed through; call it once, after the stream has ended. */
  hex(): string {
    return this.hash.digest('hex');
  }
}

/**
 * Passes bytes through while hashing them. It always holds back the latest chunk and releases it only once the
 * stream ended with the right digest (and size, when known): whoever consumes it (an HTTP request body, an S3 upload)
 * never receives the complete content of a wrong blob, and is destroyed with DigestMismatchError instead.
 */
export class VerifyingStream extends Transform {
  private readonly hash: Hash;
  private readonly algorithm: string;
  private held: Buffer | undefined;
  private received = 0;

  constructor(
    readonly expectedDigest: string,
    readonly expectedSize?: number,
  ) {
    super();
    this.algorithm = parseDigest(expectedDigest).algorithm;
    this.hash = createHash(this.algorithm);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.received += chunk.length;
    if (this.expectedSize !== undefined && this.received > this.expectedSize) {
      callback(this.mismatch(`more than the announced ${this.expectedSize} bytes`));
      return;
    }
    this.hash.update(chunk);
    const previous = this.held;
    this.held = chunk;
    callback(null, previous);
  }

  override _flush(callback: TransformCallback): void {
    if (this.expectedSize !== undefined && this.received !== this.expectedSize) {
      callback(this.mismatch(`${this.received} bytes instead of the announced ${this.expectedSize}`));
      return;
    }
    const actual = `${this.algorithm}:${this.hash.digest('hex')}`;
    if (actual !== this.expectedDigest) {
      callback(new DigestMismatchError(this.expectedDigest, actual));
      return;
    }
    callback(null, this.held);
  }

  private mismatch(detail: string): DigestMismatchError {
    return new DigestMismatchError(this.expectedDigest, 'unknown', detail);
  }
}

/** `source` piped through a VerifyingStream for `digest` and `size`; a failing source fails the verified stream too. */
export function verifying(source: Readable, digest: string, size: number): VerifyingStream {
  const verified = source.pipe(new VerifyingStream(digest, size));
  source.on('error', (error) => verified.destroy(error));
  return verified;
}
