/**
 * From the donors' prefixes to the flat tables a RangeIndex answers from. This runs once: at image build time
 * (npm run build:redirector writes the tables to the index file), or at start-up when plain range files are given.
 *
 * 1. Nested prefixes are flattened into sorted disjoint intervals where the most specific prefix wins (production
 *    returned the least specific one, so AWS regional prefixes inside GLOBAL ones never matched).
 * 2. The intervals, with the gaps between them, become segments tiling the whole address space: segment k covers
 *    [starts[k], starts[k + 1]) and belongs to locations[k], NO_MATCH for a gap. A lookup then needs no end bound.
 * 3. A multibit trie over the segment starts finds an address's segment in a few array reads: a root table
 *    indexed by the top 16 address bits, then tables of 256 entries per further byte, only where a block holds more
 *    than LEAF_MAX segments. An entry is either a leaf (the first segment the block touches and how many it touches,
 *    scanned linearly) or, negative, a child table.
 */
import type { IpRange } from '../clouds/ranges';

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

/** One address family's tables. */
export interface FamilyTables {
  /** Segment starts, ascending, the first one 0: one word per segment (IPv4) or four big-endian words (IPv6). */
  readonly starts: Uint32Array;
  /** Each segment's location id, NO_MATCH for a gap. */
  readonly locations: Int32Array;
  /** Indexed by the top 16 address bits; an entry as in `nodes`. */
  readonly root: Int32Array;
  /** Child tables of 256 entries. Entry >= 0: a leaf, (first segment << LEAF_BITS) | (count - 1); < 0: ~table offset. */
  readonly nodes: Int32Array;
}

/** Everything a RangeIndex needs: what the index file holds. */
export interface RangeTables {
  /** Location ids are positions in this list. */
  readonly locations: readonly ClientLocation[];
  readonly v4: FamilyTables;
  readonly v6: FamilyTables;
  /** How many disjoint intervals the prefixes flattened into (the segments that are not gaps), for the logs. */
  readonly intervals: number;
}

/**
 * A leaf scans at most this many segments; a block touching more gets a child table. 4 rather than 8: IPv4 lookups
 * 2 ns faster (a scan step is a branch the processor often mispredicts, a level more is one load) for 0.4 MB more.
 */
export const LEAF_MAX = 4;
/**
 * Leaf entry = (first << LEAF_BITS) | (count - 1): segment indexes stay below 2^(31 - LEAF_BITS), 134 million, where
 * the three donors' files make about 18,000.
 */
export const LEAF_BITS = 4;
export const ROOT_BITS = 16;
export const CHILD_BITS = 8;

/** An address as a number (IPv4: exact as a double) or a bigint (IPv6: 128 bits). */
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

/** How a family's addresses are laid out: in 32-bit words, big-endian (IPv4: one, IPv6: four). */
interface Layout<T extends Address> {
  readonly words: 1 | 4;
  readonly math: Successor<T>;
  readonly zero: T;
  /** The first address past the family's space (2^32 or 2^128). */
  readonly limit: T;
  write(address: T, out: Uint32Array, at: number): void;
}

const V4: Layout<number> = {
  words: 1,
  math: NUMBERS,
  zero: 0,
  limit: 2 ** 32,
  write: (address, out, at) => void (out[at] = address),
};

const V6: Layout<bigint> = {
  words: 4,
  math: BIGINTS,
  zero: 0n,
  limit: 1n << 128n,
  write: (address, out, at) => {
    for (let w = 0; w < 4; w++) out[at + w] = Number((address >> BigInt(96 - 32 * w)) & 0xffffffffn);
  },
};

/** Segments tiling the family's space: the intervals and, as NO_MATCH, the gaps before, between and after them. */
function segmentsOf<T extends Address>(
  intervals: readonly Interval<T>[],
  layout: Layout<T>,
): { starts: Uint32Array; locations: Int32Array } {
  const starts: T[] = [];
  const locations: number[] = [];
  let next = layout.zero;
  for (const { start, end, location } of intervals) {
    if (start > next) {
      starts.push(next);
      locations.push(NO_MATCH);
    }
    starts.push(start);
    locations.push(location);
    next = layout.math.next(end);
  }
  if (next < layout.limit) {
    starts.push(next);
    locations.push(NO_MATCH);
  }
  const words = new Uint32Array(starts.length * layout.words);
  starts.forEach((start, k) => layout.write(start, words, k * layout.words));
  return { starts: words, locations: Int32Array.from(locations) };
}

