/**
 * How the tasks of one job share the work without talking to each other. Cloud Run Jobs starts N copies of the job
 * (`CLOUD_RUN_TASK_INDEX` 0..N-1, `CLOUD_RUN_TASK_COUNT` N); each selects the same images from the source, computes
 * the same assignment from them (`shardOf`: pure and deterministic, no clock, no randomness, no locale), and copies
 * only its share. Cloud Run is what scales the job; nothing here coordinates.
 *
 * The units of work are each repository, weighing the bytes of the blobs only its images use, and each blob that
 * images of two repositories or more use (a shared base layer), weighing its size. Longest processing time first:
 * units heaviest first, each to the task with the fewest bytes so far, so the heaviest task stays within 4/3 of the
 * best split. A repository's images (manifests, tags, the blobs only they use) are its task's. A shared blob is
 * copied by its own task, and only to where the first image using it goes (its home); every other task whose images
 * need it waits until the destination holds it there, then skips it (S3: one key per digest) or mounts it (registry).
 * So each blob is copied once across the tasks, and each task copies about 1/N of the bytes.
 */
import type { Env } from '../config/env';
import { type Descriptor, RequestBudgets } from '../oci';
import { UsageError } from './errors';
import type { ImageRef } from './images-file';

/** Which copy of the job this process is. */
export interface Task {
  /** 0-based. */
  readonly index: number;
  readonly count: number;
}

export const SINGLE_TASK: Task = { index: 0, count: 1 };

/** The task Cloud Run Jobs says this is (`CLOUD_RUN_TASK_INDEX`, `CLOUD_RUN_TASK_COUNT`); one task without them. */
export function taskOf(env: Env): Task {
  const { CLOUD_RUN_TASK_INDEX: indexText, CLOUD_RUN_TASK_COUNT: countText } = env;
  if (indexText === undefined && countText === undefined) return SINGLE_TASK;
  const count = wholeNumber('CLOUD_RUN_TASK_COUNT', countText ?? '1', 1);
  const index = wholeNumber('CLOUD_RUN_TASK_INDEX', indexText ?? '0', 0);
  if (index >= count)
    throw new UsageError(
      `CLOUD_RUN_TASK_INDEX ${index} is not below CLOUD_RUN_TASK_COUNT ${count} (tasks count from 0)`,
    );
  return { index, count };
}

/** The job's request budgets as `task` may spend them: its part of each, so that all the tasks together keep them. */
export function taskBudgets(
  job: { readonly rps: number; readonly hostRps: ReadonlyMap<string, number> },
  task: Task,
): RequestBudgets {
  return new RequestBudgets({ requestsPerSecond: job.rps, perHost: job.hostRps, share: 1 / task.count });
}

function wholeNumber(name: string, text: string, min: number): number {
  const value = Number(text);
  if (!/^\d{1,9}$/.test(text) || value < min)
    throw new UsageError(`${name} ${JSON.stringify(text)} is not a whole number from ${min}`);
  return value;
}

/** The distinct blobs of a repository's selected images: what the assignment weighs. */
export interface RepositoryWork {
  readonly repository: string;
  readonly blobs: readonly Descriptor[];
}

export interface Shards {
  /** The task of each repository. */
  readonly repositories: ReadonlyMap<string, number>;
  /** The task copying each blob that images of two repositories or more use, by digest. */
  readonly sharedBlobs: ReadonlyMap<string, number>;
  /** The bytes each task is expected to copy (into each destination): its repositories' own blobs and its shared ones. */
  readonly bytes: readonly number[];
}

interface Unit {
  readonly kind: 'repository' | 'blob';
  /** A repository name or a digest; the two grammars never meet (a repository name has no `:`). */
  readonly key: string;
  readonly bytes: number;
}

