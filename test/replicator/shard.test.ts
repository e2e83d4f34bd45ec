/**
 * How the tasks of a job split the work (lib/replicator/shard.ts): the pure assignment as tables, the task from Cloud
 * Run's environment, and the property every task relies on: the same inputs in any order give the same assignment,
 * and across the tasks every repository and every shared blob is somebody's, exactly once.
 */
import fc from 'fast-check';
import type { Descriptor } from '../../lib/oci';
import {
  type ImageRef,
  type RepositoryWork,
  shardOf,
  shareOf,
  taskBudgets,
  taskOf,
  UsageError,
} from '../../lib/replicator';

const blob = (name: string, size: number): Descriptor => ({
  mediaType: 'application/vnd.oci.image.layer.v1.tar',
  digest: `sha256:${name.padEnd(64, '0')}`,
  size,
});

/** `a:10` is a repository whose own blob weighs 10; a blob listed in two repositories is shared. */
function work(spec: Record<string, Descriptor[]>): RepositoryWork[] {
  return Object.entries(spec).map(([repository, blobs]) => ({ repository, blobs }));
}

const shared = blob('5', 50);

describe('shardOf', () => {
  it.each([
    {
      name: 'one task takes everything',
      tasks: 1,
      work: work({ a: [blob('a', 10)], b: [blob('b', 20)] }),
      repositories: { a: 0, b: 0 },
      sharedBlobs: {},
      bytes: [30],
    },
    {
      name: 'heaviest first, each to the lightest task (not by name)',
      tasks: 2,
      work: work({ a: [blob('a', 10)], b: [blob('b', 70)], c: [blob('c', 30)], d: [blob('d', 40)] }),
      // b 70 -> 0; d 40 -> 1; c 30 -> 1 (40 < 70); a 10 -> 0 (70 = 70: the lower index)
      repositories: { b: 0, d: 1, c: 1, a: 0 },
      sharedBlobs: {},
      bytes: [80, 70],
    },
    {
      name: 'a blob two repositories use is a unit of its own, counted once',
      tasks: 2,
      work: work({ a: [blob('a', 40), shared], b: [blob('b', 30), shared] }),
      // shared 50 -> 0; a 40 -> 1; b 30 -> 1 (40 < 50)
      repositories: { a: 1, b: 1 },
      sharedBlobs: { [shared.digest]: 0 },
      bytes: [50, 70],
    },
    {
      name: 'equal weights: ordered by name, then to the lowest index',
      tasks: 3,
      work: work({ c: [blob('c', 10)], a: [blob('a', 10)], b: [blob('b', 10)] }),
      repositories: { a: 0, b: 1, c: 2 },
      sharedBlobs: {},
      bytes: [10, 10, 10],
    },
    {
      name: 'more tasks than work: some tasks have nothing to do',
      tasks: 4,
      work: work({ a: [blob('a', 10)] }),
      repositories: { a: 0 },
      sharedBlobs: {},
      bytes: [10, 0, 0, 0],
    },
    {
      name: 'a repository whose every blob is shared weighs nothing, and still has a task',
      tasks: 2,
      work: work({ a: [shared], b: [shared, blob('b', 20)] }),
      // shared 50 -> 0; b 20 -> 1; a 0 -> 1 (20 < 50)
      repositories: { a: 1, b: 1 },
      sharedBlobs: { [shared.digest]: 0 },
      bytes: [50, 20],
    },
    {
      name: 'the same repository listed twice (two images) is one unit',
      tasks: 2,
      work: [
        { repository: 'a', blobs: [blob('a', 10)] },
        { repository: 'a', blobs: [blob('a', 10), blob('e', 5)] },
        { repository: 'b', blobs: [blob('b', 12)] },
      ],
      repositories: { a: 0, b: 1 },
      sharedBlobs: {},
      bytes: [15, 12],
    },
  ])('$name', ({ tasks, work, repositories, sharedBlobs, bytes }) => {
    const shards = shardOf(work, tasks);
    expect(Object.fromEntries(shards.repositories)).toEqual(repositories);
    expect(Object.fromEntries(shards.sharedBlobs)).toEqual(sharedBlobs);
    expect(shards.bytes).toEqual(bytes);
  });

  it.each([0, -1, 1.5, NaN])('refuses a task count of %p', (tasks) =>
    expect(() => shardOf([], tasks)).toThrow(/positive integer/),
  );

  const workArbitrary = fc
    .array(
      fc.record({
        repository: fc.stringMatching(/^[a-z]{1,6}$/),
        blobs: fc.array(fc.record({ name: fc.stringMatching(/^[0-9a-f]{2}$/), size: fc.integer({ min: 0, max: 9 }) }), {
          maxLength: 6,
        }),
      }),
      { maxLength: 20 },
    )
    .map((entries) => {
      // A digest has one size, whichever repository lists it.
      const sizes = new Map<string, number>();
      return entries.map(({ repository, blobs }) => ({
        repository,
        blobs: blobs.map(({ name, size }) => blob(name, sizes.get(name) ?? (sizes.set(name, size), size))),
      }));
    });

  it('gives every task the same assignment whatever order it listed the work in', () => {
    fc.assert(
      fc.property(workArbitrary, fc.integer({ min: 1, max: 8 }), fc.integer(), (entries, tasks, seed) => {
        const shuffled = fc.sample(fc.shuffledSubarray(entries, { minLength: entries.length }), {
          seed,
          numRuns: 1,
        })[0]!;
        const a = shardOf(entries, tasks);
        const b = shardOf(shuffled, tasks);
        expect(Object.fromEntries(b.repositories)).toEqual(Object.fromEntries(a.repositories));
        expect(Object.fromEntries(b.sharedBlobs)).toEqual(Object.fromEntries(a.sharedBlobs));
        expect(b.bytes).toEqual(a.bytes);
      }),
    );
  });

  it('counts every distinct blob exactly once across the tasks, and keeps the heaviest within LPT bounds', () => {
    fc.assert(
      fc.property(workArbitrary, fc.integer({ min: 1, max: 8 }), (entries, tasks) => {
        const shards = shardOf(entries, tasks);
        const distinct = new Map(entries.flatMap((entry) => entry.blobs.map((b) => [b.digest, b.size])));
        const total = [...distinct.values()].reduce((sum, size) => sum + size, 0);
        expect(shards.bytes.reduce((sum, bytes) => sum + bytes, 0)).toBe(total);
        expect(new Set(shards.repositories.keys())).toEqual(new Set(entries.map((entry) => entry.repository)));
        // LPT: the heaviest task exceeds the average by at most the heaviest unit it holds.
        const heaviestUnit = Math.max(0, ...unitsOf(entries));
        expect(Math.max(...shards.bytes)).toBeLessThanOrEqual(total / tasks + heaviestUnit);
      }),
    );
  });
});

