/**
 * A real S3-compatible server (s3rver) on 127.0.0.1, standing for the S3 buckets of every region:
 * `const s3 = await startS3(['bucket-a']); ... await s3.stop();`. Path-style addressing (`/<bucket>/<key>`).
 *
 * Around s3rver's own request handler: every request is recorded (what the bucket served, for tests), one bucket
 * can be taken down (its requests get their connection reset, or 503, or no answer at all), and s3rver's event
 * notifications are offered as "object created" callbacks (the cross-region replication emulation listens to them).
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import http from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { S3Client } from '@aws-sdk/client-s3';
import { HashingStream } from '../oci/digest';
import { listenLocally } from './ports';
import { RequestLog, splitTarget } from './request-log';

// s3rver ships no types; this is the part of its API we use (it is a Koa application).
interface S3rverInstance {
  readonly store: FilesystemStore;
  readonly logger: { close(): void };
  configureBuckets(): Promise<void>;
  callback(): (request: http.IncomingMessage, response: http.ServerResponse) => void;
  on(event: 'event', listener: (event: S3EventNotification) => void): void;
}
type S3rverConstructor = new (options: Record<string, unknown>) => S3rverInstance;

/** The part of an S3 event notification (as s3rver emits it) we read. */
interface S3EventNotification {
  readonly Records: ReadonlyArray<{
    readonly eventName: string;
    readonly s3: { readonly bucket: { readonly name: string }; readonly object: { readonly key: string } };
  }>;
}

/** An object as s3rver hands it to its store. */
export interface StoredObject {
  readonly bucket: string;
  readonly key: string;
  readonly content: Buffer | Readable;
  readonly metadata: Record<string, string>;
}

/** The part of s3rver's filesystem store used here. */
export interface FilesystemStore {
  /** Where one of an object's files lives (`resource`: 'object', 'metadata.json', ...). */
  getResourcePath(bucket: string, key: string, resource: string): string;
  /** Writes an object's metadata and MD5 files. */
  putMetadata(bucket: string, key: string, metadata: Record<string, string>, md5: string): Promise<void>;
  putObject(object: StoredObject): Promise<{ size: number; md5: string }>;
  /** Set once putObject is the atomic one (makePutsAtomic). */
  atomicPuts?: true;
}

/**
 * s3rver streams a PUT straight into the object's final file, where listings and reads see it grow, and a client
 * that dies mid-upload leaves it truncated. Real S3 makes an object visible only once its PUT completed, and the
 * crash-safety tests depend on exactly that. So the stand-in's store receives the whole body into a scratch file
 * beside the final one (a name no listing matches), writes the metadata, and only then renames the file into place:
 * one atomic step. A body that ends early stores nothing.
 */
