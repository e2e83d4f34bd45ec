/**
 * Registry -> S3: every blob (configs and layers) of the selected images into the upload bucket, skipping images whose
 * marker exists and blobs already there; a marker per manifest once everything it covers is in place.
 */
import { type Descriptor, type RegistryClient, type RegistryLocation, fullRepositoryName, Semaphore } from '../oci';
import { mapConcurrent } from './concurrent';
import type { ImageRef } from './images-file';
import type { Report } from './report';
import type { S3BlobStore } from './s3-store';
import { countBytes, retryTransfer } from './transfer';
import { blobsOfTree, childrenFirst, fetchTree, type ManifestNode } from './tree';

export interface S3JobOptions {
  readonly source: RegistryClient;
  readonly sourceLocation: RegistryLocation;
  readonly store: S3BlobStore;
  readonly images: readonly ImageRef[];
  /** Blobs copied at once (and images worked on at once). */
  readonly concurrency: number;
  readonly dryRun: boolean;
  readonly report: Report;
}

export async function replicateToS3(options: S3JobOptions): Promise<void> {
  const { source, sourceLocation, store, report } = options;
  const target = `s3://${store.bucket}`;
  const trees = new Map<string, Promise<ManifestNode>>();
  const blobTasks = new Map<string, Promise<void>>();
  const transfers = new Semaphore(options.concurrency);
  const planned = new Set<string>();

  /** Each blob once per run, however many images share it. */
  const ensureBlob = (blob: Descriptor, repository: string): Promise<void> => {
    let task = blobTasks.get(blob.digest);
    if (!task) {
      task = transfers.use(() => retryTransfer(() => copyBlob(blob, repository), report));
      task.catch((error: unknown) => report.blobFailed(blob.digest, target, error));
      blobTasks.set(blob.digest, task);
    }
    return task;
  };

  const copyBlob = async (blob: Descriptor, repository: string): Promise<void> => {
    if (await store.hasBlob(blob.digest, blob.size)) return report.blob('skipped', blob.digest, blob.size, target);
    const { body } = await source.getBlob(repository, blob.digest);
    await store.putBlob(blob.digest, blob.size, countBytes(body, report));
    report.blob('copied', blob.digest, blob.size, target);
  };

  const planBlobs = (blobs: readonly Descriptor[]) => {
    const fresh = blobs.filter((blob) => !planned.has(blob.digest));
    fresh.forEach((blob) => planned.add(blob.digest));
    report.planned(fresh.length, sum(fresh));
    return fresh;
  };

  const totals = { images: 0, skipped: 0, manifests: 0, blobs: 0, bytes: 0 };

  await mapConcurrent(options.images, options.concurrency, async (image) => {
    const repository = fullRepositoryName(sourceLocation, image.repository);
    try {
      if (await store.hasMarker(image.digest)) {
        if (options.dryRun) {
          totals.skipped++;
          report.plan({ ...image, target, action: 'skip' });
        } else report.image('skipped', image.repository, image.digest, target);
        return;
      }
      const tree = await fetchTree(source, repository, image.digest, trees);
      const manifests = childrenFirst(tree);
      if (options.dryRun) {
        const fresh = planBlobs(blobsOfTree(tree));
        totals.images++;
        totals.manifests += manifests.length;
        totals.blobs += fresh.length;
        totals.bytes += sum(fresh);
        report.plan({
          ...image,
          target,
          action: 'copy',
          manifests: manifests.length,
          blobs: fresh.length,
          bytes: sum(fresh),
        });
        return;
      }
      planBlobs(blobsOfTree(tree));
      for (const node of manifests) {
        const results = await Promise.allSettled(node.blobs.map((blob) => ensureBlob(blob, repository)));
        const failed = results.find((result) => result.status === 'rejected');
        if (failed) throw failed.reason;
        // Children first: a marker always covers blobs (and child markers) that are already in place.
        await store.putMarker(node.digest);
        report.manifest('copied', node.digest, target);
      }
      report.image('copied', image.repository, image.digest, target);
    } catch (error) {
      report.image('failed', image.repository, image.digest, target, error);
    }
  });

  if (options.dryRun) report.planTotals(totals);
}

function sum(blobs: readonly Descriptor[]): number {
  return blobs.reduce((total, blob) => total + blob.size, 0);
}
