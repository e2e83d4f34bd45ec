/**
 * The copy loop of every replication job, whatever its destinations (destination.ts says what a destination does and
 * guarantees). Per image and destination: nothing when the destination holds the image; else its blobs, then its
 * manifests children first, each manifest once its blobs are in; then tags. At most `concurrency` blobs move at a
 * time, and a whole transfer is retried on transient failures. A dry run takes the same decisions and reports them
 * as a plan instead of carrying them out.
 *
 * Each blob is copied once per destination and run: its first copy into the destination (its home) is the only one;
 * the other targets of the destination that need it (other repositories of a registry) wait for that copy, then
 * mount it, or skip it when, as in a bucket, the target is the same. When the run is one task of several (shard.ts),
 * a blob that images of several tasks share has its home fixed by the assignment: its task copies it there, before
 * anything else; the other tasks wait until the destination holds it there. Should that not happen in time (that
 * task failed or is late), they copy it themselves: duplicate work is then bounded by those blobs.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { type Descriptor, fullRepositoryName, type RegistryClient, type RegistryLocation, Semaphore } from '../oci';
import { mapConcurrent, settleAll } from './concurrent';
import type { BlobSource, ReplicationDestination } from './destination';
import type { ImageRef } from './images-file';
import type { BlobOutcome, Report } from './report';
import type { SharedBlob } from './shard';
import { countBytes, retryTransfer } from './transfer';
import { blobsOfTree, childrenFirst, fetchTree, type ManifestNode, totalSize } from './tree';

/** How long a task waits for a blob another task copies, and how often it looks. */
export interface WaitOptions {
  /** @default 15 minutes */
  readonly timeoutMs: number;
  /** First pause between two looks, doubling up to `maxDelayMs`. @default 250 */
  readonly firstDelayMs: number;
  /** @default 15000 */
  readonly maxDelayMs: number;
  /** For tests. @default timers/promises setTimeout */
  readonly sleep?: (ms: number) => Promise<unknown>;
}

export const DEFAULT_WAIT: WaitOptions = { timeoutMs: 15 * 60_000, firstDelayMs: 250, maxDelayMs: 15_000 };

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
  /** When the run is one task of several: the blobs its images share with other tasks' (shard.ts), by digest. */
  readonly sharedBlobs?: ReadonlyMap<string, SharedBlob>;
  /** Manifest trees read already (sharding reads them all), by `<repository>@<digest>` as fetchTree keys them. */
  readonly trees?: Map<string, Promise<ManifestNode>>;
  /** @default DEFAULT_WAIT */
  readonly wait?: WaitOptions;
}

interface PlanTotals {
  images: number;
  skipped: number;
  manifests: number;
  blobs: number;
  bytes: number;
}

