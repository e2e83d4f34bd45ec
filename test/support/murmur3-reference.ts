/**
 * MurmurHash3 x86_32 with seed 0 as its reference describes it, byte by byte (little-endian 4-byte blocks, a tail),
 * in BigInt arithmetic: nothing shared with lib/redirector/murmur3.ts's word-wise version.
 */
export function referenceMurmur3(bytes: readonly number[]): number {
  const M = 0xffffffffn;
  const mul = (a: bigint, b: bigint) => (a * b) & M;
  const rotl = (x: bigint, r: bigint) => ((x << r) | (x >> (32n - r))) & M;
  const scramble = (k: bigint) => mul(rotl(mul(k, 0xcc9e2d51n), 15n), 0x1b873593n);
  let h = 0n;
  const blocks = Math.floor(bytes.length / 4);
  for (let i = 0; i < blocks; i++) {
    const k = bytes.slice(4 * i, 4 * i + 4).reduce((acc, byte, j) => acc | (BigInt(byte) << BigInt(8 * j)), 0n);
    h = (mul(rotl(h ^ scramble(k), 13n), 5n) + 0xe6546b64n) & M;
  }
  const tail = bytes.slice(4 * blocks).reduce((acc, byte, j) => acc | (BigInt(byte) << BigInt(8 * j)), 0n);
  if (bytes.length % 4 !== 0) h ^= scramble(tail);
  h ^= BigInt(bytes.length);
  h = mul(h ^ (h >> 16n), 0x85ebca6bn);
  h = mul(h ^ (h >> 13n), 0xc2b2ae35n);
  return Number(h ^ (h >> 16n));
}
