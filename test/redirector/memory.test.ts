/**
 * Memory given back after a burst (lib/redirector/memory.ts): the decision as a table, the exposed gc leaving V8's
 * flags as they were (else the image's code cache is refused), the collections leaving node's tick objects on V8's
 * fast path, and a real process whose heap and RSS a burst grew coming back once idle.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { Script } from 'node:vm';
import { tsxNodeArgs } from '../../lib/synth/tsx';
import {
  collectFully,
  exposedGc,
  fullCollectionOptions,
  LAST_RESORT,
  RELEASE_INTERVAL_MS,
  RELEASE_LIMITS,
  releaseMemoryWhenIdle,
  releaseStep,
  type MemorySample,
  type ReleaseState,
} from '../../lib/redirector/memory';

const MB = 1024 * 1024;
/** The module the child processes below require (through tsx). */
const MEMORY_MODULE = join(__dirname, '../../lib/redirector/memory.ts');

/**
 * Runs `script` (CommonJS; MEMORY_MODULE in its environment) in a node of its own through tsx and returns what it
 * printed. Its stdout goes to a file: V8's %DebugPrint writes through C's stdio, and through a pipe 3 KB of its 12 KB
 * arrived (measured).
 */
async function runChild(script: string, env: NodeJS.ProcessEnv = {}, nodeArgs: string[] = []): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'memory-child-'));
  const file = join(dir, 'child.cjs');
  const printed = join(dir, 'stdout.txt');
  writeFileSync(file, script);
  const fd = openSync(printed, 'w');
  try {
    const child = spawn(process.execPath, [...nodeArgs, ...tsxNodeArgs(file)], {
      env: { PATH: process.env.PATH, MEMORY_MODULE, ...env },
      stdio: ['ignore', fd, 'inherit'],
      timeout: 30_000,
    });
    const exitCode = await new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', resolve);
    });
    expect(exitCode).toBe(0);
    return readFileSync(printed, 'utf8');
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
}
const FLOOR = 10 * MB;
const ABOVE = FLOOR + RELEASE_LIMITS.growthBytes + MB;
const MAX = RELEASE_LIMITS.collectionsPerIdle;

describe('releaseStep', () => {
  const QUIET = RELEASE_LIMITS.quietIntervals;
  const state = (floorBytes: number, idleIntervals: number, collections: number): ReleaseState => ({
    floorBytes,
    idleIntervals,
    collections,
  });
  const busy = (heapBytes: number): MemorySample => ({ utilization: 0.5, heapBytes });
  const idle = (heapBytes: number): MemorySample => ({ utilization: 0.01, heapBytes });
  const cases: [string, ReleaseState, MemorySample, boolean, ReleaseState][] = [
    ['busy: nothing, and the idle count restarts', state(FLOOR, QUIET + 1, 1), busy(ABOVE), false, state(FLOOR, 0, 0)],
    [
      'busy at the threshold itself',
      state(FLOOR, 3, 0),
      { utilization: RELEASE_LIMITS.idleUtilization, heapBytes: ABOVE },
      false,
      state(FLOOR, 0, 0),
    ],
    [
      'idle, above the floor, not yet quiet long enough: wait',
      state(FLOOR, QUIET - 2, 0),
      idle(ABOVE),
      false,
      state(FLOOR, QUIET - 1, 0),
    ],
    [
      'idle, above the floor, quiet long enough: collect',
      state(FLOOR, QUIET - 1, 0),
      idle(ABOVE),
      true,
      state(FLOOR, QUIET, 1),
    ],
    ['still above: collect again', state(FLOOR, QUIET, MAX - 1), idle(ABOVE), true, state(FLOOR, QUIET + 1, MAX)],
    [
      'still above after the last collection: live data, the new floor',
      state(FLOOR, QUIET + 1, MAX),
      idle(ABOVE),
      false,
      state(ABOVE, QUIET + 2, 0),
    ],
    [
      'idle, within the allowed growth: nothing',
      state(FLOOR, QUIET + 5, 0),
      idle(FLOOR + RELEASE_LIMITS.growthBytes),
      false,
      state(FLOOR, QUIET + 6, 0),
    ],
    [
      'back below the floor: the lower floor',
      state(FLOOR, QUIET, 1),
      idle(FLOOR - MB),
      false,
      state(FLOOR - MB, QUIET + 1, 0),
    ],
  ];
  it.each(cases)('%s', (_name, before, sample, collect, after) => {
    expect(releaseStep(before, sample)).toEqual({ collect, state: after });
  });
});

