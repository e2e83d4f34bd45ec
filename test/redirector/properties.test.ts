/**
 * Properties of the routing core, checked on inputs fast-check generates (a failure prints the seed and the
 * shrunk counterexample; replay with `fc.assert(..., { seed, path })`):
 * - the range index agrees with a brute-force longest-prefix match over random nested and overlapping prefixes of
 *   both families, whatever the address's text form;
 * - the client resolver picks the X-Forwarded-For entry its hop count says, and nothing else;
 * - parseRequest routes every valid name, tag and digest to the right kind, never throws, and never forwards a dot
 *   segment, an empty segment or an unsafe query character;
 * - decide only ever sends a client to a configured backend.
 * Only public APIs are used: the index's internals may change, these properties must keep holding.
 */
import { isIP } from 'node:net';
import fc from 'fast-check';
import { NOT_AN_IP, parseIpInto, type IpRange } from '../../lib/clouds/ranges';
import { ClientResolver } from '../../lib/redirector/client';
import { CLIENT_NOT_NEEDED, decide, settle, UNLISTED_CLIENT, type Client } from '../../lib/redirector/decide';
import { INVALID_IP, NO_MATCH, RangeIndex, type CloudRanges } from '../../lib/redirector/range-index';
import { needsClient, parseRequest, safeQuery, type Route } from '../../lib/redirector/route';
import type { RoutingTable } from '../../lib/topology';
import { fixtureIndex, smallTable } from './fixtures';

/**
 * How many cases each property tries, scaled by PROPERTY_RUNS_SCALE (mutation testing runs these tests for every
 * mutant and sets it to 0.1; see stryker.config.mjs).
 */
const RUNS_SCALE = Number(process.env.PROPERTY_RUNS_SCALE ?? 1);
function runs(count: number): number {
  return Math.max(1, Math.round(count * RUNS_SCALE));
}

/** The one place the index is built from ranges: adapt here if its construction changes. */
function buildIndex(clouds: readonly CloudRanges[]): RangeIndex {
  return new RangeIndex(clouds);
}

// ---------------------------------------------------------------------------------------------------------------
// Addresses and prefixes

const V4_MAX = 2 ** 32 - 1;
const V6_MAX = (1n << 128n) - 1n;
const MAPPED = 0xffffn << 32n; // ::ffff:0:0/96, IPv4-mapped IPv6

function v4Text(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

function v6Groups(value: bigint): number[] {
  return Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
}

/** The ways an IPv6 address is written: full, zero-padded, compressed (longest zero run as `::`), upper case. */
const V6_STYLES = ['full', 'padded', 'compressed', 'upper'] as const;
type V6Style = (typeof V6_STYLES)[number];

function v6Text(value: bigint, style: V6Style): string {
  const groups = v6Groups(value).map((g) => g.toString(16));
  if (style === 'full') return groups.join(':');
  if (style === 'padded') return groups.map((g) => g.padStart(4, '0')).join(':');
  let best = { at: -1, length: 0 };
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > best.length) best = { at: i, length: j - i };
    i = j === i ? i + 1 : j;
  }
  const text =
    best.length < 2
      ? groups.join(':')
      : `${groups.slice(0, best.at).join(':')}::${groups.slice(best.at + best.length).join(':')}`;
  return style === 'upper' ? text.toUpperCase() : text;
}

interface Location {
  readonly cloud: string;
  readonly region: string;
}

type Prefix = ({ family: 4; start: number } | { family: 6; start: bigint }) & {
  readonly prefixLength: number;
  readonly location: Location;
};

function v4Start(base: number, prefixLength: number): number {
  return prefixLength === 0 ? 0 : (base & ((0xffffffff << (32 - prefixLength)) >>> 0)) >>> 0;
}

function v6Start(base: bigint, prefixLength: number): bigint {
  return base & ~((1n << BigInt(128 - prefixLength)) - 1n);
}

function lastAddress(prefix: Prefix): number | bigint {
  return prefix.family === 4
    ? prefix.start + 2 ** (32 - prefix.prefixLength) - 1
    : prefix.start + (1n << BigInt(128 - prefix.prefixLength)) - 1n;
}

const locationArb: fc.Arbitrary<Location> = fc.record({
  cloud: fc.constantFrom('aws', 'gcp', 'azure'),
  region: fc.constantFrom('r1', 'r2', 'r3', 'GLOBAL'),
});