function makePutsAtomic(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const store = (require('s3rver/lib/stores/filesystem') as { prototype: FilesystemStore }).prototype;
  if (store.atomicPuts) return;
  store.putObject = async function putObjectAtomically(this: FilesystemStore, object: StoredObject) {
    const objectPath = this.getResourcePath(object.bucket, object.key, 'object');
    await mkdir(dirname(objectPath), { recursive: true });
    const scratch = `${objectPath}.${randomUUID()}.receiving`;
    const md5 = new HashingStream('md5');
    const content = Buffer.isBuffer(object.content) ? Readable.from([object.content]) : object.content;
    try {
      await pipeline(content, md5, createWriteStream(scratch)); // rejects when the request is cut short
      const digest = md5.hex();
      await this.putMetadata(object.bucket, object.key, object.metadata, digest);
      await rename(scratch, objectPath);
      return { size: md5.size, md5: digest };
    } finally {
      await rm(scratch, { force: true });
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
  readonly store: FilesystemStore;
  /** Every request it received (status 0: not answered, its connection reset or held; see setBucketDown). */
  readonly requests: RequestLog;
  /**
   * Takes a bucket down or brings it back (`false`). `true`: every request to it gets its connection reset, as from
   * a region in outage; `503`: every request is answered `503 Slow Down`, as S3 does when it sheds load; `'silent'`:
   * every request is read and never answered, as from servers that hang (the client's own timeout is all it gets),
   * its connection held until the bucket comes back or the server stops.
   */
  setBucketDown(bucket: string, down: BucketOutage | false): void;
  /** Calls `listener` after each object is created (PUT, copy, completed multipart upload). */
  onObjectCreated(listener: (bucket: string, key: string) => void): void;
  stop(): Promise<void>;
}

/** How a bucket that is down fails its requests (LocalS3.setBucketDown). */
export type BucketOutage = true | 503 | 'silent';

/** S3's answer when it sheds load. */
const SLOW_DOWN =
  '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>';

/** The dummy credentials s3rver accepts; the SDK's default chain reads them from the environment. */
export const S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export interface S3Options {
  /** @default a free port */
  readonly port?: number;
  /** Where its storage directory goes. @default the system's temporary directory */
  readonly parentDir?: string;
}

/** The bucket of a path-style request target (`/bucket/key?x` -> `bucket`), undefined for the service root. */
export function bucketOfPath(path: string): string | undefined {
  const name = path.split('/')[1];
  return name ? name : undefined;
}

export async function startS3(buckets: readonly string[] = [], options: S3Options = {}): Promise<LocalS3> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const S3rver = require('s3rver') as S3rverConstructor;
  makePutsAtomic();
  const directory = mkdtempSync(join(options.parentDir ?? tmpdir(), 's3rver-'));
  const s3rver = new S3rver({ silent: true, directory, configureBuckets: buckets.map((name) => ({ name })) });
  const requests = new RequestLog();
  const down = new Map<string, BucketOutage>();
  /** The connections of requests to a silent bucket, by bucket: closed when it comes back. */
  const held = new Map<string, Set<Socket>>();
  let server: http.Server | undefined;
  let port: number;
  const removeDirectory = () => rmSync(directory, { recursive: true, force: true });
  try {
    await s3rver.configureBuckets();
    const handle = s3rver.callback();
    server = http.createServer((request, response) => {
      const { path, query } = splitTarget(request.url ?? '/');
      const bucket = bucketOfPath(path);
      const outage = bucket === undefined ? undefined : down.get(bucket);
      if (outage === true) {
        requests.record({ method: request.method ?? '', path, query, status: 0 });
        request.socket.destroy();
        return;
      }
      if (outage === 'silent') {
        requests.record({ method: request.method ?? '', path, query, status: 0 });
        request.resume();
        let sockets = held.get(bucket!);
        if (!sockets) held.set(bucket!, (sockets = new Set()));
        sockets.add(request.socket);
        request.socket.once('close', () => sockets.delete(request.socket));
        return;
      }
      if (outage === 503) {
        requests.record({ method: request.method ?? '', path, query, status: 503 });
        request.resume();
        response.writeHead(503, { 'content-type': 'application/xml' });
        response.end(SLOW_DOWN);
        return;
      }
      response.once('finish', () =>
        requests.record({ method: request.method ?? '', path, query, status: response.statusCode }),
      );
      handle(request, response);
    });
    port = await listenLocally(server, options.port, 'S3 stand-in');
  } catch (error) {
    s3rver.logger.close();
    removeDirectory();
    throw error;
  }
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: S3_CREDENTIALS,
    // s3rver would store aws-chunked framing if the SDK streamed with default checksums.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const running = server;
  return {
    endpoint,
    client,
    store: s3rver.store,
    requests,
    setBucketDown(bucket, state) {
      if (state !== false) {
        down.set(bucket, state);
        return;
      }
      down.delete(bucket);
      for (const socket of held.get(bucket) ?? []) socket.destroy();
      held.delete(bucket);
    },
    onObjectCreated(listener) {
      s3rver.on('event', (event) => {
        for (const record of event.Records) {
          if (record.eventName.startsWith('ObjectCreated:')) listener(record.s3.bucket.name, record.s3.object.key);
        }
      });
    },
    async stop() {
      client.destroy();
      running.closeAllConnections();
      await new Promise<void>((resolve) => running.close(() => resolve()));
      s3rver.logger.close();
      removeDirectory();
    },
  };
}
