import { median, ratiosToNeighbours } from '../../bench/stats';

describe('median', () => {
  it.each([
    [[7], 7],
    [[3, 1, 2], 2],
    [[1, 4, 2, 3], 2.5],
    [[1.65, 2.9, 2.4, 2.8], 2.6],
    [[5, 5, 1, 9, 5], 5],
  ])('of %j is %d', (values, expected) => {
    expect(median(values)).toBeCloseTo(expected, 10);
  });

  it('leaves its input in its order', () => {
    const values = [3, 1, 2];
    median(values);
    expect(values).toEqual([3, 1, 2]);
  });

  it('refuses no values', () => {
    expect(() => median([])).toThrow('median of no values');
  });
});

describe('ratiosToNeighbours', () => {
  it.each([
    ['one run between two', [2], [1, 3], [1]],
    ['a steady drift cancels', [1.5, 2.5], [1, 2, 3], [1, 1]],
    ['each run against its own neighbours', [4, 1], [2, 2, 0], [2, 1]],
    ['no runs', [], [5], []],
  ])('%s', (_name, runs, reference, expected) => {
    const ratios = ratiosToNeighbours(runs, reference);
    expect(ratios).toHaveLength(expected.length);
    ratios.forEach((ratio, index) => expect(ratio).toBeCloseTo(expected[index]!, 10));
  });

  it.each([
    [
      [1, 2],
      [1, 2],
    ],
    [[1], [1, 2, 3]],
  ])('refuses runs %j with reference %j, not one value more', (runs, reference) => {
    expect(() => ratiosToNeighbours(runs, reference)).toThrow(
      `${runs.length} runs need ${runs.length + 1} reference values around them, not ${reference.length}`,
    );
  });
});
