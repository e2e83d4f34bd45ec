import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCidr, RangeFileError } from '../../lib/clouds/ranges';
import { loadRangeIndex } from '../../lib/redirector/load-ranges';
import { INVALID_IP, NO_MATCH, RangeIndex, type CloudRanges } from '../../lib/redirector/range-index';
import { flattenPrefixes, LEAF_MAX } from '../../lib/redirector/range-tables';
import {
  boundsOf,
  HAVE_REAL_RANGES,
  LongestPrefixOracle,
  REAL_RANGE_FILES,
  REAL_RANGES_DIR,
} from '../support/real-ranges';
import { fixtureIndex } from './fixtures';

/** The location of an address through the index's public lookup, as the client resolver reads it. */
function locationOf(index: RangeIndex, ip: string) {
  const id = index.lookup(ip);
  if (id === INVALID_IP) throw new Error(`${ip} is not an IP address`);
  return id === NO_MATCH ? undefined : index.locations[id];
}

describe('RangeIndex on the fixtures: longest-prefix match', () => {
  const index = fixtureIndex();
  it.each([
    // Regional prefixes nested in AWS GLOBAL ones win (production picked GLOBAL).
    ['3.5.140.9', 'aws', 'us-east-2'],
    ['3.5.141.200', 'aws', 'eu-west-2'],
    ['3.5.142.1', 'aws', 'us-east-2'],
    ['3.5.139.255', 'aws', 'GLOBAL'],
    ['3.5.144.0', 'aws', 'GLOBAL'],
    ['3.0.0.0', 'aws', 'GLOBAL'],
    ['3.127.255.255', 'aws', 'GLOBAL'],
    ['15.230.7.7', 'aws', 'us-gov-west-1'],
    ['18.200.255.255', 'aws', 'eu-west-1'],
    ['::ffff:18.200.1.2', 'aws', 'eu-west-1'],
    ['2600:1f16::1', 'aws', 'us-east-2'],
    ['2600:1f16:0fff:ffff:ffff:ffff:ffff:ffff', 'aws', 'us-east-2'],
    ['2600:1f16:1000::', 'aws', 'GLOBAL'],
    ['2600:1fff::1', 'aws', 'GLOBAL'],
    ['2a05:d018:1::1', 'aws', 'eu-west-1'],
    ['34.1.208.1', 'gcp', 'us-central1'],
    ['34.1.223.255', 'gcp', 'us-central1'],
    ['35.190.1.1', 'gcp', 'global'],
    ['34.22.3.4', 'gcp', 'europe-west1'],
    ['2600:1900:4000::5', 'gcp', 'us-central1'],
    ['20.42.1.1', 'azure', 'eastus'],
    ['2603:1030:211::1', 'azure', 'eastus'],
  ])('%s -> %s %s', (ip, cloud, region) => {
    expect(locationOf(index, ip)).toEqual({ cloud, region });
  });

  it.each(['4.0.0.0', '3.128.0.0', '2.255.255.255', '34.1.224.0', '20.1.1.1', '2600:1e00::1', '::1', '::ffff:1.1.1.1'])(
    '%s is in no range',
    (ip) => {
      expect(index.lookup(ip)).toBe(NO_MATCH);
    },
  );

  it('tells invalid text apart', () => {
    expect(index.lookup('not-an-ip')).toBe(INVALID_IP);
    expect(index.lookup('1.2.3')).toBe(INVALID_IP);
  });

  it('looks up a slice of a string without copying it', () => {
    const text = 'x, 3.5.140.9, y';
    expect(index.locations[index.lookup(text, 3, 12)]).toEqual({ cloud: 'aws', region: 'us-east-2' });
  });
});

