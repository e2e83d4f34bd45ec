import { median } from '../../bench/stats';

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