export async function replicate(options: ReplicationOptions): Promise<void> {
  const { source, report } = options;
  const sharedBlobs = options.sharedBlobs ?? new Map<string, SharedBlob>();
  const trees = options.trees ?? new Map<string, Promise<ManifestNode>>();
  const wait = options.wait ?? DEFAULT_WAIT;
  /** One transfer per `<target>@<digest>` and run. */
  const transfers = new Map<string, Promise<BlobOutcome>>();
  /** Per destination, each digest's first copy into it (or the wait for another task's). */
  const homes = new Map<ReplicationDestination, Map<string, Promise<unknown>>>();
  /** Per target, the digests counted into the plan (or the progress bar's totals) already. */
  const planned = new Map<string, Set<string>>();
  const slots = new Semaphore(options.concurrency);
  const totals: PlanTotals = { images: 0, skipped: 0, manifests: 0, blobs: 0, bytes: 0 };

  const sourceRepository = (image: ImageRef) => fullRepositoryName(options.sourceLocation, image.repository);
  const treeOf = (image: ImageRef) => fetchTree(source, sourceRepository(image), image.digest, trees);

  /** Of `blobs`, those not counted yet for `target`. */
  const unplanned = (target: string, blobs: readonly Descriptor[]): Descriptor[] => {
    const counted = planned.get(target) ?? new Set<string>();
    planned.set(target, counted);
    const fresh = blobs.filter((blob) => !counted.has(blob.digest));
    for (const blob of fresh) counted.add(blob.digest);
    return fresh;
  };
  /** The blobs of a tree that this image's copy accounts for: a blob shared with other tasks is its task's. */
  const blobsToPlan = (tree: ManifestNode) => blobsOfTree(tree).filter((blob) => !sharedBlobs.has(blob.digest));

  /** Makes `blob` present at `target` through the destination: at most once per target and run. */
  const transfer = (destination: ReplicationDestination, image: ImageRef, blob: Descriptor, target: string) => {
    const key = `${target}@${blob.digest}`;
    let task = transfers.get(key);
    if (!task) {
      const from: BlobSource = {
        host: source.host,
        repository: sourceRepository(image),
        open: async () => countBytes((await source.getBlob(from.repository, blob.digest)).body, report),
      };
      task = slots.use(async () => {
        const outcome = await retryTransfer(() => destination.ensureBlob(image, blob, from), report);
        report.blob(outcome, blob.digest, blob.size, target);
        return outcome;
      });
      task.catch((error: unknown) => report.blobFailed(blob.digest, target, error));
      transfers.set(key, task);
    }
    return task;
  };

  /** Waits until the destination holds `blob` where `shared.home` goes, which another task copies. */
  const copiedElsewhere = async (destination: ReplicationDestination, shared: SharedBlob, target: string) => {
    const sleep = wait.sleep ?? ((ms: number) => delay(ms));
    let waited = 0;
    for (let pause = wait.firstDelayMs; ; pause = Math.min(pause * 2, wait.maxDelayMs)) {
      if (await destination.holdsBlob(shared.home, shared.blob)) return;
      if (waited + pause > wait.timeoutMs) break;
      await sleep(pause);
      waited += pause;
    }
    report.log.warn(
      { event: 'wait-timeout', digest: shared.blob.digest, target, waitedMs: waited },
      `blob ${shared.blob.digest} is still not at ${target} after ${waited} ms: this task copies it too`,
    );
  };

  /** The first copy of `blob` into `destination` (or the wait for another task's), shared by every target of it. */
  const home = (destination: ReplicationDestination, image: ImageRef, blob: Descriptor, target: string) => {
    const byDigest = homes.get(destination) ?? new Map<string, Promise<unknown>>();
    homes.set(destination, byDigest);
    let first = byDigest.get(blob.digest);
    if (!first) {
      const shared = sharedBlobs.get(blob.digest);
      if (!shared) {
        first = transfer(destination, image, blob, target);
      } else {
        const homeTarget = destination.target(shared.home);
        first = shared.copiedHere
          ? transfer(destination, shared.home, blob, homeTarget)
          : copiedElsewhere(destination, shared, homeTarget);
      }
      byDigest.set(blob.digest, first);
    }
    return first;
  };

  /** After the blob's first copy into the destination: skipped or mounted here (or copied, if that copy failed). */
  const ensureBlob = async (destination: ReplicationDestination, image: ImageRef, blob: Descriptor, target: string) => {
    await home(destination, image, blob, target).catch(() => undefined);
    return transfer(destination, image, blob, target);
  };

  const copyImage = async (image: ImageRef, destination: ReplicationDestination, target: string) => {
    const held = await destination.holdsImage(image);
    if (!held) {
      const tree = await treeOf(image);
      const fresh = unplanned(target, blobsToPlan(tree));
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
      return;
    }
    const tree = await treeOf(image);
    const manifests = childrenFirst(tree).length;
    const blobs = unplanned(target, blobsToPlan(tree));
    const bytes = totalSize(blobs);
    totals.images++;
    totals.manifests += manifests;
    totals.blobs += blobs.length;
    totals.bytes += bytes;
    report.plan({ ...image, target, manifests, blobs: blobs.length, bytes });
  };

  /** The shared blobs this task copies, into every destination: started first, as other tasks may wait for them. */
  const copiedHere = options.destinations.flatMap((destination) =>
    [...sharedBlobs.values()].filter((shared) => shared.copiedHere).map((shared) => ({ destination, shared })),
  );
  const planShared = async ({ destination, shared }: (typeof copiedHere)[number]) => {
    try {
      if (await destination.holdsBlob(shared.home, shared.blob)) return;
      totals.blobs++;
      totals.bytes += shared.blob.size;
    } catch (error) {
      report.blobFailed(shared.blob.digest, destination.target(shared.home), error);
    }
  };
  const sharedWork = options.dryRun
    ? mapConcurrent(copiedHere, options.concurrency, planShared)
    : Promise.allSettled(
        copiedHere.map(({ destination, shared }) => {
          report.planned(1, shared.blob.size);
          // A failure is reported as a blob line by the transfer.
          return home(destination, shared.home, shared.blob, destination.target(shared.home));
        }),
      );

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
  await sharedWork;
  if (options.dryRun) report.planTotals(totals);
}
