/**
 * Gives memory back once a burst of traffic is over. Under load V8 grows its young generation (up to 16 MiB per
 * semi-space) and its old generation fills with promoted garbage and fragmented pages; a quiet process never
 * collects again, so it keeps all of it (measured on the fuzz run: heap 11 -> 39 MiB, RSS +20 MB, unchanged after
 * 15 s idle). On Node 20 a full collection releases the old generation's free pages, and V8 shrinks the young
 * generation only in one made after a few seconds of collections at a low allocation rate (measured: at the 5th, one a
 * second); on Node 22, the image's, it takes V8's last-resort collection (LAST_RESORT, below). So, once
 * the event loop has been idle for 10 s and the heap is well above the size it came back to last time, this runs
 * one full collection a second until the heap is back, 8 at most. Nothing runs while the process is busy, and a
 * pause between bursts shorter than the quiet period changes nothing: collecting from the first idle second on
 * (tried) made the next burst cost 20% more CPU per request on the benchmark, whose bursts are 5 s apart. Starting
 * it also holds one of node's tick objects for good (holdTickShapes): without one, a collection in a quiet process
 * puts every later request on a slow path.
 */
import { executionAsyncResource } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export interface ReleaseLimits {
  /** Below this event-loop utilisation over the last interval the process counts as idle. */
  readonly idleUtilization: number;
  /** Intervals in a row the process must have been idle before the first collection. */
  readonly quietIntervals: number;
  /** The heap may exceed the size it last came back to by this much before collections start. */
  readonly growthBytes: number;
  /** At most this many collections in a row; a heap still above then holds live data: the new floor. */
  readonly collectionsPerIdle: number;
}

export const RELEASE_LIMITS: ReleaseLimits = {
  idleUtilization: 0.05,
  quietIntervals: 10,
  growthBytes: 4 * 1024 * 1024,
  collectionsPerIdle: 8,
};

export interface ReleaseState {
  /** The heap's size when it last came back (or at start). */
  readonly floorBytes: number;
  /** Intervals the process has been idle, in a row. */
  readonly idleIntervals: number;
  /** Collections made since the process last became idle. */
  readonly collections: number;
}

export interface MemorySample {
  /** Event-loop utilisation over the last interval, 0 to 1. */
  readonly utilization: number;
  /** V8's heap as committed now (`total_heap_size`). */
  readonly heapBytes: number;
}

/** Whether to collect now, and the state after this sample. */
export function releaseStep(
  state: ReleaseState,
  sample: MemorySample,
  limits: ReleaseLimits = RELEASE_LIMITS,
): { collect: boolean; state: ReleaseState } {
  if (sample.utilization >= limits.idleUtilization)
    return { collect: false, state: { ...state, idleIntervals: 0, collections: 0 } };
  const idleIntervals = state.idleIntervals + 1;
  if (sample.heapBytes <= state.floorBytes + limits.growthBytes) {
    const floorBytes = Math.min(state.floorBytes, sample.heapBytes);
    return { collect: false, state: { floorBytes, idleIntervals, collections: 0 } };
  }
  if (idleIntervals < limits.quietIntervals) return { collect: false, state: { ...state, idleIntervals } };
  if (state.collections < limits.collectionsPerIdle)
    return { collect: true, state: { ...state, idleIntervals, collections: state.collections + 1 } };
  return { collect: false, state: { floorBytes: sample.heapBytes, idleIntervals, collections: 0 } };
}

/**
 * V8's `gc()` without `--expose-gc` on the command line: the flag is set only while a context that has the
 * function is made. A flag left set would change V8's flag hash, and V8 would then refuse the code cache the image
 * made without it (bin/redirector-loader.ts).
 */