/** The weights shardOf sees: each repository's own bytes, each shared blob's size. */
function unitsOf(entries: readonly RepositoryWork[]): number[] {
  const users = new Map<string, Set<string>>();
  const sizes = new Map<string, number>();
  for (const { repository, blobs } of entries) {
    for (const b of blobs) {
      users.set(b.digest, (users.get(b.digest) ?? new Set()).add(repository));
      sizes.set(b.digest, b.size);
    }
  }
  const own = new Map<string, number>();
  for (const [digest, repositories] of users) {
    if (repositories.size === 1) {
      const [repository] = repositories;
      own.set(repository!, (own.get(repository!) ?? 0) + sizes.get(digest)!);
    }
  }
  return [...own.values(), ...[...users].filter(([, r]) => r.size > 1).map(([digest]) => sizes.get(digest)!)];
}

describe('shareOf', () => {
  const base = blob('ba5e', 100);
  const images: ImageRef[] = [
    { repository: 'b', digest: 'sha256:b1', tags: ['v1'] },
    { repository: 'a', digest: 'sha256:a1', tags: ['v1'] },
    { repository: 'c', digest: 'sha256:c1', tags: ['v1'] },
  ];
  const blobsOf = (image: ImageRef): Descriptor[] => [base, blob(image.repository, 80)];

  it('gives each task its repositories, the shared blobs it copies, and the ones it waits for', () => {
    // base 100 -> 0; a 80 -> 1; b 80 -> 1 (80 < 100); c 80 -> 0 (100 < 160)
    const shares = [0, 1].map((index) => shareOf(images, blobsOf, { index, count: 2 }));
    expect(shares.map((share) => share.images.map((image) => image.repository))).toEqual([['c'], ['b', 'a']]);
    expect(shares.map((share) => [share.bytes, share.totalBytes])).toEqual([
      [180, 340],
      [160, 340],
    ]);
    const home = images[1]; // repository a sorts first: the base layer goes where a's image goes
    expect(shares[0]!.sharedBlobs.get(base.digest)).toEqual({ blob: base, home, copiedHere: true });
    expect(shares[1]!.sharedBlobs.get(base.digest)).toEqual({ blob: base, home, copiedHere: false });
  });

  it('puts the images that wait for another task last', () => {
    const sizes: Record<string, number> = { x: 1000, w: 900, z: 50, y: 10 };
    const mixed: ImageRef[] = Object.keys(sizes).map((repository) => ({
      repository,
      digest: `sha256:${repository}1`,
      tags: [],
    }));
    const blobsOfMixed = (image: ImageRef) => [
      blob(image.repository, sizes[image.repository]!),
      ...(image.repository === 'x' || image.repository === 'y' ? [base] : []),
    ];
    // x 1000 -> 0; w 900 -> 1; base 100 -> 1 (1000); z 50 -> 0 (1000 = 1000: the lower index); y 10 -> 1
    const share = shareOf(mixed, blobsOfMixed, { index: 0, count: 2 });
    expect(share.images.map((image) => image.repository)).toEqual(['z', 'x']);
    expect(share.sharedBlobs.get(base.digest)).toMatchObject({ copiedHere: false, home: mixed[0] });
  });
});

