/**
 * S3 cross-region replication, emulated on the local S3 stand-in. In the cloud, the upload bucket has a replication
 * rule towards every other mirror bucket, and S3 copies each new object there asynchronously. Here the stand-in's
 * own event notifications play S3's replication trigger: every object created in the upload bucket (a PUT, a copy
 * or a completed multipart upload) is copied server-side (CopyObject) into each destination bucket. As in S3:
 * only new objects are copied (nothing that was already there, no deletes), and the copy lags the upload a little.
 */
import { CopyObjectCommand } from '@aws-sdk/client-s3';
import type { LocalS3 } from './s3';

export interface ReplicationRule {
  /** The upload bucket. */
  readonly source: string;
  /** Every other mirror bucket. */
  readonly destinations: readonly string[];
}

export interface CrossRegionReplication {
  /** Resolves once every object created so far has been copied (or its copy failed). */
  idle(): Promise<void>;
  /** Copies done, and the ones that failed (each named). */
  readonly copied: () => number;
  readonly failures: () => readonly string[];
  /** No more copies are started; waits for those in flight. */
  stop(): Promise<void>;
}

/** `x-amz-copy-source` for an object: its bucket and its key, URL-encoded as S3 expects. */
export function copySource(bucket: string, key: string): string {
  return `${bucket}/${encodeURI(key)}`;
}

export function startCrossRegionReplication(
  s3: LocalS3,
  rule: ReplicationRule,
  onFailure: (message: string) => void = () => {},
): CrossRegionReplication {
  const inFlight = new Set<Promise<void>>();
  const failures: string[] = [];
  let copied = 0;
  let stopped = false;
  const copy = async (key: string, destination: string) => {
    try {
      await s3.client.send(
        new CopyObjectCommand({ Bucket: destination, Key: key, CopySource: copySource(rule.source, key) }),
      );
      copied++;
    } catch (error) {
      const message = `replication of ${rule.source}/${key} to ${destination} failed: ${(error as Error).message}`;
      failures.push(message);
      onFailure(message);
    }
  };
  s3.onObjectCreated((bucket, key) => {
    if (stopped || bucket !== rule.source) return;
    for (const destination of rule.destinations) {
      const done = copy(key, destination).finally(() => inFlight.delete(done));
      inFlight.add(done);
    }
  });
  const idle = async () => {
    while (inFlight.size > 0) await Promise.all([...inFlight]);
  };
  return {
    idle,
    copied: () => copied,
    failures: () => failures,
    async stop() {
      stopped = true;
      await idle();
    },
  };
}
