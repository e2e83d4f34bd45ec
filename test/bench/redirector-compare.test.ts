import { compareRuns, turnOrder, type RunResult } from '../../bench/redirector-compare';

describe('turnOrder', () => {
  it.each([
    [1, ['bare', 'ours', 'bare']],
    [2, ['bare', 'ours', 'bare', 'ours', 'bare']],
    [4, ['bare', 'ours', 'bare', 'ours', 'bare', 'ours', 'bare', 'ours', 'bare']],
  ])('puts each of %d runs of ours between two of the bare server', (rounds, expected) => {
    expect(turnOrder(rounds)).toEqual(expected);
  });
});

describe('compareRuns', () => {
  const run = (requestsPerSecond: number, p99Ms: number, cpuMicrosPerRequest = 20): RunResult => ({
    requestsPerSecond,
    p99Ms,
    cpuMicrosPerRequest,
  });

  it.each<[name: string, bare: RunResult[], ours: RunResult[], rps: number, p99: number]>([
    ['equal servers', [run(100, 2), run(100, 2), run(100, 2)], [run(100, 2), run(100, 2)], 1, 1],
    // Seen: one disturbed bare run between two of ours must not decide for ours (p99 0.02 in two rounds).
    [
      'one disturbed bare run moves nothing',
      [run(100, 2), run(100, 2), run(20, 100), run(100, 2), run(100, 2)],
      [run(90, 2.4), run(90, 2.4), run(90, 2.4), run(90, 2.4)],
      0.9,
      1.2,
    ],
    [
      'one disturbed run of ours moves nothing',
      [run(100, 2), run(100, 2), run(100, 2)],
      [run(110, 1.8), run(110, 1.8), run(10, 80), run(110, 1.8)],
      1.1,
      0.9,
    ],
    ['an even count: the mean of the middle two', [run(100, 2)], [run(80, 1), run(120, 3)], 1, 1],
    ['ours slower: ratios below and above 1', [run(200, 2), run(200, 2)], [run(100, 4)], 0.5, 2],
  ])('%s', (_name, bare, ours, rps, p99) => {
    const compared = compareRuns(bare, ours);
    expect(compared.rpsRatio).toBeCloseTo(rps, 10);
    expect(compared.p99Ratio).toBeCloseTo(p99, 10);
  });

  it('keeps every run in order, and the best and lowest against each other', () => {
    const compared = compareRuns(
      [run(100, 3, 25), run(120, 2, 21), run(90, 4, 30)],
      [run(130, 2.5, 18), run(110, 1.5, 19)],
    );
    expect(compared.runs.bare).toEqual({ rps: [100, 120, 90], p99Ms: [3, 2, 4], cpuMicrosPerRequest: [25, 21, 30] });
    expect(compared.runs.ours.p99Ms).toEqual([2.5, 1.5]);
    expect(compared.bare).toEqual({ requestsPerSecond: 100, p99Ms: 3, cpuMicrosPerRequest: 25 });
    expect(compared.ours).toEqual({ requestsPerSecond: 120, p99Ms: 2, cpuMicrosPerRequest: 18.5 });
    expect(compared.bestRpsRatio).toBeCloseTo(130 / 120, 10);
    expect(compared.lowestP99Ratio).toBeCloseTo(1.5 / 2, 10);
  });
});