describe('flattenPrefixes', () => {
  const math = { next: (a: number) => a + 1, previous: (a: number) => a - 1 };
  const p = (start: number, end: number, prefixLength: number, location: number) => ({
    start,
    end,
    prefixLength,
    location,
  });
  it.each([
    [
      'disjoint',
      [p(0, 3, 30, 0), p(8, 15, 29, 1)],
      [
        [0, 3, 0],
        [8, 15, 1],
      ],
    ],
    [
      'nested in the middle',
      [p(0, 15, 28, 0), p(4, 7, 30, 1)],
      [
        [0, 3, 0],
        [4, 7, 1],
        [8, 15, 0],
      ],
    ],
    [
      'nested at the start',
      [p(0, 15, 28, 0), p(0, 3, 30, 1)],
      [
        [0, 3, 1],
        [4, 15, 0],
      ],
    ],
    [
      'nested at the end',
      [p(0, 15, 28, 0), p(12, 15, 30, 1)],
      [
        [0, 11, 0],
        [12, 15, 1],
      ],
    ],
    [
      'three levels',
      [p(0, 15, 28, 0), p(4, 7, 30, 1), p(5, 5, 32, 2)],
      [
        [0, 3, 0],
        [4, 4, 1],
        [5, 5, 2],
        [6, 7, 1],
        [8, 15, 0],
      ],
    ],
    ['identical: the later wins', [p(0, 3, 30, 0), p(0, 3, 30, 1)], [[0, 3, 1]]],
    ['adjacent of one location merge', [p(0, 3, 30, 0), p(4, 7, 30, 0)], [[0, 7, 0]]],
    [
      'input order does not matter',
      [p(4, 7, 30, 1), p(0, 15, 28, 0)],
      [
        [0, 3, 0],
        [4, 7, 1],
        [8, 15, 0],
      ],
    ],
  ])('%s', (_name, prefixes, expected) => {
    expect(flattenPrefixes(prefixes, math).map((i) => [i.start, i.end, i.location])).toEqual(expected);
  });
});

if (!HAVE_REAL_RANGES) {
  console.warn(`skipping the real-range tests: ${REAL_RANGES_DIR} is absent (set IP_RANGES_DIR to run them)`);
}

// The index against a brute-force longest-prefix match on every real prefix: range-index-file.test.ts.
(HAVE_REAL_RANGES ? describe : describe.skip)('RangeIndex on the real AWS file (from ../shared/data/ip-ranges)', () => {
  it('routes an AWS regional prefix nested in a GLOBAL one to its region (production defect)', () => {
    const aws = JSON.parse(readFileSync(REAL_RANGE_FILES.aws, 'utf8')) as {
      prefixes: { ip_prefix: string; region: string }[];
    };
    const global = aws.prefixes.filter((e) => e.region === 'GLOBAL').map((e) => parseCidr(e.ip_prefix));
    const nested = aws.prefixes.find((e) => {
      if (e.region === 'GLOBAL') return false;
      const r = parseCidr(e.ip_prefix);
      return global.some(
        (g) => g.prefixLength < r.prefixLength && (Number(r.start) ^ Number(g.start)) >>> (32 - g.prefixLength) === 0,
      );
    });
    expect(nested).toBeDefined();
    const real = loadRangeIndex([{ cloud: 'aws', file: REAL_RANGE_FILES.aws }]);
    expect(locationOf(real, nested!.ip_prefix.split('/')[0]!)).toEqual({ cloud: 'aws', region: nested!.region });
  });
});

/** Ranges of one cloud from `prefix region` lines. */
function cloudOf(lines: readonly string[]): CloudRanges[] {
  return [
    {
      cloud: 'test',
      ranges: lines.map((line) => ({ ...parseCidr(line.split(' ')[0]!), region: line.split(' ')[1]! })),
    },
  ];
}

/** Every bound of every prefix and its neighbours, against the brute-force match. */
function boundsAgree(clouds: CloudRanges[]): string[] {
  const index = new RangeIndex(clouds);
  const oracle = new LongestPrefixOracle(clouds);
  return boundsOf(clouds.flatMap((c) => c.ranges)).flatMap((sample) => {
    const got = locationOf(index, sample.text);
    const want = oracle.locate(sample);
    return JSON.stringify(got) === JSON.stringify(want)
      ? []
      : [`${sample.text}: ${JSON.stringify(got)} != ${JSON.stringify(want)}`];
  });
}

