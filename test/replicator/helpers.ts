/** Shared by the replicator's integration tests: run the command in-process and collect its JSON lines. */
import { createHash } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { runReplicate, type Summary } from '../../lib/replicator';

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
