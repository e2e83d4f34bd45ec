/**
 * MurmurHash3 (x86, 32-bit, seed 0) of 32-bit words, each taken as the hash takes a 4-byte block (least significant
 * byte first): a few multiplications a word, no allocation, no module to load. Its finalizer spreads inputs that
 * differ in one bit over the whole result, and every step before it is a bijection of the state, so a change of one
 * word always changes the hash. Used for a client's share bucket (share.ts) and the range index file's checksum
 * (range-index-file.ts).
 */
export function murmur3(words: Uint32Array, count = words.length): number {
  let h = 0;
  for (let i = 0; i < count; i++) {
    let k = Math.imul(words[i]!, 0xcc9e2d51);
    k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= count * 4;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