/**
 * Prefixes that nest and overlap: each is a random-length cut of one of a few shared addresses, so that a long
 * prefix often lies inside a shorter one (of another location or the same). Identical prefixes are dropped: which
 * of two equal claims wins is a tie rule, not longest-prefix matching.
 */
const prefixesArb: fc.Arbitrary<Prefix[]> = fc
  .record({
    v4Bases: fc.array(fc.integer({ min: 0, max: V4_MAX }), { minLength: 1, maxLength: 4 }),
    v6Bases: fc.array(fc.bigInt({ min: 0n, max: V6_MAX }), { minLength: 1, maxLength: 4 }),
    picks: fc.array(
      fc.record({
        family: fc.constantFrom(4 as const, 6 as const),
        base: fc.nat(),
        cut: fc.double({ min: 0, max: 1, noNaN: true }),
        location: locationArb,
      }),
      { maxLength: 40 },
    ),
  })
  .map(({ v4Bases, v6Bases, picks }) => {
    const seen = new Set<string>();
    const prefixes: Prefix[] = [];
    for (const { family, base, cut, location } of picks) {
      // Long prefixes are the common case in the published files; short ones make the deepest nesting.
      const prefixLength = Math.round((family === 4 ? 32 : 128) * Math.sqrt(cut));
      const prefix: Prefix =
        family === 4
          ? { family, start: v4Start(v4Bases[base % v4Bases.length]!, prefixLength), prefixLength, location }
          : { family, start: v6Start(v6Bases[base % v6Bases.length]!, prefixLength), prefixLength, location };
      const key = `${family} ${prefix.start} ${prefixLength}`;
      if (seen.has(key)) continue;
      seen.add(key);
      prefixes.push(prefix);
    }
    return prefixes;
  });

/**
 * Many long prefixes cut from one address: their bounds crowd into one 16-bit block, so the index needs nodes
 * below its top level (a sparse set of prefixes never reaches them).
 */
const densePrefixesArb: fc.Arbitrary<Prefix[]> = fc
  .record({
    v4: fc.integer({ min: 0, max: V4_MAX }),
    v6: fc.bigInt({ min: 0n, max: V6_MAX }),
    cuts: fc.array(
      fc.record({ family: fc.constantFrom(4 as const, 6 as const), bits: fc.nat(), location: locationArb }),
      { minLength: 10, maxLength: 60 },
    ),
  })
  .map(({ v4, v6, cuts }) => {
    const seen = new Set<string>();
    const prefixes: Prefix[] = [];
    for (const { family, bits, location } of cuts) {
      const prefixLength = 17 + (bits % (family === 4 ? 16 : 112));
      // Spread the cuts over the shared address's 16-bit block, or (every other one) its 24-bit block: the index
      // then needs a second level below the first.
      const flip = bits & (bits % 2 === 0 ? 0xffff : 0xff);
      const prefix: Prefix =
        family === 4
          ? { family, start: v4Start((v4 ^ flip) >>> 0, prefixLength), prefixLength, location }
          : { family, start: v6Start(v6 ^ (BigInt(flip) << 96n), prefixLength), prefixLength, location };
      const key = `${family} ${prefix.start} ${prefixLength}`;
      if (seen.has(key)) continue;
      seen.add(key);
      prefixes.push(prefix);
    }
    return prefixes;
  });

function toCloudRanges(prefixes: readonly Prefix[]): CloudRanges[] {
  const byCloud = new Map<string, IpRange[]>();
  for (const { location, ...p } of prefixes) {
    const range: IpRange =
      p.family === 4
        ? { family: 4, start: p.start, prefixLength: p.prefixLength, region: location.region }
        : { family: 6, start: p.start, prefixLength: p.prefixLength, region: location.region };
    byCloud.set(location.cloud, [...(byCloud.get(location.cloud) ?? []), range]);
  }
  return [...byCloud].map(([cloud, ranges]) => ({ cloud, ranges }));
}

/** The reference: every prefix that contains the address, the longest wins. IPv4-mapped IPv6 is IPv4. */
function bruteForce(prefixes: readonly Prefix[], family: 4 | 6, address: number | bigint): Location | undefined {
  if (family === 6 && typeof address === 'bigint' && address >> 32n === MAPPED >> 32n) {
    return bruteForce(prefixes, 4, Number(address & 0xffffffffn));
  }
  let best: Prefix | undefined;
  for (const prefix of prefixes) {
    if (prefix.family !== family) continue;
    if (address < prefix.start || address > lastAddress(prefix)) continue;
    if (!best || prefix.prefixLength > best.prefixLength) best = prefix;
  }
  return best?.location;
}

