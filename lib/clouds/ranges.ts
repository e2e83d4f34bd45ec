/**
 * What every donor's published IP-range file turns into, whatever its format: a list of prefixes, each owned by
 * one (cloud, region). Shared by the per-donor parsers (lib/clouds/<donor>/ip-ranges.ts), the donor registry
 * (lib/clouds/donors.ts) and the redirector's range index. Runtime-safe: no infrastructure imports.
 *
 * IP text is parsed by hand into a caller-supplied Uint32Array so that the redirector's hot path allocates nothing.
 */

/**
 * One published prefix. The first address is a number for IPv4 (exact in a double) and a bigint for IPv6, with
 * the host bits cleared: no typed array per prefix, so loading tens of thousands of them stays cheap.
 */
export type IpRange = IpPrefix & {
  /** The donor's region name, as published (`us-east-1`, `GLOBAL`, `europe-west1`, `eastus2`). */
  readonly region: string;
};

export type IpPrefix =
  | { readonly family: 4; readonly start: number; readonly prefixLength: number }
  | { readonly family: 6; readonly start: bigint; readonly prefixLength: number };

/** Turns a donor's parsed JSON file into ranges; throws RangeFileError naming the file and the bad entry. */
export type RangeParser = (json: unknown, fileName: string) => IpRange[];

/** A range file that cannot be used: names the file, and the entry (path with index, and its value) when there is one. */
export class RangeFileError extends Error {
  constructor(
    readonly fileName: string,
    readonly entry: string | undefined,
    readonly problem: string,
  ) {
    super(`invalid IP-range file ${fileName}${entry ? `: ${entry}` : ''}: ${problem}`);
    this.name = 'RangeFileError';
  }
}

/** `prefixes[12] {"ip_prefix":"1.2.3.4/33"}` - the entry's position and its value, shortened for messages. */
export function describeEntry(path: string, value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return `${path} ${text.length > 200 ? `${text.slice(0, 200)}...` : text}`;
}

/** What parseIpInto found: an IPv4 address (in out[0]), an IPv6 address (out[0..3]), or nothing valid. */
export const NOT_AN_IP = 0;

/**
 * Character codes the parsers compare with, as an enum so that the bundle holds the numbers themselves: esbuild
 * initializes this module lazily when the bundle reaches it through require() (the redirector loads the donor
 * registry on demand: lib/redirector/on-demand.ts), and module-level constants then become variables V8 must read and
 * check at every use, which measured 2 ns of an IPv4 lookup.
 */
const enum Char {
  Colon = 58,
  Dot = 46,
}

/**
 * Dotted-quad IPv4 in text[from, to) (no leading zeros beyond a single 0), or -1; gives up at the first character
 * that cannot continue a dotted quad.
 *
 * An octet at a time: its first digit, then whether the next one or two characters are digits too, as numbers
 * rather than branches. Real clients' octets have one, two or three digits at random, so a branch per character
 * would often be mispredicted; this way the branches taken are the same for every valid address.
 */
export function parseIpv4(text: string, from: number, to: number): number {
  // "255.255.255.255" is the longest: most IPv6 texts are refused without reading a character.
  if (to - from > 15) return -1;
  let value = 0;
  let at = from;
  for (let octet = 0; octet < 4; octet++) {
    if (octet > 0) {
      if (at >= to || text.charCodeAt(at) !== Char.Dot) return -1;
      at++;
    }
    const first = digitAt(text, at, to);
    const second = digitAt(text, at + 1, to);
    const third = digitAt(text, at + 2, to);
    if (!isDigit(first)) return -1;
    const hasSecond = +isDigit(second);
    const hasThird = hasSecond & +isDigit(third);
    if (first === 0 && hasSecond !== 0) return -1; // "01" is ambiguous (octal in some parsers)
    // first, first * 10 + second or (first * 10 + second) * 10 + third; a digit not taken is masked to 0.
    const octetValue = (first * (1 + 9 * hasSecond) + (second & -hasSecond)) * (1 + 9 * hasThird) + (third & -hasThird);
    if (octetValue > 255) return -1;
    value = (value << 8) | octetValue;
    at += 1 + hasSecond + hasThird;
  }
  return at === to ? value >>> 0 : -1;
}

/** The value of the decimal digit at text[i], if i < to; a value outside 0..9 for any other character or none. */
function digitAt(text: string, i: number, to: number): number {
  return i < to ? text.charCodeAt(i) - 48 : -1;
}

function isDigit(value: number): boolean {
  return value >>> 0 <= 9;
}

// Scratch space for the eight 16-bit groups of an IPv6 address (module-level: the parser is synchronous).
const groups = new Uint16Array(8);

