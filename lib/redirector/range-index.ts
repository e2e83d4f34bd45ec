/**
 * Client IP -> (cloud, region), by longest-prefix match over every loaded donor's ranges.
 *
 * The index answers from flat typed arrays (range-tables.ts builds them; range-index-file.ts stores them), so the GC
 * has nothing to trace and a lookup allocates nothing: parse the text into a number (IPv4) or four words (IPv6), walk
 * the trie a byte at a time from the top 16 bits until a leaf, scan the leaf's few segments. An IPv6 walk starts
 * while the text is still being parsed (Ipv6TrieWalk).
 */
import { parseIpv4, parseIpv6Into, type LeadingGroups } from '../clouds/ranges';
import {
  buildRangeTables,
  CHILD_BITS,
  INVALID_IP,
  LEAF_BITS,
  ROOT_BITS,
  type ClientLocation,
  type CloudRanges,
  type FamilyTables,
  type RangeTables,
} from './range-tables';

export { INVALID_IP, NO_MATCH, type ClientLocation, type CloudRanges, type RangeTables } from './range-tables';

// Local copies: an imported binding compiled to CommonJS (tsx, jest) is a property load on every use.
// Stryker disable next-line ArithmeticOperator: 32 + 16 shifts as 16 (>>> takes the count modulo 32), equivalent
const ROOT_SHIFT = 32 - ROOT_BITS;
const CHILD_WIDTH = CHILD_BITS;
const CHILD_MASK = 2 ** CHILD_BITS - 1;
const LEAF_SHIFT = LEAF_BITS;
const LEAF_COUNT_MASK = 2 ** LEAF_BITS - 1;

/** An immutable index over the loaded ranges. */
export class RangeIndex {
  /** Location ids are positions in this list. */
  readonly locations: readonly ClientLocation[];
  readonly tables: RangeTables;
  private readonly v4: FamilyTables;
  private readonly v6: FamilyTables;
  private readonly scratch = new Uint32Array(4);
  private readonly v6Walk: Ipv6TrieWalk;

  /** From the clouds' parsed ranges, or from tables built before (the index file). */
  constructor(source: readonly CloudRanges[] | RangeTables) {
    this.tables = 'v4' in source ? source : buildRangeTables(source);
    this.locations = this.tables.locations;
    this.v4 = this.tables.v4;
    this.v6 = this.tables.v6;
    this.v6Walk = new Ipv6TrieWalk(this.v6);
  }

  /** Number of disjoint intervals (IPv4 + IPv6) after flattening. */
  get intervalCount(): number {
    return this.tables.intervals;
  }

  /** Location id of an address (text, IPv4 or IPv6; IPv4-mapped IPv6 is unmapped), NO_MATCH or INVALID_IP. */
  lookup(address: string, from = 0, to = address.length): number {
    // Most clients are IPv4: that parser refuses a text longer than a dotted quad unread, others within 4 characters.
    const v4 = parseIpv4(address, from, to);
    return v4 >= 0 ? this.lookupV4(v4) : this.lookupIpv6(address, from, to);
  }

  /** lookup() of a text that is not IPv4: kept apart so that the IPv4 path stays small enough to compile inline. */
  private lookupIpv6(address: string, from: number, to: number): number {
    const ip = this.scratch;
    const walk = this.v6Walk;
    walk.bits = 0;
    if (!parseIpv6Into(address, ip, from, to, walk)) return INVALID_IP;
    if (ip[0] === 0 && ip[1] === 0 && ip[2] === 0xffff) return this.lookupV4(ip[3]!);
    const { root, nodes, starts, locations } = this.v6;
    // The walk went as far as the leading groups took it; the rest of the way (if any) from the parsed words.
    let entry = walk.entry;
    let bit = walk.bits;
    // Walking again from the root after a walk that went somewhere answers the same, in more time.
    // Stryker disable next-line ConditionalExpression: equivalent when true (see above)
    if (bit === 0) {
      entry = root[ip[0]! >>> ROOT_SHIFT]!;
      bit = ROOT_BITS;
    }
    for (; entry < 0; bit += CHILD_WIDTH) {
      entry = nodes[~entry + ((ip[bit >>> 5]! >>> (32 - CHILD_WIDTH - (bit & 31))) & CHILD_MASK)]!;
    }
    let segment = entry >> LEAF_SHIFT;
    const last = segment + (entry & LEAF_COUNT_MASK);
    // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent, as in lookupV4
    while (segment < last && startsAtOrBefore(starts, (segment + 1) * 4, ip)) segment++;
    return locations[segment]!;
  }

