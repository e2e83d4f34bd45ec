/**
 * Client IP -> (cloud, region), by longest-prefix match over every loaded donor's ranges.
 *
 * Nested prefixes are flattened once, at start-up, into sorted disjoint intervals where the most specific prefix
 * wins (production returned the least specific one, so AWS regional prefixes inside GLOBAL ones never matched).
 * The intervals live in flat typed arrays (IPv4: one word per bound; IPv6: four words) so the GC has nothing to
 * trace, and a lookup is one binary search with no allocation.
 */
import { NOT_AN_IP, parseIpInto, type IpRange } from '../clouds/ranges';

/** Where a client address belongs. */
export interface ClientLocation {
  readonly cloud: string;
  readonly region: string;
}

/** A cloud's ranges, as parsed from its file. */
export interface CloudRanges {
  readonly cloud: string;
  readonly ranges: readonly IpRange[];
}

/** lookup() results that are not a location id. */
export const NO_MATCH = -1;
export const INVALID_IP = -2;

/** An address as a number (IPv4: exact as a double, fast) or a bigint (IPv6: 128 bits). */
type Address = number | bigint;

export interface Prefix<T extends Address> {
  readonly start: T;
  /** Last address, inclusive. */
  readonly end: T;
  readonly prefixLength: number;
  readonly location: number;
}

export interface Interval<T extends Address> {
  start: T;
  end: T;
  location: number;
}

/** The arithmetic flattening needs, for numbers or bigints. */
interface Successor<T extends Address> {
  next(address: T): T;
  previous(address: T): T;
}

const NUMBERS: Successor<number> = { next: (a) => a + 1, previous: (a) => a - 1 };
const BIGINTS: Successor<bigint> = { next: (a) => a + 1n, previous: (a) => a - 1n };

/**
 * Sorted, disjoint intervals from CIDR prefixes (which are either nested or disjoint): inside a prefix, a more
 * specific prefix wins; of identical prefixes, the later one wins. Adjacent intervals of one location are merged.
 */
export function flattenPrefixes<T extends Address>(prefixes: readonly Prefix<T>[], math: Successor<T>): Interval<T>[] {
  // Outer prefixes before the prefixes they contain; the sort is stable, so identical prefixes keep their order.
  const sorted = [...prefixes].sort((a, b) =>
    a.start !== b.start ? (a.start < b.start ? -1 : 1) : a.prefixLength - b.prefixLength,
  );
  const out: Interval<T>[] = [];
  const emit = (start: T, end: T, location: number) => {
    if (start > end) return;
    const last = out[out.length - 1];
    if (last && last.location === location && math.next(last.end) === start) last.end = end;
    else out.push({ start, end, location });
  };
  // The prefixes enclosing the current position, innermost last; `cursor` is the first address not yet emitted.
  const open: Prefix<T>[] = [];
  let cursor: T | undefined;
  const closeBefore = (limit: T | undefined) => {
    while (open.length > 0 && (limit === undefined || open[open.length - 1]!.end < limit)) {
      const inner = open.pop()!;
      emit(cursor!, inner.end, inner.location);
      const after = math.next(inner.end);
      if (after > cursor!) cursor = after;
    }
  };
  for (const prefix of sorted) {
    closeBefore(prefix.start);
    const enclosing = open[open.length - 1];
    if (enclosing) emit(cursor!, math.previous(prefix.start), enclosing.location);
    if (cursor === undefined || prefix.start > cursor) cursor = prefix.start;
    open.push(prefix);
  }
  closeBefore(undefined);
  return out;
}

function v4Prefix(range: IpRange & { family: 4 }, location: number): Prefix<number> {
  const { start, prefixLength } = range;
  return { start, end: start + 2 ** (32 - prefixLength) - 1, prefixLength, location };
}

function v6Prefix(range: IpRange & { family: 6 }, location: number): Prefix<bigint> {
  const { start, prefixLength } = range;
  return { start, end: start + (1n << BigInt(128 - prefixLength)) - 1n, prefixLength, location };
}

/** An immutable index over the loaded ranges. */
export class RangeIndex {
  /** Location ids are positions in this list. */
  readonly locations: readonly ClientLocation[];
  private readonly v4Starts: Uint32Array;
  private readonly v4Ends: Uint32Array;
  private readonly v4Locations: Uint32Array;
  /** Four big-endian words per bound. */
  private readonly v6Starts: Uint32Array;
  private readonly v6Ends: Uint32Array;
  private readonly v6Locations: Uint32Array;
  /**
   * Per value of the top 16 address bits: the last interval starting at or before that block. The answer for an
   * address in block h lies between buckets[h] and buckets[h + 1], so the binary search covers a handful of entries.
   */
  private readonly v4Buckets: Uint32Array;
  private readonly v6Buckets: Uint32Array;
  private readonly scratch = new Uint32Array(4);