function locate(index: RangeIndex, text: string): Location | undefined | 'invalid' {
  const id = index.lookup(text);
  if (id === INVALID_IP) return 'invalid';
  if (id === NO_MATCH) return undefined;
  const location = index.locations[id];
  return location && { cloud: location.cloud, region: location.region };
}

/** Addresses worth asking about: the bounds of every prefix and their neighbours, plus random ones. */
function probes(prefixes: readonly Prefix[], random: { v4: number[]; v6: bigint[] }) {
  const v4 = new Set<number>(random.v4);
  const v6 = new Set<bigint>(random.v6);
  for (const prefix of prefixes) {
    const last = lastAddress(prefix);
    if (prefix.family === 4) {
      for (const a of [prefix.start - 1, prefix.start, last as number, (last as number) + 1])
        if (a >= 0 && a <= V4_MAX) v4.add(a);
    } else {
      for (const a of [prefix.start - 1n, prefix.start, last as bigint, (last as bigint) + 1n])
        if (a >= 0n && a <= V6_MAX) v6.add(a);
    }
  }
  // The ends of the address space, and IPv6 addresses that only look IPv4-mapped (0xffff in their third word, but
  // not zero before it): IPv6 addresses, whatever IPv4 prefix their last word falls in.
  for (const a of [0, 1, 0x100, 0xffff, V4_MAX]) v4.add(a);
  for (const a of [0n, 1n, 0x100n, 0xffffffffn, V6_MAX]) v6.add(a);
  for (const prefix of prefixes) {
    if (prefix.family !== 4) continue;
    const low = MAPPED | BigInt(prefix.start);
    for (const high of [1n << 96n, 1n << 64n, 0xffffn << 96n]) v6.add(high | low);
  }
  return { v4: [...v4], v6: [...v6] };
}

const randomAddresses = fc.record({
  v4: fc.array(fc.integer({ min: 0, max: V4_MAX }), { maxLength: 20 }),
  v6: fc.array(fc.bigInt({ min: 0n, max: V6_MAX }), { maxLength: 20 }),
});

describe('RangeIndex: longest prefix wins, as a brute-force scan says', () => {
  // Each case builds an index (tens of milliseconds): fewer cases, many probes each.
  it('for every bound of every prefix, their neighbours and random addresses, in every text form', () => {
    fc.assert(
      fc.property(
        fc.oneof(prefixesArb, densePrefixesArb),
        randomAddresses,
        fc.constantFrom<V6Style>(...V6_STYLES),
        fc.boolean(),
        (prefixes, random, style, rebuilt) => {
          const built = buildIndex(toCloudRanges(prefixes));
          // An index made from another's tables (what the index file holds) answers the same.
          const index = rebuilt ? new RangeIndex(built.tables) : built;
          const { v4, v6 } = probes(prefixes, random);
          const wrong: string[] = [];
          const check = (text: string, expected: Location | undefined) => {
            const got = locate(index, text);
            if (JSON.stringify(got) !== JSON.stringify(expected))
              wrong.push(`${text}: index ${JSON.stringify(got)}, brute force ${JSON.stringify(expected)}`);
          };
          for (const address of v4) {
            const expected = bruteForce(prefixes, 4, address);
            check(v4Text(address), expected);
            // IPv4-mapped IPv6, dotted and hex: the IPv4 address.
            check(`::ffff:${v4Text(address)}`, expected);
            check(v6Text(MAPPED | BigInt(address), style), expected);
          }
          for (const address of v6) check(v6Text(address, style), bruteForce(prefixes, 6, address));
          expect(wrong).toEqual([]);
          // Each prefix adds at most two bounds: at most two intervals of its own.
          if (prefixes.length > 0) {
            expect(index.intervalCount).toBeGreaterThanOrEqual(1);
            expect(index.intervalCount).toBeLessThanOrEqual(2 * prefixes.length);
          }
        },
      ),
      // Under mutation testing too, enough cases that every level of the index is reached.
      { numRuns: Math.max(60, runs(200)) },
    );
  });

  it('looks up a slice of a longer text as the slice alone', () => {
    const index = fixtureIndex();
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), fc.string(), fc.string(), (ip, before, after) => {
        const text = `${before}${ip}${after}`;
        expect(index.lookup(text, before.length, before.length + ip.length)).toBe(index.lookup(ip));
      }),
      { numRuns: runs(100) },
    );
  });

  it("accepts exactly the addresses node's isIP accepts, less zone ids (no client has one)", () => {
    const index = fixtureIndex();
    const text = fc.oneof(
      fc.ipV4(),
      fc.ipV6(),
      fc.ipV4Extended(),
      fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF:.%/[] ') }),
      fc.string(),
    );
    fc.assert(
      fc.property(text, (candidate) => {
        const valid = isIP(candidate) !== 0 && !candidate.includes('%');
        expect([candidate, index.lookup(candidate) !== INVALID_IP]).toEqual([candidate, valid]);
      }),
      { numRuns: runs(2000) },
    );
  });
});