/**
 * Hex digit values by character code, -1 for any other character: one load instead of three range tests, and no
 * test that the code is ASCII (a table of every UTF-16 code unit, 64 KiB, is about 10% faster on real addresses).
 */
const HEX_VALUES = new Int8Array(65536).fill(-1);
for (let digit = 0; digit < 16; digit++) {
  HEX_VALUES['0123456789abcdef'.charCodeAt(digit)] = digit;
  HEX_VALUES['0123456789ABCDEF'.charCodeAt(digit)] = digit;
}

/**
 * Told the groups of an IPv6 address whose place is known as soon as they are read: the hex groups before a `::`
 * (all eight when there is none), in order, while the rest of the text is still to be parsed. The range index walks
 * its trie with them, so that its memory reads overlap the parsing instead of following it.
 */
export interface LeadingGroups {
  group(index: number, value: number): void;
}

/**
 * IPv6 in text[from, to) into out[0..3]; false if malformed. Accepts one `::` and a trailing dotted IPv4. `leading`,
 * if given, is told the leading groups as they are read (it may have been told some before a text turns out bad).
 *
 * A group at a time, like parseIpv4: its first hex digit, then how many of the next three characters are hex digits
 * too, as numbers rather than a branch per character (real groups have one to four digits); then what ends the group.
 */
export function parseIpv6Into(
  text: string,
  out: Uint32Array,
  from: number,
  to: number,
  leading?: LeadingGroups,
): boolean {
  if (to - from < 2) return false;
  let count = 0;
  let gapAt = -1;
  let at = from;
  // Each turn starts where a group may start: at `from` or after a colon.
  while (at < to) {
    const start = at;
    // The next four characters as hex digit values. Before the last group all four lie inside the text, and reading
    // them without testing each against `to` saves about 6 ns an address.
    let first, second, third, fourth;
    if (at + 4 <= to) {
      first = HEX_VALUES[text.charCodeAt(at)]!;
      second = HEX_VALUES[text.charCodeAt(at + 1)]!;
      third = HEX_VALUES[text.charCodeAt(at + 2)]!;
      fourth = HEX_VALUES[text.charCodeAt(at + 3)]!;
    } else {
      first = hexAt(text, at, to);
      second = hexAt(text, at + 1, to);
      third = hexAt(text, at + 2, to);
      fourth = hexAt(text, at + 3, to);
    }
    if (first < 0) {
      // No group: only the one "::" may stand here (after a colon, its second one; at the start, both).
      if (text.charCodeAt(at) !== Char.Colon || gapAt >= 0) return false;
      if (at === from && text.charCodeAt(++at) !== Char.Colon) return false;
      gapAt = count;
      at++;
      continue;
    }
    const hasSecond = +(second >= 0);
    const hasThird = hasSecond & +(third >= 0);
    const hasFourth = hasThird & +(fourth >= 0);
    const digits = 1 + hasSecond + hasThird + hasFourth;
    // The four characters as hex digits, a digit not taken masked to 0, then shifted down to the digits taken.
    const value =
      ((first << 12) | ((second & -hasSecond) << 8) | ((third & -hasThird) << 4) | (fourth & -hasFourth)) >>>
      (16 - 4 * digits);
    at += digits;
    // The end reads as a colon: the group is kept and `at` steps past `to`, which ends the loop.
    const next = at < to ? text.charCodeAt(at) : Char.Colon;
    if (next === Char.Dot) {
      // Embedded IPv4 (`::ffff:1.2.3.4`): must be the last thing and take two groups.
      if (count > 6) return false;
      const v4 = parseIpv4(text, start, to);
      if (v4 < 0) return false;
      groups[count++] = v4 >>> 16;
      groups[count++] = v4 & 0xffff;
      return finishIpv6(count, gapAt, out);
    }
    if (count === 8 || next !== Char.Colon) return false; // a ninth group, a fifth digit or another character
    if (gapAt < 0 && leading !== undefined) leading.group(count, value);
    groups[count++] = value;
    at++;
    if (at === to) return false; // ends with a single colon
  }
  return finishIpv6(count, gapAt, out);
}

/** The value of the hex digit at text[i], if i < to; -1 for any other character or none. */
function hexAt(text: string, i: number, to: number): number {
  return i < to ? HEX_VALUES[text.charCodeAt(i)]! : -1;
}