describe('exposedGc', () => {
  it('returns V8 gc and leaves the flags as they were: a code cache made before is still accepted', () => {
    const source = 'function twice(x) { return 2 * x; } twice(21);';
    const made = new Script(source, { filename: 'memory-test.js' });
    made.runInThisContext();
    const cachedData = made.createCachedData();
    const gc = exposedGc();
    expect(typeof gc).toBe('function');
    gc();
    // Another name: the same one would be served from V8's in-memory compilation cache, not from cachedData.
    expect(new Script(source, { filename: 'memory-test-again.js', cachedData }).cachedDataRejected).toBe(false);
  });
});

/** The release with its default collect for half a second, under LIMITS; prints the full collections V8 made. */
const DEFAULT_COLLECTIONS = `
const { constants, PerformanceObserver } = require('node:perf_hooks');
const { releaseMemoryWhenIdle } = require(process.env.MEMORY_MODULE);
let full = 0;
const observer = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) if (entry.detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR) full++;
});
observer.observe({ entryTypes: ['gc'] });
const stop = releaseMemoryWhenIdle({ intervalMs: 10, limits: JSON.parse(process.env.LIMITS) });
setTimeout(() => {
  stop();
  // The entries of the last collections are delivered after this task.
  setImmediate(() => {
    observer.disconnect();
    console.log(JSON.stringify({ full }));
  });
}, 500);
`;

/** Grows the heap with a burst of short-lived objects, goes idle, and reports the heap before, at peak, after. */
const BURST = `
const { getHeapStatistics } = require('node:v8');
const { releaseMemoryWhenIdle, RELEASE_LIMITS } = require(process.env.MEMORY_MODULE);
const heap = () => getHeapStatistics().total_heap_size;
const before = heap();
const rssBefore = process.memoryUsage().rss;
// Collections from the first idle second on (the service waits 10 s): the same release, sooner.
const stop = releaseMemoryWhenIdle({ limits: { ...RELEASE_LIMITS, quietIntervals: 1 } });
let live = [];
const until = Date.now() + 1500;
while (Date.now() < until) {
  live.push({ n: live.length, text: 'x' + live.length });
  if (live.length > 20000) live = [];
}
live = [];
const peak = heap();
const rssPeak = process.memoryUsage().rss;
const deadline = Date.now() + 15000;
// Both the heap and the pages: on Node 20 the pages come back some collections after the heap does.
const given = () => heap() <= before + 4 * 1024 * 1024 && process.memoryUsage().rss <= rssBefore + 8 * 1024 * 1024;
const poll = setInterval(() => {
  if (!given() && Date.now() < deadline) return;
  clearInterval(poll);
  stop();
  console.log(JSON.stringify({ before, peak, after: heap(), rssBefore, rssPeak, rssAfter: process.memoryUsage().rss }));
}, 100);
`;

/**
 * Starts the release (HOLD=release) or not (HOLD=none), makes tick objects, then full collections as a quiet process
 * gets them (the release's, as many as it makes at most, and V8's own), then tick objects again, and prints V8's view
 * of process.nextTick (%DebugPrint: its inline caches' states).
 */
const TICKS_AFTER_COLLECTIONS = `
const { fullCollectionOptions, RELEASE_LIMITS, releaseMemoryWhenIdle } = require(process.env.MEMORY_MODULE);
const tick = () => new Promise((resolve) => process.nextTick((x) => resolve(x), 1));
if (process.env.HOLD === 'release') releaseMemoryWhenIdle()();
(async () => {
  for (let i = 0; i < 1000; i++) await tick();
  for (let i = 0; i < RELEASE_LIMITS.collectionsPerIdle; i++) {
    gc(fullCollectionOptions(process.versions.v8));
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  for (let i = 0; i < 1000; i++) await tick();
  new Function('f', '%DebugPrint(f)')(process.nextTick);
})();
`;

/** The states of the inline caches that store a literal's computed keys, from %DebugPrint's text. */
function keyedLiteralStores(debugPrint: string): string[] {
  return [...debugPrint.matchAll(/DefineKeyedOwnPropertyInLiteral (\w+)/g)].map((match) => match[1]!);
}