describe('taskOf', () => {
  it.each([
    [{}, { index: 0, count: 1 }],
    [
      { CLOUD_RUN_TASK_INDEX: '2', CLOUD_RUN_TASK_COUNT: '4' },
      { index: 2, count: 4 },
    ],
    [{ CLOUD_RUN_TASK_COUNT: '1' }, { index: 0, count: 1 }],
  ])('%j is task %j', (env, task) => expect(taskOf(env)).toEqual(task));

  it.each([
    [
      { CLOUD_RUN_TASK_INDEX: '4', CLOUD_RUN_TASK_COUNT: '4' },
      'CLOUD_RUN_TASK_INDEX 4 is not below CLOUD_RUN_TASK_COUNT 4',
    ],
    [{ CLOUD_RUN_TASK_INDEX: '1', CLOUD_RUN_TASK_COUNT: '0' }, 'CLOUD_RUN_TASK_COUNT "0" is not a whole number from 1'],
    [{ CLOUD_RUN_TASK_INDEX: '-1', CLOUD_RUN_TASK_COUNT: '2' }, 'CLOUD_RUN_TASK_INDEX "-1" is not a whole number'],
    [{ CLOUD_RUN_TASK_INDEX: 'x', CLOUD_RUN_TASK_COUNT: '2' }, 'CLOUD_RUN_TASK_INDEX "x"'],
  ])('refuses %j', (env, message) => {
    expect(() => taskOf(env)).toThrow(UsageError);
    expect(() => taskOf(env)).toThrow(message);
  });
});

describe('taskBudgets', () => {
  const job = { rps: 80, hostRps: new Map([['source.example', 20]]) };

  it.each([
    [1, 80, 20],
    [4, 20, 5],
  ])('gives each of %d tasks its part of every host budget', (count, anyHost, source) => {
    const budgets = taskBudgets(job, { index: 0, count });
    expect(budgets.rateOf('mirror.example')).toBe(anyHost);
    expect(budgets.rateOf('source.example')).toBe(source);
  });
});
