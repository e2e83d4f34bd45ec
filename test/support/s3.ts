/**
 * A real S3-compatible server (s3rver) on 127.0.0.1 for integration tests. Start it in beforeAll, stop it in
 * afterAll: `const s3 = await startS3(['bucket-a']); ... await s3.stop();`
 */
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { S3Client } from '@aws-sdk/client-s3';

// s3rver ships no types; this is the part of its API we use.
interface S3rverInstance {
  readonly store: FilesystemStorePrototype;
  run(): Promise<{ address: string; port: number }>;
  close(): Promise<void>;
}
type S3rverConstructor = new (options: Record<string, unknown>) => S3rverInstance;

export interface StoredObject {
  content: Buffer | Readable;
}
export interface FilesystemStorePrototype {
  putObject(this: unknown, object: StoredObject): Promise<unknown>;
  atomicPuts?: true;
}

/**
 * s3rver streams a PUT straight into the object's final file, so a client that dies mid-upload leaves a truncated
 * object behind. Real S3 makes an object visible only once its PUT completed, and the crash-safety tests depend on
 * exactly that: so the stand-in first receives the whole body into a scratch file, and stores nothing if the
 * request ends early.
 */
function makePutsAtomic(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const store = (require('s3rver/lib/stores/filesystem') as { prototype: FilesystemStorePrototype }).prototype;
  if (store.atomicPuts) return;
  const storeCompletedObject = store.putObject;
  store.putObject = async function putObjectAtomically(object) {
    if (Buffer.isBuffer(object.content)) return storeCompletedObject.call(this, object);
    const scratch = join(tmpdir(), `s3rver-put-${randomUUID()}`);
    try {
      await pipeline(object.content, createWriteStream(scratch)); // rejects when the request is cut short
      const received = Object.assign(Object.create(Object.getPrototypeOf(object) as object) as StoredObject, object, {
        content: createReadStream(scratch),
      });
      return await storeCompletedObject.call(this, received);
    } finally {
      rmSync(scratch, { force: true });
    }
  };
  store.atomicPuts = true;
}

export interface LocalS3 {
  /** e.g. `http://127.0.0.1:43123` */
  readonly endpoint: string;
  /** A client for this server (path-style, dummy credentials, checksums only when required). */
  readonly client: S3Client;
  /** The server's object store, for tests of the stand-in itself. */
  readonly store: FilesystemStorePrototype;
  stop(): Promise<void>;
}

export async function startS3(buckets: readonly string[] = []): Promise<LocalS3> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const S3rver = require('s3rver') as S3rverConstructor;
  makePutsAtomic();
  const directory = mkdtempSync(join(tmpdir(), 's3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: buckets.map((name) => ({ name })),
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    // s3rver would store aws-chunked framing if the SDK streamed with default checksums.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return {
    endpoint,
    client,
    store: server.store,
    async stop() {
      client.destroy();
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
