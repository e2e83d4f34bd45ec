import fc from 'fast-check';
import { murmur3 } from '../../lib/redirector/murmur3';
import { referenceMurmur3 } from '../support/murmur3-reference';

const RUNS_SCALE = Number(process.env.PROPERTY_RUNS_SCALE ?? 1);
const runs = (count: number) => Math.max(1, Math.round(count * RUNS_SCALE));

/** The bytes of words as the hash reads its blocks: least significant byte first. */
const bytesOf = (words: readonly number[]) =>
  words.flatMap((w) => [w & 0xff, (w >>> 8) & 0xff, (w >>> 16) & 0xff, w >>> 24]);
const words32 = fc.array(fc.nat({ max: 0xffffffff }), { maxLength: 64 });

describe('murmur3', () => {
  it.each([
    ['no words', [], 0],
    ['the block 21 43 65 87', [0x87654321], 0xf55b516b],
    ['a zero word', [0], 0x2362f9de],
    ['a word of ones', [0xffffffff], 0x76293b50],
  ])('%s: the published test vector', (_name, words, hash) => {
    expect(murmur3(Uint32Array.from(words))).toBe(hash);
  });

  it("is MurmurHash3 x86_32 with seed 0 of the words' bytes (against the byte-wise reference)", () => {
    fc.assert(
      fc.property(words32, (words) => {
        expect(murmur3(Uint32Array.from(words))).toBe(referenceMurmur3(bytesOf(words)));
      }),
      { numRuns: runs(500) },
    );
  });

  it('hashes only the first `count` words when told', () => {
    expect(murmur3(Uint32Array.from([0x87654321, 1, 2, 3]), 1)).toBe(0xf55b516b);
    expect(murmur3(Uint32Array.from([5, 6, 7]), 0)).toBe(0);
  });

  it('changes whenever one word changes (what the range index checksum relies on)', () => {
    fc.assert(
      fc.property(
        words32.filter((words) => words.length > 0),
        fc.nat(),
        fc.integer({ min: 1, max: 0xffffffff }),
        (words, at, flip) => {
          const changed = Uint32Array.from(words);
          changed[at % words.length]! ^= flip;
          expect(murmur3(changed)).not.toBe(murmur3(Uint32Array.from(words)));
        },
      ),
      { numRuns: runs(500) },
    );
  });
});
