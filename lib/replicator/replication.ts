/**
 * The copy loop of every replication job, whatever its destinations (destination.ts says what a destination does and
 * guarantees). Per image and destination: nothing when the destination holds the image; else its blobs, then its
 * manifests children first, each manifest once its blobs are in; then tags. Each blob is handled once per target and
 * run however many images share it, at most `concurrency` at a time, and a whole transfer is retried on transient
 * failures. A dry run takes the same decisions and reports them as a plan instead of carrying them out.
 */
import { type Descriptor, fullRepositoryName, type RegistryClient, type RegistryLocation, Semaphore } from '../oci';
import { mapConcurrent, settleAll } from './concurrent';
import type { BlobSource, ReplicationDestination } from './destination';
import type { ImageRef } from './images-file';
import type { BlobOutcome, Report } from './report';
import { countBytes, retryTransfer } from './transfer';
import { blobsOfTree, childrenFirst, fetchTree, type ManifestNode, totalSize } from './tree';

export interface ReplicationOptions {
  /** The source registry (what the loop reads of it). */
  readonly source: Pick<RegistryClient, 'host' | 'getManifest' | 'getBlob'>;
  /** The source repository tree; image repositories are relative to its path. */
  readonly sourceLocation: RegistryLocation;
  readonly destinations: readonly ReplicationDestination[];
  readonly images: readonly ImageRef[];
  /** Blobs copied at once (and images worked on at once). */
  readonly concurrency: number;
  readonly dryRun: boolean;
  readonly report: Report;
}

export async function replicate(options: ReplicationOptions): Promise<void> {
  const { source, report } = options;
  const trees = new Map<string, Promise<ManifestNode>>();
  const blobTasks = new Map<string, Promise<BlobOutcome>>();
  /** `<target>@<digest>` of every blob counted into the plan (or the progress bar's totals) already. */
  const planned = new Set<string>();
  const transfers = new Semaphore(options.concurrency);
  const totals = { images: 0, skipped: 0, manifests: 0, blobs: 0, bytes: 0 };

  const sourceRepository = (image: ImageRef) => fullRepositoryName(options.sourceLocation, image.repository);
  const treeOf = (image: ImageRef) => fetchTree(source, sourceRepository(image), image.digest, trees);

  /** The blobs of `tree` not counted yet for `target`. */
  const unplanned = (target: string, tree: ManifestNode): Descriptor[] => {
    const fresh = blobsOfTree(tree).filter((blob) => !planned.has(`${target}@${blob.digest}`));
    for (const blob of fresh) planned.add(`${target}@${blob.digest}`);
    return fresh;
  };

  const ensureBlob = (destination: ReplicationDestination, image: ImageRef, blob: Descriptor, target: string) => {
    const key = `${target}@${blob.digest}`;
    let task = blobTasks.get(key);
    if (!task) {
      const from: BlobSource = {
        host: source.host,
        repository: sourceRepository(image),
        open: async () => countBytes((await source.getBlob(from.repository, blob.digest)).body, report),
      };
      task = transfers.use(async () => {
        const outcome = await retryTransfer(() => destination.ensureBlob(image, blob, from), report);
        report.blob(outcome, blob.digest, blob.size, target);
        return outcome;
      });
      task.catch((error: unknown) => report.blobFailed(blob.digest, target, error));
      blobTasks.set(key, task);
    }
    return task;
  };

  const copyImage = async (image: ImageRef, destination: ReplicationDestination, target: string) => {
    const held = await destination.holdsImage(image);
    if (!held) {
      const tree = await treeOf(image);
      const fresh = unplanned(target, tree);
      report.planned(fresh.length, totalSize(fresh));
      for (const manifest of childrenFirst(tree)) {
        await settleAll(manifest.blobs.map((blob) => ensureBlob(destination, image, blob, target)));
        const outcome = await retryTransfer(() => destination.commitManifest(image, manifest), report);
        report.manifest(outcome, manifest.digest, target);
      }
    }
    const commitTags = destination.commitTags?.bind(destination);
    const retagged = commitTags ? await retryTransfer(() => commitTags(image, () => treeOf(image)), report) : false;
    report.image(held && !retagged ? 'skipped' : 'copied', image.repository, image.digest, target);
  };

  const planImage = async (image: ImageRef, destination: ReplicationDestination, target: string) => {
    if (await destination.holdsImage(image)) {
      totals.skipped++;
      report.plan({ ...image, target, action: 'skip' });
      return;
    }
    const tree = await treeOf(image);
    const manifests = childrenFirst(tree).length;
    const blobs = unplanned(target, tree);
    const bytes = totalSize(blobs);
    totals.images++;
    totals.manifests += manifests;
    totals.blobs += blobs.length;
    totals.bytes += bytes;
    report.plan({ ...image, target, action: 'copy', manifests, blobs: blobs.length, bytes });
  };

  await mapConcurrent(options.images, options.concurrency, async (image) => {
    for (const destination of options.destinations) {
      const target = destination.target(image);
      try {
        await (options.dryRun ? planImage : copyImage)(image, destination, target);
      } catch (error) {
        report.image('failed', image.repository, image.digest, target, error);
      }
    }
  });
  if (options.dryRun) report.planTotals(totals);
}
