import { isJsonObject } from '../../lib/config/json';

describe('isJsonObject', () => {
  it.each([
    [{}, true],
    [{ a: 1 }, true],
    [[], false],
    [null, false],
    ['{}', false],
    [1, false],
    [undefined, false],
  ])('%j -> %s', (value, expected) => {
    expect(isJsonObject(value)).toBe(expected);
  });
});