describe("node's tick objects across a quiet process's collections", () => {
  const run = async (hold: 'release' | 'none') =>
    keyedLiteralStores(
      await runChild(TICKS_AFTER_COLLECTIONS, { HOLD: hold }, ['--allow-natives-syntax', '--expose-gc']),
    );

  it("keep process.nextTick's keyed stores monomorphic once the release has started", async () => {
    const states = await run('release');
    // nextTick's literal has two computed keys; fewer states means V8 printed no feedback to judge by.
    expect(states.length).toBeGreaterThanOrEqual(2);
    expect(states.every((state) => state === 'MONOMORPHIC')).toBe(true);
  }, 40_000);

  it('without it, the same collections turn them megamorphic (the check can fail)', async () => {
    expect(await run('none')).toContain('MEGAMORPHIC');
  }, 40_000);
});

describe('releaseMemoryWhenIdle', () => {
  /** Limits under which every sample is idle and above the floor: the first step collects. */
  const always = {
    idleUtilization: 2,
    quietIntervals: 1,
    growthBytes: -Number.MAX_SAFE_INTEGER,
    collectionsPerIdle: 1,
  };

  it('samples on its interval and collects when the step says so', async () => {
    let stop: (() => void) | undefined;
    await new Promise<void>((resolve) => {
      stop = releaseMemoryWhenIdle({ intervalMs: 10, limits: always, collect: resolve });
    });
    stop!();
  });

  it.each([
    ['11.3.244.8-node.33', undefined],
    ['12.4.254.21-node.33', LAST_RESORT],
    ['13.6.233.10-node.20', LAST_RESORT],
  ])("asks V8 %s for a full collection with %j (V8 12's regular one keeps the freed pages)", (version, options) => {
    expect(fullCollectionOptions(version)).toEqual(options);
  });

  it.each([
    ['11.3.244.8-node.33', [undefined]],
    ['12.4.254.21-node.33', [{ type: 'major', flavor: 'last-resort' }]],
  ])('collects on V8 %s with %j', (version, expected) => {
    const calls: unknown[] = [];
    collectFully((options) => calls.push(options), version);
    expect(calls).toEqual(expected);
  });

  it('collects with a real full collection, V8 gc obtained once', async () => {
    const fullCollections: number[] = [];
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        if ((entry as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR)
          fullCollections.push(entry.startTime);
      }
    });
    observer.observe({ entryTypes: ['gc'] });
    try {
      collectFully();
      collectFully();
      // The entries are delivered after the current task; a failure shows as fewer than two.
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
      expect(fullCollections.length).toBeGreaterThanOrEqual(2);
    } finally {
      observer.disconnect();
    }
  });

  it('samples every RELEASE_INTERVAL_MS by default, on a timer that does not keep the process alive', () => {
    const setInterval = jest.spyOn(global, 'setInterval');
    try {
      const stop = releaseMemoryWhenIdle();
      expect(setInterval).toHaveBeenCalledWith(expect.any(Function), RELEASE_INTERVAL_MS);
      const timer = setInterval.mock.results[0]!.value as NodeJS.Timeout;
      expect(timer.hasRef()).toBe(false);
      stop();
    } finally {
      setInterval.mockRestore();
    }
  });

  it('makes real full collections when given no collect function', async () => {
    // In a small child of its own: a collection of a jest worker's heap can take longer than the window.
    const stdout = await runChild(DEFAULT_COLLECTIONS, { LIMITS: JSON.stringify(always) });
    // At a sample every 10 ms, dozens; V8 on its own makes none in a quiet half second of a new process.
    expect((JSON.parse(stdout) as { full: number }).full).toBeGreaterThanOrEqual(5);
  }, 40_000);

  it('gives back what a burst grew the heap into once the process is idle', async () => {
    const stdout = await runChild(BURST);
    const report = JSON.parse(stdout) as Record<
      'before' | 'peak' | 'after' | 'rssBefore' | 'rssPeak' | 'rssAfter',
      number
    >;
    expect(report.peak).toBeGreaterThan(report.before + 16 * MB);
    expect(report.after).toBeLessThanOrEqual(report.before + 4 * MB);
    // The pages too, not only the heap's count of them: on Node 22 a regular full collection keeps them.
    expect(report.rssPeak).toBeGreaterThan(report.rssBefore + 16 * MB);
    expect(report.rssAfter).toBeLessThanOrEqual(report.rssBefore + 8 * MB);
  }, 40_000);
});

describe('the redirector process', () => {
  it('starts releasing memory once it listens (bin/redirector.ts)', () => {
    const entry = readFileSync(join(__dirname, '../../bin/redirector.ts'), 'utf8');
    const main = entry.slice(entry.indexOf('async function main'));
    const call = /^\s*releaseMemoryWhenIdle\(\);/m.exec(main);
    expect(call?.index).toBeGreaterThan(main.indexOf('await redirector.listen()'));
  });
});