/**
 * The trie over segment starts (`words` 32-bit words each, ascending, the first one 0): the root table over the top
 * ROOT_BITS bits, child tables of CHILD_BITS bits where a block touches more than LEAF_MAX segments.
 */
export function buildTrie(starts: Uint32Array, words: number): { root: Int32Array; nodes: Int32Array } {
  const count = starts.length / words;
  /** Whether segment k's start has no bit set from `bit` on: it starts exactly where a block starts. */
  const zeroFrom = (k: number, bit: number) => {
    let w = bit >>> 5;
    if ((bit & 31) !== 0 && (starts[k * words + w++]! & (2 ** (32 - (bit & 31)) - 1)) !== 0) return false;
    for (; w < words; w++) if (starts[k * words + w] !== 0) return false;
    return true;
  };
  const nodes: number[] = [];
  /**
   * Fills the table of a block whose segments are first..last (first holds the block's first address); its
   * children are the values of bits [bit, bit + width), which never straddle two words (16 bits, then 8 at a time).
   */
  const fill = (
    table: Int32Array | number[],
    offset: number,
    first: number,
    last: number,
    bit: number,
    width: number,
  ) => {
    const size = 2 ** width;
    const childOf = (k: number) => (starts[k * words + (bit >>> 5)]! >>> (32 - (bit & 31) - width)) & (size - 1);
    let holding = first;
    let child = 0;
    while (child < size) {
      // The child's first segment: one starting exactly at the child's first address, else the one holding it.
      const exact = holding < last && childOf(holding + 1) === child && zeroFrom(holding + 1, bit + width);
      const childFirst = exact ? holding + 1 : holding;
      let childLast = childFirst;
      while (childLast < last && childOf(childLast + 1) === child) childLast++;
      // A block of one address touches one segment, so the recursion ends at the last bit at the latest.
      if (childLast - childFirst < LEAF_MAX) {
        table[offset + child] = (childFirst << LEAF_BITS) | (childLast - childFirst);
      } else {
        const childOffset = nodes.length;
        for (let i = 0; i < 2 ** CHILD_BITS; i++) nodes.push(0);
        fill(nodes, childOffset, childFirst, childLast, bit + width, CHILD_BITS);
        table[offset + child] = ~childOffset;
      }
      // Up to the next child where a segment starts, every child lies inside childLast.
      const next = childLast < last ? childOf(childLast + 1) : size;
      table.fill(childLast << LEAF_BITS, offset + child + 1, offset + next);
      holding = childLast;
      child = next;
    }
  };
  const root = new Int32Array(2 ** ROOT_BITS);
  fill(root, 0, 0, count - 1, 0, ROOT_BITS);
  return { root, nodes: Int32Array.from(nodes) };
}

/** A family's tables from its flattened intervals. */
function familyTables<T extends Address>(intervals: readonly Interval<T>[], layout: Layout<T>): FamilyTables {
  const segments = segmentsOf(intervals, layout);
  return { ...segments, ...buildTrie(segments.starts, layout.words) };
}

function v4Prefix(range: IpRange & { family: 4 }, location: number): Prefix<number> {
  const { start, prefixLength } = range;
  return { start, end: start + 2 ** (32 - prefixLength) - 1, prefixLength, location };
}

function v6Prefix(range: IpRange & { family: 6 }, location: number): Prefix<bigint> {
  const { start, prefixLength } = range;
  return { start, end: start + (1n << BigInt(128 - prefixLength)) - 1n, prefixLength, location };
}

/** The tables over every cloud's ranges; location ids are numbered in the order the clouds and regions come. */
export function buildRangeTables(clouds: readonly CloudRanges[]): RangeTables {
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
  const v4Intervals = flattenPrefixes(v4, NUMBERS);
  const v6Intervals = flattenPrefixes(v6, BIGINTS);
  return {
    locations,
    v4: familyTables(v4Intervals, V4),
    v6: familyTables(v6Intervals, V6),
    intervals: v4Intervals.length + v6Intervals.length,
  };
}
