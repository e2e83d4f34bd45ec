/**
 * Gives memory back once a burst of traffic is over. Under load V8 grows its young generation (up to 16 MiB per
 * semi-space) and its old generation fills with promoted garbage and fragmented pages; a quiet process never
 * collects again, so it keeps all of it (measured on the fuzz run: heap 11 -> 39 MiB, RSS +20 MB, unchanged after
 * 15 s idle). A full collection releases the old generation's free pages; V8 shrinks the young generation only in one
 * made after a few seconds of collections at a low allocation rate (measured: at the 5th, one a second). So, once
 * the event loop has been idle for 10 s and the heap is well above the size it came back to last time, this runs
 * one full collection a second until the heap is back, 8 at most. Nothing runs while the process is busy, and a
 * pause between bursts shorter than the quiet period changes nothing: collecting from the first idle second on
 * (tried) made the next burst cost 20% more CPU per request on the benchmark, whose bursts are 5 s apart.
 */
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
export function exposedGc(): () => void {
  setFlagsFromString('--expose-gc');
  try {
    return runInNewContext('gc') as () => void;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}

let gc: (() => void) | undefined;

/**
 * A full collection, with V8's `gc` obtained at the first one: making the context that hands it over took about
 * 1 ms, which start-up (where releaseMemoryWhenIdle is started) need not pay.
 */
export function collectFully(): void {
  (gc ??= exposedGc())();
}

export interface ReleaseOptions {
  /** @default 1000 */
  readonly intervalMs?: number;
  readonly limits?: ReleaseLimits;
  /** @default a full collection (collectFully) */
  readonly collect?: () => void;
}

/** Starts watching (a timer that does not keep the process alive); returns the function that stops it. */
export function releaseMemoryWhenIdle(options: ReleaseOptions = {}): () => void {
  const collect = options.collect ?? collectFully;
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
  }, options.intervalMs ?? 1000);
  timer.unref();
  return () => clearInterval(timer);
}