/** Assigns every repository and every shared blob of `work` to one of `taskCount` tasks (see the file comment). */
export function shardOf(work: readonly RepositoryWork[], taskCount: number): Shards {
  if (!Number.isInteger(taskCount) || taskCount < 1)
    throw new Error(`task count must be a positive integer, got ${taskCount}`);
  const users = new Map<string, { blob: Descriptor; repositories: Set<string> }>();
  for (const { repository, blobs } of work) {
    for (const blob of blobs) {
      const entry = users.get(blob.digest) ?? { blob, repositories: new Set<string>() };
      entry.repositories.add(repository);
      users.set(blob.digest, entry);
    }
  }
  const isShared = (digest: string) => users.get(digest)!.repositories.size > 1;

  /** Each repository's own blobs (no other repository uses them): size by digest. */
  const own = new Map<string, Map<string, number>>();
  for (const { repository, blobs } of work) {
    const sizes = own.get(repository) ?? new Map<string, number>();
    for (const blob of blobs) if (!isShared(blob.digest)) sizes.set(blob.digest, blob.size);
    own.set(repository, sizes);
  }
  const units: Unit[] = [...own].map(([repository, sizes]) => ({
    kind: 'repository',
    key: repository,
    bytes: sum(sizes.values()),
  }));
  for (const [digest, { blob }] of users)
    if (isShared(digest)) units.push({ kind: 'blob', key: digest, bytes: blob.size });
  units.sort((a, b) => b.bytes - a.bytes || compareText(a.key, b.key));

  const bytes = new Array<number>(taskCount).fill(0);
  const repositoryTasks = new Map<string, number>();
  const blobTasks = new Map<string, number>();
  for (const unit of units) {
    const task = lightest(bytes);
    bytes[task]! += unit.bytes;
    (unit.kind === 'repository' ? repositoryTasks : blobTasks).set(unit.key, task);
  }
  return { repositories: repositoryTasks, sharedBlobs: blobTasks, bytes };
}

/** The task with the fewest bytes; the lowest index among equals. */
function lightest(bytes: readonly number[]): number {
  let best = 0;
  for (let task = 1; task < bytes.length; task++) if (bytes[task]! < bytes[best]!) best = task;
  return best;
}

/** A blob images of several repositories use, as one task sees it. */
export interface SharedBlob {
  readonly blob: Descriptor;
  /** The first image using it (by repository, then digest): where its task copies it, and where others look for it. */
  readonly home: ImageRef;
  /** Whether this task copies it; otherwise another task does, and this one waits for it where `home` goes. */
  readonly copiedHere: boolean;
}

/** What one task does. */
export interface TaskShare {
  /** The images of its repositories; those that need no other task's blob first. */
  readonly images: readonly ImageRef[];
  /** The shared blobs it copies or its images need, by digest. */
  readonly sharedBlobs: ReadonlyMap<string, SharedBlob>;
  /** Bytes it is expected to copy, and all tasks together. */
  readonly bytes: number;
  readonly totalBytes: number;
  /** Its repositories, and all of them. */
  readonly repositories: number;
  readonly totalRepositories: number;
}

/** The share of `task` among `images`, whose blobs `blobsOf` tells (the distinct blobs of each image's tree). */
export function shareOf(
  images: readonly ImageRef[],
  blobsOf: (image: ImageRef) => readonly Descriptor[],
  task: Task,
): TaskShare {
  const ordered = [...images].sort(
    (a, b) => compareText(a.repository, b.repository) || compareText(a.digest, b.digest),
  );
  const byRepository = new Map<string, Map<string, Descriptor>>();
  const homes = new Map<string, ImageRef>();
  for (const image of ordered) {
    const blobs = byRepository.get(image.repository) ?? new Map<string, Descriptor>();
    for (const blob of blobsOf(image)) {
      blobs.set(blob.digest, blob);
      if (!homes.has(blob.digest)) homes.set(blob.digest, image);
    }
    byRepository.set(image.repository, blobs);
  }
  const shards = shardOf(
    [...byRepository].map(([repository, blobs]) => ({ repository, blobs: [...blobs.values()] })),
    task.count,
  );

  const mine = images.filter((image) => shards.repositories.get(image.repository) === task.index);
  const sharedBlobs = new Map<string, SharedBlob>();
  const share = (digest: string, blob: Descriptor, owner: number) =>
    sharedBlobs.set(digest, { blob, home: homes.get(digest)!, copiedHere: owner === task.index });
  for (const [digest, owner] of shards.sharedBlobs) {
    if (owner === task.index) share(digest, byRepository.get(homes.get(digest)!.repository)!.get(digest)!, owner);
  }
  const waitsFor = new Set<ImageRef>();
  for (const image of mine) {
    for (const blob of blobsOf(image)) {
      const owner = shards.sharedBlobs.get(blob.digest);
      if (owner === undefined || owner === task.index) continue;
      share(blob.digest, blob, owner);
      waitsFor.add(image);
    }
  }
  return {
    images: [...mine.filter((image) => !waitsFor.has(image)), ...mine.filter((image) => waitsFor.has(image))],
    sharedBlobs,
    bytes: shards.bytes[task.index]!,
    totalBytes: sum(shards.bytes),
    repositories: [...shards.repositories.values()].filter((owner) => owner === task.index).length,
    totalRepositories: shards.repositories.size,
  };
}

function sum(values: Iterable<number>): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}

/** Code-unit order: the same in every task whatever its locale. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
