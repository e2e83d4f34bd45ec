/**
 * Shared by the end-to-end tests: pulling with real clients (skopeo, containerd's ctr) and reading, from the
 * backends' own request logs, which backend served which blob.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { LoggedRequest } from '../../lib/local/request-log';
import type { SampleImage } from '../../lib/local/sample-image';
import type { LocalSystem } from '../../lib/local/system';
import { BLOB_PREFIX } from '../../lib/topology/blob-layout';

const run = promisify(execFile);

const DIGEST = 'sha256:[0-9a-f]{64}';
const REGISTRY_BLOB = new RegExp(`^/v2/.+/blobs/(${DIGEST})$`);
const BUCKET_BLOB = new RegExp(`^/([^/]+)/${BLOB_PREFIX}(${DIGEST})$`);

const sorted = (digests: Iterable<string>) => [...new Set(digests)].sort();

/** Blobs a registry served whole (GET, 200), from its access log. */
export function registryBlobs(entries: readonly LoggedRequest[]): string[] {
  return sorted(
    entries.flatMap((e) => {
      const match = e.method === 'GET' && e.status === 200 ? REGISTRY_BLOB.exec(decodeURIComponent(e.path)) : null;
      return match ? [match[1]!] : [];
    }),
  );
}

/** Blobs the S3 stand-in served whole (GET, 200), per bucket, from its own request log. */
export function bucketBlobs(entries: readonly LoggedRequest[]): Record<string, string[]> {
  const byBucket: Record<string, string[]> = {};
  for (const e of entries) {
    const match = e.method === 'GET' && e.status === 200 ? BUCKET_BLOB.exec(decodeURIComponent(e.path)) : null;
    if (match) (byBucket[match[1]!] ??= []).push(match[2]!);
  }
  return Object.fromEntries(Object.entries(byBucket).map(([bucket, digests]) => [bucket, sorted(digests)]));
}

/** What every backend served while `pull` ran: the canonical registry's blobs and each bucket's. */
export async function servedDuring<T>(
  system: LocalSystem,
  pull: () => Promise<T>,
): Promise<{ result: T; registry: string[]; buckets: Record<string, string[]> }> {
  const registryMark = system.registry.requests.mark();
  const s3Mark = system.s3.requests.mark();
  const result = await pull();
  await system.registry.settle();
  return {
    result,
    registry: registryBlobs(system.registry.requests.since(registryMark)),
    buckets: bucketBlobs(system.s3.requests.since(s3Mark)),
  };
}

/** Every digest of an image with both platforms: the index, each platform's manifest, and every blob. */
export function allDigests(image: SampleImage): string[] {
  return sorted([image.digest, ...image.platforms.map((p) => p.digest), ...image.blobs.map((b) => b.digest)]);
}

export const blobDigests = (image: SampleImage) => sorted(image.blobs.map((b) => b.digest));

/**
 * `skopeo copy` from the front door into a fresh OCI layout; resolves with the digests it holds (skopeo verifies
 * every blob against its digest while copying).
 */
export async function skopeoPull(
  host: string,
  image: string,
  parent: string,
  flags: readonly string[],
): Promise<string[]> {
  const dir = mkdtempSync(join(parent, 'skopeo-'));
  await run('skopeo', [
    'copy',
    ...flags,
    '--preserve-digests',
    '--src-tls-verify=false',
    `docker://${host}/${image}`,
    `oci:${dir}:pulled`,
  ]);
  return sorted(readdirSync(join(dir, 'blobs/sha256')).map((hex) => `sha256:${hex}`));
}

export const SKOPEO_ALL_PLATFORMS = ['--all'];
export const skopeoPlatform = (os: string, architecture: string) => [
  '--override-os',
  os,
  '--override-arch',
  architecture,
];
