/** Shared by the replicator's integration tests: run the command in-process and collect its JSON lines. */
import { createHash } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { LoggedRequest } from '../../lib/local/request-log';
import type { Descriptor, RegistryClient } from '../../lib/oci';
import { runReplicate, type Summary } from '../../lib/replicator';
import { BLOB_PREFIX } from '../../lib/topology/blob-layout';
import { pushImage, pushPrngBlob } from '../support/images';

export interface RunResult {
  readonly code: number;
  readonly lines: Array<Record<string, unknown>>;
  readonly stderr: string;
}

/** Runs `replicate <argv>` in this process; the S3 SDK reads its credentials from process.env as in production. */
export async function replicate(
  argv: readonly string[],
  env: Record<string, string | undefined> = { AWS_REGION: S3_TEST_ENV.AWS_REGION },
): Promise<RunResult> {
  const output = new PassThrough();
  let text = '';
  output.on('data', (chunk: Buffer) => (text += chunk.toString()));
  let stderr = '';
  const errors = new PassThrough();
  errors.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await runReplicate(argv, { env, stderr: errors, output });
  const lines = text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { code, lines, stderr };
}

/** `replicate s3` from a local plain-HTTP registry to a bucket of the local S3 stand-in. */
export function s3Command(registryHost: string, sourcePath: string, bucket: string, endpoint: string): string[] {
  return [
    's3',
    '--source',
    `${registryHost}/${sourcePath}`,
    '--bucket',
    bucket,
    '--endpoint',
    endpoint,
    '--insecure-registry',
    registryHost,
  ];
}

export function summaryOf(result: RunResult): Summary {
  const summary = result.lines.find((line) => line.event === 'summary');
  if (!summary) throw new Error(`no summary line (exit ${result.code}): ${result.stderr}`);
  return summary as unknown as Summary;
}

/** Every object of a bucket with the sha256 of its content. */
export async function bucketContents(
  client: S3Client,
  bucket: string,
): Promise<Map<string, { sha256: string; size: number }>> {
  const contents = new Map<string, { sha256: string; size: number }>();
  let ContinuationToken: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken }));
    for (const object of page.Contents ?? []) {
      const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: object.Key! }));
      const hash = createHash('sha256');
      let size = 0;
      for await (const chunk of got.Body as AsyncIterable<Buffer>) {
        hash.update(chunk);
        size += chunk.length;
      }
      contents.set(object.Key!, { sha256: `sha256:${hash.digest('hex')}`, size });
    }
    ContinuationToken = page.NextContinuationToken;
  } while (ContinuationToken);
  return contents;
}

export const S3_TEST_ENV = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' };

/** Sets the S3 stand-in's dummy credentials in process.env (the SDK default chain reads them); returns an undo. */
export function useS3TestCredentials(): () => void {
  const previous = Object.fromEntries(Object.keys(S3_TEST_ENV).map((key) => [key, process.env[key]]));
  Object.assign(process.env, S3_TEST_ENV);
  return () => {
    for (const [key, value] of Object.entries(previous)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
}

/** Images of several repositories in the source, and every blob they hold. */
export interface Catalogue {
  readonly images: ReadonlyArray<{ repository: string; digest: string; tags: string[]; blobs: readonly Descriptor[] }>;
  readonly blobs: ReadonlyMap<string, Descriptor>;
}

/**
 * Eight repositories of uneven sizes (own layers of 1 to 9 units) over shared base layers, as a real catalogue is:
 * a base every image has (3 units), a second base half of them have (2 units), and two repositories with a second
 * image that keeps the first one's layer. Shards split by name alone would be lopsided; by bytes, four tasks get
 * about a quarter each (the heaviest repository is 9 of 49 units).
 */
export async function pushCatalogue(client: RegistryClient, path: string, unit: number): Promise<Catalogue> {
  const platform = { os: 'linux', architecture: 'amd64' };
  const ownUnits = [9, 7, 6, 5, 4, 3, 2, 1];
  const images: Array<Catalogue['images'][number]> = [];
  for (const [n, units] of ownUnits.entries()) {
    const repository = `r${n}`;
    const full = `${path}/${repository}`;
    const bases = [await pushPrngBlob(client, full, 1000, 3 * unit)];
    if (n % 2 === 0) bases.push(await pushPrngBlob(client, full, 1001, 2 * unit));
    const own = await pushPrngBlob(client, full, n, units * unit);
    const first = await pushImage(client, full, [...bases, own], platform, 'v1');
    images.push({ repository, digest: first.digest, tags: ['v1'], blobs: first.blobs });
    if (n === 1 || n === 4) {
      const update = await pushPrngBlob(client, full, 100 + n, unit / 2);
      const second = await pushImage(client, full, [...bases, own, update], platform, 'v2');
      images.push({ repository, digest: second.digest, tags: ['v2'], blobs: second.blobs });
    }
  }
  const blobs = new Map(images.flatMap((image) => image.blobs.map((blob) => [blob.digest, blob] as const)));
  return { images, blobs };
}

/** The digest of each blob upload a registry completed (`PUT ...?digest=`), once per upload. */
export function registryBlobUploads(requests: ReadonlyArray<LoggedRequest>): string[] {
  return requests
    .filter((r) => r.method === 'PUT' && r.path.includes('/blobs/uploads/') && r.status === 201)
    .map((r) => new URLSearchParams(r.query).get('digest')!);
}

/** The digest of each blob object the S3 stand-in stored (a PUT, or a completed multipart upload). */
export function s3BlobWrites(requests: ReadonlyArray<LoggedRequest>, bucket: string): string[] {
  const prefix = `/${bucket}/${BLOB_PREFIX}`;
  return requests
    .filter((r) => r.status === 200 && decodeURIComponent(r.path).startsWith(prefix))
    .filter(
      (r) =>
        (r.method === 'PUT' && !r.query.includes('partNumber')) ||
        (r.method === 'POST' && r.query.includes('uploadId')),
    )
    .map((r) => decodeURIComponent(r.path).slice(prefix.length));
}
