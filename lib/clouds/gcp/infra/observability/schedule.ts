/**
 * How long the replication jobs may go without a success before someone is told: two periods of their schedule.
 * The period of a cron expression is the longest gap between two of its runs (`0 9 * * 1-5` has a three-day gap
 * over the weekend), found by walking its runs with croner from a fixed instant, so synth stays deterministic.
 */
import { Cron } from 'croner';
import { TopologyError } from '../../../../topology/errors';

/** Cloud Monitoring's longest metric-absence window: 23.5 hours. */
export const MAX_ABSENCE_SECONDS = 23.5 * 3600;

/**
 * How far the walk goes: 200 runs (eight days of an hourly schedule, so a weekly pattern shows its longest gap) or
 * 400 days (a monthly one), whichever comes first. About 0.4 ms a run: synth pays at most about 80 ms.
 */
const RUNS_WALKED = 200;
const DAYS_WALKED = 400;
const WALK_FROM = Date.UTC(2025, 0, 1);

/** The longest gap between two consecutive runs of `schedule` in `timeZone`, in seconds. */
export function schedulePeriodSeconds(schedule: string, timeZone: string): number {
  const cron = new Cron(schedule, { timezone: timeZone, paused: true });
  const end = WALK_FROM + DAYS_WALKED * 86_400_000;
  let previous: Date | null = cron.nextRun(new Date(WALK_FROM));
  let longest = 0;
  for (let runs = 1; previous && runs < RUNS_WALKED; runs++) {
    const next = cron.nextRun(previous);
    if (!next || next.getTime() > end) break;
    longest = Math.max(longest, next.getTime() - previous.getTime());
    previous = next;
  }
  if (longest === 0) {
    const message = `${JSON.stringify(schedule)} runs fewer than twice a year`;
    throw new TopologyError('the observability stack', [{ path: 'replication.schedule', message }]);
  }
  return longest / 1000;
}

/**
 * The absence window of the "no successful replication" alert: two schedule periods (one run may fail and be
 * retried by the next), in whole minutes as the API wants. Refused, naming the field, when Cloud Monitoring cannot
 * watch that long.
 */
export function stalenessWindowSeconds(schedule: string, timeZone: string): number {
  const window = 2 * schedulePeriodSeconds(schedule, timeZone);
  if (window > MAX_ABSENCE_SECONDS) {
    throw new TopologyError('the observability stack', [
      {
        path: 'replication.schedule',
        message:
          `${JSON.stringify(schedule)} leaves up to ${window / 2 / 3600} h between runs; the staleness alert waits two ` +
          'periods and Cloud Monitoring watches at most 23.5 h: run the jobs at least every 11 h 45 min',
      },
    ]);
  }
  return Math.ceil(window / 60) * 60;
}