/**
 * An IPv6 lookup walks the trie with the groups before any `::` while it parses, and the rest of the way from the
 * parsed words: whatever the text looks like, it must answer what parsing the text alone and a brute-force scan say.
 */
describe('RangeIndex: an IPv6 text answers as parsing it, then a brute-force scan', () => {
  /** Eight groups, each zero half the time: runs of zeros everywhere, so that `::` can stand in every position. */
  const groupsArb = fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff })), {
    minLength: 8,
    maxLength: 8,
  });
  const valueOf = (groups: readonly number[]) => groups.reduce((value, g) => (value << 16n) | BigInt(g), 0n);

  /** The address in every spelling: `::` for each run of zero groups (any part of one), padded, upper case, dotted. */
  function spellings(groups: readonly number[]): string[] {
    const hex = groups.map((g) => g.toString(16));
    const texts = [hex.join(':'), groups.map((g) => g.toString(16).padStart(4, '0')).join(':')];
    for (let from = 0; from < 8; from++) {
      for (let to = from + 1; to <= 8 && groups[to - 1] === 0; to++) {
        texts.push(`${hex.slice(0, from).join(':')}::${hex.slice(to).join(':')}`);
      }
    }
    const low = (groups[6]! << 16) | groups[7]!;
    const dotted = [low >>> 24, (low >>> 16) & 255, (low >>> 8) & 255, low & 255].join('.');
    texts.push(`${hex.slice(0, 6).join(':')}:${dotted}`);
    return [...texts, ...texts.map((text) => text.toUpperCase())];
  }

  /** Prefixes of random lengths around the addresses asked about, so that the walk goes deep and stops anywhere. */
  const caseArb = fc
    .record({
      addresses: fc.array(groupsArb, { minLength: 1, maxLength: 6 }),
      cuts: fc.array(fc.record({ pick: fc.nat(), length: fc.nat({ max: 128 }), location: locationArb }), {
        minLength: 1,
        maxLength: 30,
      }),
    })
    .map(({ addresses, cuts }) => {
      const seen = new Set<string>();
      const prefixes: Prefix[] = [];
      for (const { pick, length, location } of cuts) {
        const start = v6Start(valueOf(addresses[pick % addresses.length]!), length);
        if (seen.has(`${start}/${length}`)) continue;
        seen.add(`${start}/${length}`);
        prefixes.push({ family: 6, start, prefixLength: length, location });
      }
      return { addresses, prefixes };
    });

  /** What the index must say of a text: what the parser makes of it (IPv4-mapped unmapped), then brute force. */
  function reference(prefixes: readonly Prefix[], text: string): Location | undefined | 'invalid' {
    const words = new Uint32Array(4);
    const family = parseIpInto(text, words, true);
    if (family === NOT_AN_IP) return 'invalid';
    if (family === 4) return bruteForce(prefixes, 4, words[0]!);
    return bruteForce(
      prefixes,
      6,
      [...words].reduce((value, w) => (value << 32n) | BigInt(w), 0n),
    );
  }

  it('for every spelling of addresses with zero runs in any position', () => {
    fc.assert(
      fc.property(caseArb, ({ addresses, prefixes }) => {
        const index = buildIndex(toCloudRanges(prefixes));
        // Against the address itself, not the parser's reading of the text: a spelling it misreads fails here too.
        const wrong = addresses.flatMap((groups) => {
          const expected = JSON.stringify(bruteForce(prefixes, 6, valueOf(groups)));
          return spellings(groups).filter((text) => JSON.stringify(locate(index, text)) !== expected);
        });
        expect(wrong).toEqual([]);
      }),
      { numRuns: runs(150) },
    );
  });

  it('for any text: malformed, zoned, too many groups, a stray character anywhere', () => {
    const damaged = fc
      .tuple(groupsArb, fc.nat(), fc.nat(), fc.constantFrom(':', '::', '0', 'ffff', '%eth0', '.', '1.2.3.4', 'g', ''))
      .map(([groups, pick, at, insert]) => {
        const texts = spellings(groups);
        const text = texts[pick % texts.length]!;
        const cut = at % (text.length + 1);
        return `${text.slice(0, cut)}${insert}${text.slice(cut + (at % 3 === 0 ? 1 : 0))}`;
      });
    const text = fc.oneof(
      damaged,
      fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF:.%'), maxLength: 46 }),
      fc.ipV6(),
    );
    fc.assert(
      fc.property(caseArb, fc.array(text, { minLength: 1, maxLength: 20 }), ({ prefixes }, texts) => {
        const index = buildIndex(toCloudRanges(prefixes));
        const wrong = texts.filter(
          (candidate) => JSON.stringify(locate(index, candidate)) !== JSON.stringify(reference(prefixes, candidate)),
        );
        expect(wrong).toEqual([]);
      }),
      { numRuns: runs(150) },
    );
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The client resolver

describe('ClientResolver: the client is the entry just before the trusted proxies', () => {
  // Built in each test, not once for the file: mutation testing then counts it as run by these tests only.
  let index: RangeIndex;
  beforeEach(() => {
    index = fixtureIndex();
  });
  const entry = fc.oneof(
    fc.constantFrom(
      '3.5.140.9',
      '18.200.1.1',
      '34.1.208.5',
      '20.42.0.1',
      '2600:1f16::1',
      '::ffff:18.200.1.1',
      '8.8.8.8',
    ),
    fc.ipV4(),
    fc.ipV6(),
    fc.string({ maxLength: 8 }),
  );
  const padded = fc
    .tuple(fc.constantFrom('', ' ', '\t', '  '), entry, fc.constantFrom('', ' ', '\t '))
    .map(([before, value, after]) => `${before}${value}${after}`);

  it('resolves what the index says of that entry, trimmed; refuses a header with too few entries', () => {
    fc.assert(
      fc.property(fc.array(padded, { minLength: 1, maxLength: 6 }), fc.integer({ min: 0, max: 4 }), (entries, hops) => {
        const header = entries.join(',');
        const got = new ClientResolver(index, hops).resolve(header, '10.0.0.1');
        const all = header.split(',');
        if (all.length <= hops) {
          expect(got.kind).toBe('invalid');
          expect(got.kind === 'invalid' && got.message).toContain(`has ${all.length} entr`);
          return;
        }
        const client = all[all.length - 1 - hops]!.replace(/^[ \t]+|[ \t]+$/g, '');
        const id = index.lookup(client);
        const expected: Client =
          id === INVALID_IP
            ? {
                kind: 'invalid',
                message: `X-Forwarded-For client entry ${JSON.stringify(client.slice(0, 64))} is not an IP address`,
              }
            : id === NO_MATCH
              ? UNLISTED_CLIENT
              : { kind: 'located', location: index.locations[id]! };
        expect(got).toEqual(expected);
      }),
      { numRuns: runs(2000) },
    );
  });

  it('without X-Forwarded-For, resolves the socket address', () => {
    fc.assert(
      fc.property(entry, (socket) => {
        const id = index.lookup(socket);
        const got = new ClientResolver(index, 1).resolve(undefined, socket);
        expect(got.kind).toBe(id === INVALID_IP ? 'invalid' : id === NO_MATCH ? 'unlisted' : 'located');
      }),
      { numRuns: runs(100) },
    );
  });
});

// ---------------------------------------------------------------------------------------------------------------
// parseRequest

/** One component of a repository name: `[a-z0-9]+` joined by `.`, `_`, `__` or dashes. */
const alnum = fc.string({
  unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789'),
  minLength: 1,
  maxLength: 8,
});
const component = fc
  .tuple(alnum, fc.array(fc.tuple(fc.constantFrom('.', '_', '__', '-', '--'), alnum), { maxLength: 3 }))
  .map(([first, rest]) => first + rest.map(([sep, part]) => sep + part).join(''));
const repository = fc
  .array(component, { minLength: 1, maxLength: 4 })
  .map((parts) => parts.join('/'))
  .filter((name) => name.length <= 255);
const hex = (length: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: length, maxLength: length });
const digest = fc.oneof(
  hex(64).map((h) => `sha256:${h}`),
  hex(128).map((h) => `sha512:${h}`),
);
const COSIGN = /^sha256-[a-f0-9]{64}\.(?:sig|att|sbom)$/;
const tag = fc.oneof(
  fc.stringMatching(/^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/),
  fc.tuple(hex(64), fc.constantFrom('sig', 'att', 'sbom', 'spdx')).map(([h, suffix]) => `sha256-${h}.${suffix}`),
);
const QUERY_CHARS = "A-Za-z0-9\\-._~!$&'()*+,;=:@/?%";
const SAFE_QUERY = new RegExp(`^(?:\\?[${QUERY_CHARS}]+)?$`);
/** A query as a client may send it: latin1 characters, as node hands over `req.url`. */
const query = fc.oneof(
  fc.constant(''),
  fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).map((c) => String.fromCharCode(c)) }).map((q) => `?${q}`),
);
const method = fc.constantFrom('GET', 'HEAD');

