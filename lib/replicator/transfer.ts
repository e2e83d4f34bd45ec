/** What the two jobs share: bounded retries of whole blob transfers, and counting bytes as they flow. */
import type { Readable } from 'node:stream';
import { DigestMismatchError, type RetryPolicy, transientError, withRetry } from '../oci';
import type { Report } from './report';

/** Transient failures of registries (HTTP/network) and of S3 (the SDK marks them, or 5xx/429). Never a wrong digest. */
export function transient(error: unknown): false | { retryAfterMs?: number } {
  if (error instanceof DigestMismatchError) return false;
  const verdict = transientError(error);
  if (verdict) return verdict;
  const s3 = error as { $retryable?: unknown; $metadata?: { httpStatusCode?: number } } | undefined;
  const status = s3?.$metadata?.httpStatusCode;
  if (s3?.$retryable || (status !== undefined && (status === 429 || status >= 500))) return {};
  return false;
}

/** Runs one whole transfer (GET source + write destination) again on transient failures. */
export function retryTransfer<T>(operation: () => Promise<T>, report: Report, policy?: RetryPolicy): Promise<T> {
  return withRetry(operation, { policy, classify: transient, onRetry: (info) => report.retry(info) });
}

/** Feeds the live byte counter from a stream without consuming it. */
export function countBytes(stream: Readable, report: Report): Readable {
  stream.on('data', (chunk: Buffer) => report.transferred(chunk.length));
  return stream;
}