  constructor(clouds: readonly CloudRanges[]) {
    const locations: ClientLocation[] = [];
    const v4: Prefix<number>[] = [];
    const v6: Prefix<bigint>[] = [];
    for (const { cloud, ranges } of clouds) {
      const ids = new Map<string, number>();
      for (const range of ranges) {
        let id = ids.get(range.region);
        if (id === undefined) {
          id = locations.length;
          ids.set(range.region, id);
          locations.push(Object.freeze({ cloud, region: range.region }));
        }
        if (range.family === 4) v4.push(v4Prefix(range, id));
        else v6.push(v6Prefix(range, id));
      }
    }
    this.locations = locations;
    const flat4 = flattenPrefixes(v4, NUMBERS);
    this.v4Starts = Uint32Array.from(flat4, (i) => i.start);
    this.v4Ends = Uint32Array.from(flat4, (i) => i.end);
    this.v4Locations = Uint32Array.from(flat4, (i) => i.location);
    const flat6 = flattenPrefixes(v6, BIGINTS);
    this.v6Starts = new Uint32Array(flat6.length * 4);
    this.v6Ends = new Uint32Array(flat6.length * 4);
    flat6.forEach((interval, n) => {
      for (let w = 0; w < 4; w++) {
        const shift = BigInt(96 - 32 * w);
        this.v6Starts[n * 4 + w] = Number((interval.start >> shift) & 0xffffffffn);
        this.v6Ends[n * 4 + w] = Number((interval.end >> shift) & 0xffffffffn);
      }
    });
    this.v6Locations = Uint32Array.from(flat6, (i) => i.location);
    this.v4Buckets = buckets(this.v4Starts, 1);
    this.v6Buckets = buckets(this.v6Starts, 4);
  }

  /** Number of disjoint intervals (IPv4 + IPv6) after flattening. */
  get intervalCount(): number {
    return this.v4Starts.length + this.v6Locations.length;
  }

  /** Location id of an address (text, IPv4 or IPv6; IPv4-mapped IPv6 is unmapped), NO_MATCH or INVALID_IP. */
  lookup(address: string, from = 0, to = address.length): number {
    const ip = this.scratch;
    const family = parseIpInto(address, ip, true, from, to);
    if (family === NOT_AN_IP) return INVALID_IP;
    return family === 4 ? this.lookupV4(ip[0]!) : this.lookupV6(ip);
  }

  private lookupV4(ip: number): number {
    const starts = this.v4Starts;
    const block = ip >>> 16;
    let lo = this.v4Buckets[block]!;
    let hi = Math.min(this.v4Buckets[block + 1]!, starts.length - 1);
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (starts[mid]! <= ip) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found >= 0 && ip <= this.v4Ends[found]! ? this.v4Locations[found]! : NO_MATCH;
  }

  private lookupV6(ip: Uint32Array): number {
    const starts = this.v6Starts;
    const block = ip[0]! >>> 16;
    let lo = this.v6Buckets[block]!;
    let hi = Math.min(this.v6Buckets[block + 1]!, this.v6Locations.length - 1);
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (compareV6(starts, mid * 4, ip) <= 0) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found >= 0 && compareV6(this.v6Ends, found * 4, ip) >= 0 ? this.v6Locations[found]! : NO_MATCH;
  }
}

/**
 * For each 16-bit block h (and the sentinel 65536): the index of the last interval starting at or before the
 * block's first address (0 when none). `stride` is the number of words per start (1 for IPv4, 4 for IPv6).
 */
function buckets(starts: Uint32Array, stride: number): Uint32Array {
  const count = starts.length / stride;
  const startsAtOrBefore = (i: number, blockStart: number) => {
    const first = starts[i * stride]!;
    if (first !== blockStart) return first < blockStart;
    for (let w = 1; w < stride; w++) if (starts[i * stride + w] !== 0) return false;
    return true;
  };
  const table = new Uint32Array(65537);
  let last = 0;
  let next = 0;
  for (let block = 0; block <= 65536; block++) {
    while (next < count && startsAtOrBefore(next, block * 65536)) last = next++;
    table[block] = last;
  }
  return table;
}

/** Compares the bound at words[at..at+3] with ip: negative, zero or positive. */
function compareV6(words: Uint32Array, at: number, ip: Uint32Array): number {
  for (let w = 0; w < 4; w++) {
    const a = words[at + w]!;
    const b = ip[w]!;
    if (a !== b) return a < b ? -1 : 1;
  }
  return 0;
}
