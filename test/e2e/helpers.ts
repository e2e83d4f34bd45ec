/**
 * Shared by the end-to-end tests: pulling with real clients (skopeo, containerd's ctr) and reading, from the
 * backends' own request logs (the registry's and Azurite's access logs, the S3 stand-in's own log), which backend
 * served which blob.
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
/** Azurite's path-style blob URLs: `/<account>/<container>/<blob>`. */
const CONTAINER_BLOB = new RegExp(`^/([^/]+/[^/]+)/${BLOB_PREFIX}(${DIGEST})$`);

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

/** Blobs served whole (GET, 200) per place (bucket, or `<account>/<container>`), from a request log. */
function blobsByPlace(entries: readonly LoggedRequest[], pattern: RegExp): Record<string, string[]> {
  const byPlace: Record<string, string[]> = {};
  for (const e of entries) {
    const match = e.method === 'GET' && e.status === 200 ? pattern.exec(decodeURIComponent(e.path)) : null;
    if (match) (byPlace[match[1]!] ??= []).push(match[2]!);
  }
  return Object.fromEntries(Object.entries(byPlace).map(([place, digests]) => [place, sorted(digests)]));
}

/** Blobs the S3 stand-in served whole (GET, 200), per bucket, from its own request log. */
export const bucketBlobs = (entries: readonly LoggedRequest[]) => blobsByPlace(entries, BUCKET_BLOB);

/** Blobs Azurite served whole (GET, 200), per `<account>/<container>`, from its access log. */
export const containerBlobs = (entries: readonly LoggedRequest[]) => blobsByPlace(entries, CONTAINER_BLOB);

/** What every backend served while `pull` ran: the canonical registry's blobs, each bucket's and each container's. */
export async function servedDuring<T>(
  system: LocalSystem,
  pull: () => Promise<T>,
): Promise<{
  result: T;
  registry: string[];
  buckets: Record<string, string[]>;
  containers: Record<string, string[]>;
}> {
  const registryMark = system.registry.requests.mark();
  const s3Mark = system.s3.requests.mark();
  const azuriteMark = system.azurite?.requests.mark();
  const result = await pull();
  await Promise.all([system.registry.settle(), system.azurite?.settle()]);
  return {
    result,
    registry: registryBlobs(system.registry.requests.since(registryMark)),
    buckets: bucketBlobs(system.s3.requests.since(s3Mark)),
    containers: system.azurite ? containerBlobs(system.azurite.requests.since(azuriteMark)) : {},
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
