/**
 * The redirector benchmark's comparison of our server with the bare one, as pure functions: the order the runs go in,
 * and what decides from their results (bench/redirector.ts `compare` says why each is so).
 */
import { median } from './stats';

export type Side = 'bare' | 'ours';

/** Each of ours' `rounds` runs between two of the bare server's: bare, ours, bare, ..., ours, bare. */
export function turnOrder(rounds: number): Side[] {
  return ['bare', ...Array.from({ length: rounds }, () => ['ours', 'bare'] as const).flat()];
}

/** What the comparison reads of one run. */
export interface RunResult {
  readonly requestsPerSecond: number;
  readonly p99Ms: number;
  readonly cpuMicrosPerRequest: number;
}

/** One server's runs of a path, in the order they ran. */
export interface Runs {
  readonly rps: readonly number[];
  readonly p99Ms: readonly number[];
  readonly cpuMicrosPerRequest: readonly number[];
}

/** The median of each measure over a server's runs. */
export type Typical = RunResult;

export interface RunComparison {
  readonly runs: { readonly bare: Runs; readonly ours: Runs };
  readonly bare: Typical;
  readonly ours: Typical;
  /** Ours' median req/s over bare's: what decides. */
  readonly rpsRatio: number;
  /** Ours' median p99 over bare's: what decides. */
  readonly p99Ratio: number;
  /** Ours' best req/s over bare's best, each from whichever run was least disturbed. */
  readonly bestRpsRatio: number;
  /** Ours' lowest p99 over bare's lowest. */
  readonly lowestP99Ratio: number;
}

function runsOf(results: readonly RunResult[]): Runs {
  return {
    rps: results.map((r) => r.requestsPerSecond),
    p99Ms: results.map((r) => r.p99Ms),
    cpuMicrosPerRequest: results.map((r) => r.cpuMicrosPerRequest),
  };
}

function typical(runs: Runs): Typical {
  return {
    requestsPerSecond: median(runs.rps),
    p99Ms: median(runs.p99Ms),
    cpuMicrosPerRequest: median(runs.cpuMicrosPerRequest),
  };
}

/** The servers' medians over their runs against each other, and their best and lowest. */
export function compareRuns(bareResults: readonly RunResult[], oursResults: readonly RunResult[]): RunComparison {
  const runs = { bare: runsOf(bareResults), ours: runsOf(oursResults) };
  const bare = typical(runs.bare);
  const ours = typical(runs.ours);
  return {
    runs,
    bare,
    ours,
    rpsRatio: ours.requestsPerSecond / bare.requestsPerSecond,
    p99Ratio: ours.p99Ms / bare.p99Ms,
    bestRpsRatio: Math.max(...runs.ours.rps) / Math.max(...runs.bare.rps),
    lowestP99Ratio: Math.min(...runs.ours.p99Ms) / Math.min(...runs.bare.p99Ms),
  };
}