export function exposedGc(): Gc {
  setFlagsFromString('--expose-gc');
  try {
    return runInNewContext('gc') as Gc;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}

/** The options of V8's gc extension used here. */
export interface GcOptions {
  readonly type: 'major';
  readonly flavor: 'last-resort';
}

export type Gc = (options?: GcOptions) => void;

/**
 * V8's last-resort collection, which it otherwise makes only before failing an allocation. On Node 22 (V8 12) a
 * regular full collection empties the heap but keeps its freed pages: after a burst of short-lived objects the heap
 * went from 45 to 6 MB and RSS stayed at 95 MB, and the fuzz run's RSS stayed 28% above its warm value. The
 * last-resort collection also shrinks the young generation and gives the pages back at once (the same burst: RSS 95
 * -> 51 MB). It pauses about twice as long as a regular one (with 10 MB of live objects, 48 against 22 ms), and it is
 * made once a quiet spell: the heap is back after it, where regular ones came 8 in a row without giving pages back.
 */
export const LAST_RESORT: GcOptions = { type: 'major', flavor: 'last-resort' };

/**
 * The options of a full collection for this V8: LAST_RESORT from V8 12 (Node 22) on; none before, because V8 11's gc
 * extension (Node 20's) makes a minor collection when given options (measured), and gives the pages back after a few
 * regular full collections anyway, which releaseStep makes.
 */
export function fullCollectionOptions(v8Version: string): GcOptions | undefined {
  return Number.parseInt(v8Version, 10) >= 12 ? LAST_RESORT : undefined;
}

let exposed: Gc | undefined;

/**
 * A full collection as `v8Version` needs it (fullCollectionOptions), with V8's `gc` obtained at the first one: making
 * the context that hands it over took about 1 ms, which start-up (where releaseMemoryWhenIdle is started) need not pay.
 */
export function collectFully(gc?: Gc, v8Version = process.versions.v8): void {
  (gc ?? (exposed ??= exposedGc()))(fullCollectionOptions(v8Version));
}

/** One of node's tick objects, held for the life of the process (holdTickShapes). */
let heldTick: object | undefined;

/**
 * Holds one of node's tick objects (process.nextTick's literal, with computed keys) for good. A full collection that
 * finds none alive (ours once idle, or one V8 makes on its own in a quiet process) drops the hidden classes the literal's keys
 * lead through, and its keyed stores turn megamorphic for good: every tick object, two or more a request, is then
 * built in V8's runtime. Measured at 800 connections: the bare node:http server after one last-resort collection made
 * 15% fewer requests a second, still so 50 s into the load; ours after a minute idle 29.8k without the held object,
 * 41.7k with it. `npm run bench:idle-collections` measures it on the bare server, with and without the hold.
 */
export function holdTickShapes(): void {
  // The resource of a tick's callback is its tick object; a second call before that tick runs only replaces it.
  if (heldTick === undefined) process.nextTick(() => (heldTick = executionAsyncResource()));
}

/** How often the event loop's utilisation and the heap are sampled: RELEASE_LIMITS count in these intervals. */
export const RELEASE_INTERVAL_MS = 1000;

export interface ReleaseOptions {
  /** @default RELEASE_INTERVAL_MS */
  readonly intervalMs?: number;
  readonly limits?: ReleaseLimits;
  /** @default a full collection (collectFully) */
  readonly collect?: () => void;
}

/** Starts watching (a timer that does not keep the process alive); returns the function that stops it. */
export function releaseMemoryWhenIdle(options: ReleaseOptions = {}): () => void {
  const collect = options.collect ?? (() => collectFully());
  holdTickShapes();
  const heapBytes = () => getHeapStatistics().total_heap_size;
  let state: ReleaseState = { floorBytes: heapBytes(), idleIntervals: 0, collections: 0 };
  let last = performance.eventLoopUtilization();
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    const { utilization } = performance.eventLoopUtilization(now, last);
    last = now;
    const step = releaseStep(state, { utilization, heapBytes: heapBytes() }, options.limits);
    state = step.state;
    if (step.collect) collect();
  }, options.intervalMs ?? RELEASE_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