  private lookupV4(ip: number): number {
    const { root, nodes, starts, locations } = this.v4;
    let entry = root[ip >>> ROOT_SHIFT]!;
    for (let shift = ROOT_SHIFT - CHILD_WIDTH; entry < 0; shift -= CHILD_WIDTH) {
      entry = nodes[~entry + ((ip >>> shift) & CHILD_MASK)]!;
    }
    let segment = entry >> LEAF_SHIFT;
    const last = segment + (entry & LEAF_COUNT_MASK);
    // The segment after a leaf starts beyond its block, so the scan would stop there anyway: the bound is equivalent.
    // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent (see above)
    while (segment < last && starts[segment + 1]! <= ip) segment++;
    return locations[segment]!;
  }
}

/**
 * How many leading groups of an IPv6 address walk the trie as they are parsed: 64 bits, where the published prefixes
 * end (IPv6 subnets are /64; of the three donors' 7,448 IPv6 prefixes as parsed, 18 are longer, and the lookup walks
 * to those after the parse).
 */
const WALKED_GROUPS = 4;
/** An IPv6 group: the root's width, then two child steps (ROOT_BITS = 2 x CHILD_BITS = 16). */
const GROUP_BITS = 16;

/**
 * The IPv6 trie walked with each leading group parseIpv6Into reads (the root with the first group, two child tables
 * with each next one), while the rest of the text is still to be parsed: the table reads, each waiting for the one
 * before, then overlap the parsing instead of following it. A step is the same whether the walk has reached its leaf
 * or not (a read of nodes[0], kept unchanged): a branch on a value just read would often be mispredicted, and a
 * misprediction throws the parsing done meanwhile away.
 */
class Ipv6TrieWalk implements LeadingGroups {
  /** The entry reached, once `bits` > 0. */
  entry = 0;
  /** How many leading bits the walk has taken (0 before the first group). */
  bits = 0;
  private readonly root: Int32Array;
  private readonly nodes: Int32Array;

  constructor(tables: FamilyTables) {
    this.root = tables.root;
    this.nodes = tables.nodes;
  }

  // The lookup walks on from wherever this walk stopped (from the root if it never started), so a walk of any number
  // of groups, none included, answers the same, only at another time: the bound and the body are equivalent.
  // Stryker disable next-line BlockStatement: equivalent (see above)
  group(index: number, value: number): void {
    // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent (see above)
    if (index >= WALKED_GROUPS) return;
    this.entry =
      index === 0 ? this.root[value]! : this.step(this.step(this.entry, value >>> CHILD_WIDTH), value & CHILD_MASK);
    this.bits = GROUP_BITS * (index + 1);
  }

  /**
   * The child entry for `byte` if `entry` is a child table, else `entry` itself. An index without child tables reads
   * nodes[0] out of bounds: undefined, masked to 0 as any read for a leaf is.
   */
  private step(entry: number, byte: number): number {
    const isTable = entry >> 31; // all ones for a table, 0 for a leaf
    return (this.nodes[(~entry + byte) & isTable]! & isTable) | (entry & ~isTable);
  }
}

/** Whether the IPv6 start at words[at..at+3] is <= ip. */
function startsAtOrBefore(words: Uint32Array, at: number, ip: Uint32Array): boolean {
  for (let w = 0; w < 4; w++) {
    const a = words[at + w]!;
    const b = ip[w]!;
    // Stryker disable next-line EqualityOperator: a and b differ here, so < and <= agree
    if (a !== b) return a < b;
  }
  return true;
}