function finishIpv6(count: number, gapAt: number, out: Uint32Array): boolean {
  if (gapAt < 0 ? count !== 8 : count > 7) return false;
  if (gapAt >= 0) {
    // Move the groups after the gap to the end (from the last, so nothing is overwritten before it moves), then
    // zero the gap: every one of the eight groups is written, so the scratch needs no clearing between calls.
    const tail = count - gapAt;
    for (let k = 1; k <= tail; k++) groups[8 - k] = groups[count - k]!;
    for (let k = gapAt; k < 8 - tail; k++) groups[k] = 0;
  }
  out[0] = ((groups[0]! << 16) | groups[1]!) >>> 0;
  out[1] = ((groups[2]! << 16) | groups[3]!) >>> 0;
  out[2] = ((groups[4]! << 16) | groups[5]!) >>> 0;
  out[3] = ((groups[6]! << 16) | groups[7]!) >>> 0;
  return true;
}

/**
 * Parses an IP address in text[from, to) into `out` without allocating. Returns 4 (IPv4 in out[0]), 6 (IPv6 in
 * out[0..3]) or NOT_AN_IP. IPv4-mapped IPv6 (`::ffff:a.b.c.d`, also in hex form) is returned as IPv4 when `unmap`
 * is set, so that it matches IPv4 ranges. Zone IDs (`%eth0`) are not addresses a client can have: refused.
 */
export function parseIpInto(text: string, out: Uint32Array, unmap: boolean, from = 0, to = text.length): 0 | 4 | 6 {
  if (to <= from || to - from > 45) return NOT_AN_IP;
  // Most clients are IPv4: try that first; it gives up within the first few characters of anything else.
  const v4 = parseIpv4(text, from, to);
  if (v4 >= 0) {
    out[0] = v4;
    return 4;
  }
  if (!parseIpv6Into(text, out, from, to)) return NOT_AN_IP;
  if (unmap && out[0] === 0 && out[1] === 0 && out[2] === 0xffff) {
    out[0] = out[3]!;
    return 4;
  }
  return 6;
}

const cidrScratch = new Uint32Array(4);

/** Parses `address/length` (IPv4 or IPv6); host bits beyond the prefix are cleared. Throws a message on bad input. */
export function parseCidr(text: string): IpPrefix {
  if (typeof text !== 'string') throw new Error('prefix must be a string');
  const slash = text.indexOf('/');
  if (slash < 0) throw new Error(`${JSON.stringify(text)} is not a CIDR prefix (address/length)`);
  const lengthText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lengthText)) throw new Error(`${JSON.stringify(text)} has no valid prefix length`);
  const family = parseIpInto(text, cidrScratch, false, 0, slash);
  if (family === NOT_AN_IP) throw new Error(`${JSON.stringify(text)} has no valid IP address`);
  const prefixLength = Number(lengthText);
  const maxLength = family === 4 ? 32 : 128;
  if (prefixLength > maxLength) {
    throw new Error(`${JSON.stringify(text)}: prefix length ${prefixLength} is longer than ${maxLength}`);
  }
  if (family === 4) {
    const mask = prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
    return { family, start: (cidrScratch[0]! & mask) >>> 0, prefixLength };
  }
  let start = 0n;
  for (const word of cidrScratch) start = (start << 32n) | BigInt(word);
  const hostBits = (1n << BigInt(128 - prefixLength)) - 1n;
  return { family, start: start & ~hostBits, prefixLength };
}

/** Builds one IpRange from a prefix text, or throws RangeFileError naming the entry. */
export function rangeFromEntry(
  fileName: string,
  entryPath: string,
  entry: unknown,
  prefix: unknown,
  region: unknown,
): IpRange {
  if (typeof region !== 'string' || region.length === 0) {
    throw new RangeFileError(fileName, describeEntry(entryPath, entry), 'region must be a non-empty string');
  }
  try {
    const parsed = parseCidr(prefix as string);
    return parsed.family === 4
      ? { family: 4, start: parsed.start, prefixLength: parsed.prefixLength, region }
      : { family: 6, start: parsed.start, prefixLength: parsed.prefixLength, region };
  } catch (err) {
    throw new RangeFileError(fileName, describeEntry(entryPath, entry), (err as Error).message);
  }
}

/** Reads an array field of a donor file, or throws RangeFileError naming it. */
export function arrayField(json: unknown, field: string, fileName: string): unknown[] {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new RangeFileError(fileName, undefined, 'the file must hold a JSON object');
  }
  const value = (json as Record<string, unknown>)[field];
  if (!Array.isArray(value)) throw new RangeFileError(fileName, undefined, `"${field}" must be an array`);
  return value;
}

/** The field of an entry object, or undefined when the entry is not an object. */
export function fieldOf(entry: unknown, field: string): unknown {
  return typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>)[field] : undefined;
}
