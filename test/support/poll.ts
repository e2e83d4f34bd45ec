/**
 * Waiting on an observable condition instead of sleeping: `await pollUntil(() => isDone(), 5000, 'the thing')`
 * checks the condition as often as the event loop allows (yielding to timers and I/O between checks) and resolves
 * with the milliseconds it took, or rejects naming what did not happen in time.
 */
import { setTimeout as delay } from 'node:timers/promises';

export async function pollUntil(
  condition: () => boolean | Promise<boolean>,
  deadlineMs: number,
  what: string,
  everyMs = 10,
): Promise<number> {
  const started = performance.now();
  for (;;) {
    if (await condition()) return performance.now() - started;
    if (performance.now() - started > deadlineMs) throw new Error(`${what}: not within ${deadlineMs} ms`);
    await delay(everyMs); // the pace of the checks, not a synchronisation: the condition decides
  }
}
