/**
 * Registry -> registries: fans images out from the source repository tree to each destination tree. Per image and
 * destination: blobs first (skipped when present, mounted when the registry already holds them in another
 * repository, else streamed source -> destination and verified on the way), then manifests by digest, children before
 * the indexes that list them, then tags. A destination that already has the image's manifest only gets its tags checked.
 */
import { type Descriptor, type RegistryClient, type RegistryLocation, fullRepositoryName, Semaphore } from '../oci';
import { mapConcurrent } from './concurrent';
import type { ImageRef } from './images-file';
import type { BlobOutcome, Report } from './report';
import { countBytes, retryTransfer } from './transfer';
import { blobsOfTree, childrenFirst, fetchTree, type ManifestNode } from './tree';

export interface Destination {
  readonly client: RegistryClient;
  readonly location: RegistryLocation;
}

export interface RegistryJobOptions {
  readonly source: RegistryClient;
  readonly sourceLocation: RegistryLocation;
  readonly destinations: readonly Destination[];
  readonly images: readonly ImageRef[];
  /** Blobs copied at once (and images worked on at once). */
  readonly concurrency: number;
  readonly dryRun: boolean;
  readonly report: Report;
}

export async function replicateToRegistries(options: RegistryJobOptions): Promise<void> {
  const { source, sourceLocation, report } = options;
  const trees = new Map<string, Promise<ManifestNode>>();
  const blobTasks = new Map<string, Promise<void>>();
  /** Where each destination registry holds a blob already (a repository to mount it from). */
  const heldIn = new Map<string, string>();
  const transfers = new Semaphore(options.concurrency);
  const totals = { images: 0, skipped: 0, manifests: 0, blobs: 0, bytes: 0 };

  const ensureBlob = (destination: Destination, repository: string, blob: Descriptor, sourceRepository: string) => {
    const key = `${destination.client.host}/${repository}@${blob.digest}`;
    let task = blobTasks.get(key);
    if (!task) {
      const target = `${destination.client.host}/${repository}`;
      task = transfers.use(() =>
        retryTransfer(async () => {
          const outcome = await copyBlob(destination, repository, blob, sourceRepository);
          heldIn.set(`${destination.client.host}@${blob.digest}`, repository);
          report.blob(outcome, blob.digest, blob.size, target);
        }, report),
      );
      task.catch((error: unknown) => report.blobFailed(blob.digest, target, error));
      blobTasks.set(key, task);
    }
    return task;
  };

  const copyBlob = async (
    destination: Destination,
    repository: string,
    blob: Descriptor,
    sourceRepository: string,
  ): Promise<BlobOutcome> => {
    const { client } = destination;
    if ((await client.blobSize(repository, blob.digest)) === blob.size) return 'skipped';
    const mountFrom = client.host === source.host ? sourceRepository : heldIn.get(`${client.host}@${blob.digest}`);
    const open = async () => countBytes((await source.getBlob(sourceRepository, blob.digest)).body, report);
    const pushed = await client.pushBlob(repository, blob.digest, blob.size, open, mountFrom);
    return pushed === 'mounted' ? 'mounted' : 'copied';
  };

  const copyImage = async (image: ImageRef, tree: ManifestNode, destination: Destination) => {
    const { client } = destination;
    const repository = fullRepositoryName(destination.location, image.repository);
    const sourceRepository = fullRepositoryName(sourceLocation, image.repository);
    const target = `${client.host}/${repository}`;
    // Manifests are pushed children first, so a present root means the whole tree is present.
    const complete = (await client.headManifest(repository, image.digest)) !== undefined;
    if (!complete) {
      for (const node of childrenFirst(tree)) {
        const results = await Promise.allSettled(
          node.blobs.map((blob) => ensureBlob(destination, repository, blob, sourceRepository)),
        );
        const failed = results.find((result) => result.status === 'rejected');
        if (failed) throw failed.reason;
        if (node !== tree && (await client.headManifest(repository, node.digest))) {
          report.manifest('skipped', node.digest, target);
          continue;
        }
        await retryTransfer(() => client.putManifest(repository, node.digest, node), report);
        report.manifest('copied', node.digest, target);
      }
    }
    let tagsMoved = 0;
    for (const tag of image.tags) {
      if ((await client.headManifest(repository, tag))?.digest === image.digest) continue;
      await retryTransfer(() => client.putManifest(repository, tag, tree), report);
      tagsMoved++;
    }
    report.image(complete && tagsMoved === 0 ? 'skipped' : 'copied', image.repository, image.digest, target);
  };

  await mapConcurrent(options.images, options.concurrency, async (image) => {
    const sourceRepository = fullRepositoryName(sourceLocation, image.repository);
    let tree: ManifestNode;
    try {
      tree = await fetchTree(source, sourceRepository, image.digest, trees);
    } catch (error) {
      for (const destination of options.destinations) {
        report.image('failed', image.repository, image.digest, destination.client.host, error);
      }
      return;
    }
    if (options.dryRun) return plan(image, tree);
    report.planned(
      blobsOfTree(tree).length * options.destinations.length,
      sumSizes(blobsOfTree(tree)) * options.destinations.length,
    );
    for (const destination of options.destinations) {
      try {
        await copyImage(image, tree, destination);
      } catch (error) {
        report.image(
          'failed',
          image.repository,
          image.digest,
          `${destination.client.host}/${destination.location.path}`,
          error,
        );
      }
    }
  });

  async function plan(image: ImageRef, tree: ManifestNode) {
    for (const destination of options.destinations) {
      const repository = fullRepositoryName(destination.location, image.repository);
      const target = `${destination.client.host}/${repository}`;
      if (await destination.client.headManifest(repository, image.digest)) {
        totals.skipped++;
        report.plan({ ...image, target, action: 'skip' });
        continue;
      }
      const blobs = blobsOfTree(tree);
      const manifests = childrenFirst(tree).length;
      totals.images++;
      totals.manifests += manifests;
      totals.blobs += blobs.length;
      totals.bytes += sumSizes(blobs);
      report.plan({ ...image, target, action: 'copy', manifests, blobs: blobs.length, bytes: sumSizes(blobs) });
    }
  }

  if (options.dryRun) report.planTotals(totals);
}

function sumSizes(blobs: readonly Descriptor[]): number {
  return blobs.reduce((total, blob) => total + blob.size, 0);
}
