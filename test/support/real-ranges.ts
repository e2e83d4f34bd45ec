/**
 * The donors' real published files (../shared/data/ip-ranges, or IP_RANGES_DIR) and client addresses drawn from
 * them, with a brute-force longest-prefix match to check the range index against: shared by the tests that compare
 * the index with the plain files and by the benchmark's lookups (real addresses, all three donors loaded).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { IpRange } from '../../lib/clouds/ranges';
import type { RangeSource } from '../../lib/redirector/config';
import type { ClientLocation, CloudRanges } from '../../lib/redirector/range-index';

export const REAL_RANGES_DIR = resolve(process.env.IP_RANGES_DIR ?? join(__dirname, '../../../shared/data/ip-ranges'));

export const REAL_RANGE_FILES = {
  aws: join(REAL_RANGES_DIR, 'aws-ip-ranges.json'),
  gcp: join(REAL_RANGES_DIR, 'google-cloud-ip-ranges.json'),
  azure: join(REAL_RANGES_DIR, 'microsoft-azure-ip-ranges.json'),
};

export const REAL_RANGE_SOURCES: readonly RangeSource[] = Object.entries(REAL_RANGE_FILES).map(([cloud, file]) => ({
  cloud,
  file,
}));

/** Whether the real files are here (a test that needs them says so and skips when they are not). */
export const HAVE_REAL_RANGES = Object.values(REAL_RANGE_FILES).every((file) => existsSync(file));

/** An address and its text as a client sends it. */
export interface Sample {
  readonly text: string;
  readonly family: 4 | 6;
  readonly value: bigint;
}

export function ipv4Text(value: bigint): string {
  const n = Number(value);
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** RFC 5952 text: lowercase groups without leading zeros, the longest run of two or more zero groups as `::`. */
export function ipv6Text(value: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
  let best = { at: -1, length: 1 };
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.length) best = { at: i, length: j - i };
    i = j + 1;
  }
  const hex = (from: number, to: number) =>
    groups
      .slice(from, to)
      .map((g) => g.toString(16))
      .join(':');
  return best.at < 0 ? hex(0, 8) : `${hex(0, best.at)}::${hex(best.at + best.length, 8)}`;
}

const bits = (family: 4 | 6) => (family === 4 ? 32 : 128);

function sample(family: 4 | 6, value: bigint): Sample {
  return { family, value, text: family === 4 ? ipv4Text(value) : ipv6Text(value) };
}

/** A seeded generator of 32-bit words (the same sequence for the same seed). */
export function seededWords(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state;
  };
}

function firstAndLast(range: IpRange): [bigint, bigint] {
  const first = BigInt(range.start);
  return [first, first + (1n << BigInt(bits(range.family) - range.prefixLength)) - 1n];
}

/** `count` addresses, each inside a prefix drawn at random from `ranges` (seeded). */
export function addressesIn(ranges: readonly IpRange[], count: number, seed: number): Sample[] {
  const next = seededWords(seed);
  return Array.from({ length: count }, () => {
    const range = ranges[next() % ranges.length]!;
    const [first, last] = firstAndLast(range);
    const random = (BigInt(next()) << 96n) | (BigInt(next()) << 64n) | (BigInt(next()) << 32n) | BigInt(next());
    return sample(range.family, first + (random % (last - first + 1n)));
  });
}

/** Every prefix's first and last address and the addresses just outside it: where flattening can go wrong. */
export function boundsOf(ranges: readonly IpRange[]): Sample[] {
  return ranges.flatMap((range) => {
    const [first, last] = firstAndLast(range);
    const limit = 1n << BigInt(bits(range.family));
    return [first - 1n, first, last, last + 1n].filter((v) => v >= 0n && v < limit).map((v) => sample(range.family, v));
  });
}

/**
 * Longest-prefix match the slow and obvious way: for each prefix length in use, longest first, the address masked
 * to that length looked up among the prefixes of that length (of identical prefixes, the later one wins).
 */
const HOST_BITS = Array.from({ length: 129 }, (_, n) => BigInt(n));

export class LongestPrefixOracle {
  /** By family and prefix length: the prefixes, keyed by their network bits (IPv4 as numbers: faster map keys). */
  private readonly byLength = new Map<string, Map<number | bigint, ClientLocation>>();
  private readonly lengths: Record<4 | 6, number[]> = { 4: [], 6: [] };

  constructor(clouds: readonly CloudRanges[]) {
    for (const { cloud, ranges } of clouds) {
      for (const range of ranges) {
        const key = `${range.family}/${range.prefixLength}`;
        if (!this.byLength.has(key)) {
          this.byLength.set(key, new Map());
          this.lengths[range.family].push(range.prefixLength);
        }
        this.byLength.get(key)!.set(this.network(range.family, range.start, range.prefixLength), {
          cloud,
          region: range.region,
        });
      }
    }
    for (const family of [4, 6] as const) this.lengths[family].sort((a, b) => b - a);
  }

  private network(family: 4 | 6, address: number | bigint, length: number): number | bigint {
    const hostBits = bits(family) - length;
    return family === 4 ? Math.floor(Number(address) / 2 ** hostBits) : BigInt(address) >> HOST_BITS[hostBits]!;
  }

  locate({ family, value }: Sample): ClientLocation | undefined {
    const address = family === 4 ? Number(value) : value;
    for (const length of this.lengths[family]) {
      const found = this.byLength.get(`${family}/${length}`)!.get(this.network(family, address, length));
      if (found) return found;
    }
    return undefined;
  }
}