describe('the trie over the segments', () => {
  it('a block touching more segments than a leaf scans gets a child table, down to single addresses', () => {
    // 40 host prefixes of alternating regions in 10.1.2.0/24, inside 10.0.0.0/8: /8 -> 10.1 -> 10.1.2 -> hosts.
    const lines = ['10.0.0.0/8 outer', ...Array.from({ length: 40 }, (_, k) => `10.1.2.${2 * k}/32 r${k % 2}`)];
    const index = new RangeIndex(cloudOf(lines));
    expect(index.tables.v4.root[0x0a01]).toBeLessThan(0);
    expect(index.tables.v4.nodes.length).toBe(2 * 256); // the 10.1 table and the 10.1.2 table
    expect(boundsAgree(cloudOf(lines))).toEqual([]);
    const oracle = new LongestPrefixOracle(cloudOf(lines));
    for (let host = 0; host < 256; host++) {
      const sample = { family: 4 as const, value: BigInt(0x0a010200 + host), text: `10.1.2.${host}` };
      expect(locationOf(index, sample.text)).toEqual(oracle.locate(sample));
    }
  });

  it.each([
    [LEAF_MAX - 1, 'a leaf'],
    [LEAF_MAX, 'a child table'],
  ])(
    '%i adjacent /24s of alternating regions from a block start (one segment more: the gap after) make %s',
    (count, kind) => {
      const lines = Array.from({ length: count }, (_, k) => `20.0.${k}.0/24 r${k % 2}`);
      const entry = new RangeIndex(cloudOf(lines)).tables.v4.root[0x1400]!;
      expect(kind === 'a leaf' ? entry >= 0 : entry < 0).toBe(true);
      expect(boundsAgree(cloudOf(lines))).toEqual([]);
    },
  );

  it.each([
    ['the whole IPv4 space', ['0.0.0.0/0 all', '255.255.255.255/32 top', '0.0.0.0/32 bottom']],
    ['the whole IPv6 space', ['::/0 all', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128 top', '::/128 bottom']],
    [
      'IPv6 host prefixes deep in a /48',
      [
        '2603:1000:4::/48 r',
        ...Array.from({ length: 12 }, (_, k) => `2603:1000:4::${(2 * k).toString(16)}/128 h${k % 2}`),
      ],
    ],
  ])('%s: every bound where brute force says', (_name, lines) => {
    expect(boundsAgree(cloudOf(lines))).toEqual([]);
  });

  it('with no ranges at all, every address is in none', () => {
    const index = new RangeIndex([]);
    expect([index.lookup('1.2.3.4'), index.lookup('2600::1'), index.lookup('255.255.255.255')]).toEqual([
      NO_MATCH,
      NO_MATCH,
      NO_MATCH,
    ]);
    expect(index.intervalCount).toBe(0);
  });
});

describe('loadRangeIndex: start-up fails loudly on an unusable file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ranges-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it.each([
    ['aws', join(dir, 'missing.json'), /invalid IP-range file .*missing\.json: cannot read/],
    ['gcp', 'TRUNCATED', /invalid IP-range file .*truncated\.json: not valid JSON/],
    [
      'aws',
      'BAD_ENTRY',
      /bad-entry\.json: ipv6_prefixes\[1\] \{"ipv6_prefix":"2600::1::\/64","region":"us-east-1"\}: .*no valid IP address/,
    ],
  ])('%s %s', (cloud, given, message) => {
    const path =
      given === 'TRUNCATED'
        ? file('truncated.json', '{"prefixes": [')
        : given === 'BAD_ENTRY'
          ? file(
              'bad-entry.json',
              JSON.stringify({
                prefixes: [],
                ipv6_prefixes: [
                  { ipv6_prefix: '2600::/16', region: 'us-east-1' },
                  { ipv6_prefix: '2600::1::/64', region: 'us-east-1' },
                ],
              }),
            )
          : given;
    expect(() => loadRangeIndex([{ cloud, file: path }])).toThrow(RangeFileError);
    expect(() => loadRangeIndex([{ cloud, file: path }])).toThrow(message);
  });
});
