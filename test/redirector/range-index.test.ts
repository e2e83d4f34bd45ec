import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCidr, RangeFileError } from '../../lib/clouds/ranges';
import { loadRangeIndex } from '../../lib/redirector/load-ranges';
import { INVALID_IP, NO_MATCH, type RangeIndex } from '../../lib/redirector/range-index';
import { flattenPrefixes } from '../../lib/redirector/range-tables';
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

const REAL = process.env.IP_RANGES_DIR ?? join(__dirname, '../../../shared/data/ip-ranges');
const realFiles = { aws: join(REAL, 'aws-ip-ranges.json'), gcp: join(REAL, 'google-cloud-ip-ranges.json') };
const haveReal = Object.values(realFiles).every((f) => existsSync(f));
if (!haveReal) {
  console.warn(`skipping the real-range comparison: ${REAL} is absent (set IP_RANGES_DIR to run it)`);
}

(haveReal ? describe : describe.skip)('RangeIndex on the real AWS + GCP files (from ../shared/data/ip-ranges)', () => {
  it('agrees with a brute-force longest-prefix match on seeded random IPv4 addresses', () => {
    const index = loadRangeIndex(Object.entries(realFiles).map(([cloud, file]) => ({ cloud, file })));
    const aws = JSON.parse(readFileSync(realFiles.aws, 'utf8')) as {
      prefixes: { ip_prefix: string; region: string }[];
    };
    const gcp = JSON.parse(readFileSync(realFiles.gcp, 'utf8')) as {
      prefixes: { ipv4Prefix?: string; scope: string }[];
    };
    const all = [
      ...aws.prefixes.map((e) => ({ cloud: 'aws', region: e.region, ...parseCidr(e.ip_prefix) })),
      ...gcp.prefixes
        .filter((e) => e.ipv4Prefix)
        .map((e) => ({ cloud: 'gcp', region: e.scope, ...parseCidr(e.ipv4Prefix!) })),
    ].map((r) => ({ ...r, first: Number(r.start), last: Number(r.start) + 2 ** (32 - r.prefixLength) - 1 }));
    let seed = 42;
    const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    let matched = 0;
    const mismatches: string[] = [];
    for (let n = 0; n < 400; n++) {
      // Half the samples inside a published prefix (to hit nesting), half anywhere.
      const inside = all[random() % all.length]!;
      const ip = n % 2 === 0 ? inside.first + (random() % (inside.last - inside.first + 1)) : random();
      let best: (typeof all)[number] | undefined;
      for (const r of all)
        if (ip >= r.first && ip <= r.last && (!best || r.prefixLength >= best.prefixLength)) best = r;
      const text = [ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255].join('.');
      const got = locationOf(index, text);
      if (best) matched++;
      const want = best ? `${best.cloud} ${best.region}` : 'none';
      const have = got ? `${got.cloud} ${got.region}` : 'none';
      if (want !== have) mismatches.push(`${text}: index says ${have}, brute force says ${want}`);
    }
    expect(mismatches).toEqual([]);
    expect(matched).toBeGreaterThan(200);
  });

  it('routes an AWS regional prefix nested in a GLOBAL one to its region (production defect)', () => {
    const aws = JSON.parse(readFileSync(realFiles.aws, 'utf8')) as {
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
    const real = loadRangeIndex([{ cloud: 'aws', file: realFiles.aws }]);
    expect(locationOf(real, nested!.ip_prefix.split('/')[0]!)).toEqual({ cloud: 'aws', region: nested!.region });
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