describe('parseRequest', () => {
  it('a blob of any valid repository and digest is a blob route', () => {
    fc.assert(
      fc.property(method, repository, digest, query, (m, name, d, q) => {
        expect(parseRequest(m, `/v2/${name}/blobs/${d}${q}`)).toEqual({
          kind: 'blob',
          repository: name,
          digest: d,
          query: safeQuery(q),
        });
      }),
      { numRuns: runs(100) },
    );
  });

  it('a manifest by tag or digest is a manifest route; cosign tags (only) are signatures', () => {
    fc.assert(
      fc.property(method, repository, fc.oneof(tag, digest), query, (m, name, reference, q) => {
        expect(parseRequest(m, `/v2/${name}/manifests/${reference}${q}`)).toEqual({
          kind: 'manifest',
          repository: name,
          reference,
          signature: COSIGN.test(reference),
          query: safeQuery(q),
        });
      }),
      { numRuns: runs(100) },
    );
  });

  it('tags/list and referrers of a valid repository go to the upstream as they are', () => {
    fc.assert(
      fc.property(method, repository, digest, query, (m, name, d, q) => {
        expect(parseRequest(m, `/v2/${name}/tags/list${q}`)).toEqual({
          kind: 'other-v2',
          rest: `${name}/tags/list`,
          query: safeQuery(q),
        });
        expect(parseRequest(m, `/v2/${name}/referrers/${d}${q}`)).toEqual({
          kind: 'other-v2',
          rest: `${name}/referrers/${d}`,
          query: safeQuery(q),
        });
      }),
      { numRuns: runs(100) },
    );
  });

  it('any method but GET and HEAD is refused, whatever the target', () => {
    const other = fc.string({ maxLength: 10 }).filter((m) => m !== 'GET' && m !== 'HEAD');
    fc.assert(
      fc.property(fc.option(other, { nil: undefined }), fc.string(), (m, target) => {
        expect(parseRequest(m, target)).toEqual({ kind: 'method-not-allowed' });
      }),
      { numRuns: runs(100) },
    );
  });

  /** Targets built from the pieces that matter: API words, valid names, dots, slashes, escapes and junk. */
  const piece = fc.oneof(
    fc.constantFrom('/', '/', '//', '.', '..', '%2e', '%2E%2e', '%2f', '%', '%zz', '?', '#', ';', '\\', ' ', '\u00e9'),
    fc.constantFrom('v2', 'blobs', 'manifests', 'tags', 'list', 'referrers', 'uploads', '_catalog', 'sha256:'),
    repository,
    digest,
    tag,
    fc.string({ maxLength: 4 }),
  );
  const target = fc.oneof(
    fc.array(piece, { maxLength: 12 }).map((pieces) => `/v2/${pieces.join('')}`),
    fc.array(piece, { maxLength: 12 }).map((pieces) => pieces.join('')),
    fc.string(),
  );

  it('never throws, and what it forwards has no dot, empty or escaped segment and a safe query', () => {
    fc.assert(
      fc.property(method, target, (m, t) => {
        const route = parseRequest(m, t);
        for (const path of forwardedPaths(route)) {
          const segments = path.replace(/\/$/, '').split('/');
          expect(segments.filter((s) => s === '' || s === '.' || s === '..' || /[%\\#?\s]/.test(s))).toEqual([]);
        }
        if ('query' in route) expect(route.query).toMatch(SAFE_QUERY);
      }),
      { numRuns: runs(5000) },
    );
  });

  it('safeQuery keeps an RFC 3986 query as it is, escapes the rest, and is idempotent', () => {
    fc.assert(
      fc.property(query, (q) => {
        const safe = safeQuery(q);
        expect(safe).toMatch(SAFE_QUERY);
        expect(safeQuery(safe)).toBe(safe);
        if (SAFE_QUERY.test(q)) expect(safe).toBe(q);
        // Every character is kept or replaced by its own escape: nothing dropped, nothing added.
        expect(unescapeAll(safe)).toBe(unescapeAll(q.length <= 1 ? '' : q));
      }),
      { numRuns: runs(1000) },
    );
  });
});

/** The parts of a route that end up in a Location header's path. */
function forwardedPaths(route: Route): string[] {
  switch (route.kind) {
    case 'manifest':
      return [route.repository, route.reference];
    case 'blob':
      return [route.repository, route.digest];
    case 'other-v2':
      return [route.rest];
    default:
      return [];
  }
}

/** Every `%XX` escape decoded (safeQuery's and the client's alike), so that a query and its safe form compare. */
function unescapeAll(query: string): string {
  return query.replace(/%([0-9A-Fa-f]{2})/g, (_, code: string) => String.fromCharCode(parseInt(code, 16)));
}

// ---------------------------------------------------------------------------------------------------------------
// decide

describe('decide: only configured backends', () => {
  const table: RoutingTable = {
    ...smallTable('us-central1'),
    signatureUpstream: { endpoint: 'https://sigs.example.com', path: 'sigs/images' },
  };
  const backends = [
    table.upstream.endpoint,
    table.signatureUpstream!.endpoint,
    table.defaultBlobBaseUrl,
    ...Object.values(table.mirrors).flatMap((byRegion) => Object.values(byRegion)),
  ].map((base) => `${base}/`);
  const client: fc.Arbitrary<Client> = fc.oneof(
    fc.constant(UNLISTED_CLIENT),
    fc.constant(CLIENT_NOT_NEEDED),
    fc
      .record({
        cloud: fc.constantFrom('aws', 'gcp', 'azure', 'other'),
        region: fc.constantFrom('eu-west-1', 'eu-west-2', 'us-east-2', 'GLOBAL', 'us-central1'),
      })
      .map((location) => ({ kind: 'located' as const, location })),
  );
  const target = fc.oneof(
    fc.tuple(repository, digest).map(([name, d]) => `/v2/${name}/blobs/${d}`),
    fc.tuple(repository, fc.oneof(tag, digest)).map(([name, reference]) => `/v2/${name}/manifests/${reference}`),
    fc.string().map((s) => `/v2/${s}`),
    fc.constantFrom('/', '/privacy', '/-/healthy', '/-/ready', '/v2/', '/v2/_catalog', '/nope'),
  );

  it('every redirect, and every fallback, points into a configured backend or the info pages', () => {
    fc.assert(
      fc.property(method, fc.tuple(target, query), client, fc.boolean(), (m, [t, q], who, ready) => {
        const route = parseRequest(m, `${t}${q}`);
        const decision = decide(route, needsClient(route) ? who : CLIENT_NOT_NEEDED, table, { ready });
        for (const final of [decision, settle(decision, true), settle(decision, false)]) {
          expect(final.status).toBeLessThan(final.status === 503 ? 504 : 500);
          expect(final.location === undefined).toBe(final.status !== 307);
          if (final.location === undefined || final.location === table.infoUrl || final.location === table.privacyUrl)
            continue;
          expect(backends.some((base) => final.location!.startsWith(base))).toBe(true);
        }
        expect(settle(decision, true)).toBe(decision);
        if (!decision.check) expect(settle(decision, false)).toBe(decision);
      }),
      { numRuns: runs(2000) },
    );
  });
});
