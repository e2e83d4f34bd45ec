/**
 * Gradual rollout (issue 14): the share rule (share.ts) and decide's answers for a cloud whose mirrors take a share
 * of its clients (the share measured over real Azure addresses: share-real-azure.test.ts).
 */
import { isIP } from 'node:net';
import fc from 'fast-check';
import { ClientResolver } from '../../lib/redirector/client';
import { decide, settle, UNLISTED_CLIENT, type Client } from '../../lib/redirector/decide';
import { parseRequest } from '../../lib/redirector/route';
import {
  inShare,
  NO_BUCKET,
  partialShareClouds,
  SHARE_BUCKETS,
  shareBucket,
  sharePercent,
} from '../../lib/redirector/share';
import { MirrorShareSchema, type RoutingTable } from '../../lib/topology';
import { referenceMurmur3 } from '../support/murmur3-reference';
import { DIGEST, fixtureIndex, smallTable } from './fixtures';

const RUNS_SCALE = Number(process.env.PROPERTY_RUNS_SCALE ?? 1);
const runs = (count: number) => Math.max(1, Math.round(count * RUNS_SCALE));

describe('shareBucket', () => {
  // MurmurHash3 x86_32 (seed 0) test vectors: bytes 21 43 65 87 -> 0xf55b516b, 00 00 00 00 -> 0x2362f9de; the
  // address words are read as the hash reads little-endian blocks, so 135.101.67.33 is the block 0x87654321.
  it.each([
    ['135.101.67.33', 0xf55b516b % 10_000],
    ['0.0.0.0', 0x2362f9de % 10_000],
    ['::ffff:135.101.67.33', 0xf55b516b % 10_000],
    ['::ffff:8765:4321', 0xf55b516b % 10_000],
    ['0:0:0:0:0:ffff:0:0', 0x2362f9de % 10_000],
  ])('%s -> %d', (address, bucket) => {
    expect(shareBucket(address)).toBe(bucket);
  });

  it('is MurmurHash3 of the address words, modulo 10,000 (against a byte-wise reference)', () => {
    expect(referenceMurmur3([0x21, 0x43, 0x65, 0x87])).toBe(0xf55b516b);
    expect(referenceMurmur3([])).toBe(0);
    expect(referenceMurmur3([0xff, 0xff, 0xff, 0xff])).toBe(0x76293b50);
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (address) => {
        expect(shareBucket(address)).toBe(referenceMurmur3(addressBytes(address)) % 10_000);
      }),
      { numRuns: runs(2000) },
    );
  });

  it.each(['', 'x', '1.2.3', '1.2.3.256', '::ffff:1.2.3', 'fe80::1%eth0', '1.2.3.4 '])(
    '%j is no address: NO_BUCKET, outside every partial share',
    (text) => {
      expect(shareBucket(text)).toBe(NO_BUCKET);
      expect(NO_BUCKET).toBe(10_000);
    },
  );

  it('reads the address between from and to only', () => {
    expect(shareBucket('x, 135.101.67.33, y', 3, 16)).toBe(shareBucket('135.101.67.33'));
    expect(shareBucket('[2001:db8::1]', 1, 12)).toBe(shareBucket('2001:db8::1'));
  });

  it('IPv6 hashes every word: addresses that differ in one word differ in bucket', () => {
    const buckets = ['1::', '0:0:1::', '::1:0:0', '::1'].map((a) => shareBucket(a));
    expect(new Set(buckets).size).toBe(4);
    // Only ::ffff:0:0/96 is IPv4-mapped: other /96 prefixes hash as IPv6.
    expect(shareBucket('::fffe:8765:4321')).not.toBe(shareBucket('135.101.67.33'));
    expect(shareBucket('0:0:0:1:0:ffff:8765:4321')).not.toBe(shareBucket('135.101.67.33'));
    expect(shareBucket('0:1::ffff:8765:4321')).not.toBe(shareBucket('135.101.67.33'));
    expect(shareBucket('1::ffff:8765:4321')).not.toBe(shareBucket('135.101.67.33'));
  });
});

/**
 * The bytes share.ts hashes: the address's 32-bit words (one for IPv4 and IPv4-mapped IPv6, four for IPv6), each
 * laid out as the hash reads a block (least significant byte first).
 */
function addressBytes(address: string): number[] {
  const value = isIPv4(address) ? BigInt(ipv4Number(address)) : ipv6BigInt(address);
  const mapped = !isIPv4(address) && value >> 32n === 0xffffn;
  const words =
    isIPv4(address) || mapped ? [value & 0xffffffffn] : [96n, 64n, 32n, 0n].map((s) => (value >> s) & 0xffffffffn);
  return words.flatMap((w) => [0n, 8n, 16n, 24n].map((s) => Number((w >> s) & 0xffn)));
}

function isIPv4(address: string): boolean {
  return isIP(address) === 4;
}

function ipv4Number(address: string): number {
  return address.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

/** An IPv6 text (with :: and a dotted tail, as fast-check writes them) as a 128-bit number. */
function ipv6BigInt(address: string): bigint {
  let text = address;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v4 = ipv4Number(dotted[1]!);
    text = `${text.slice(0, dotted.index)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const groups = (part: string | undefined) => (part ? part.split(':') : []);
  const all =
    tail === undefined
      ? groups(head)
      : [...groups(head), ...Array<string>(8 - groups(head).length - groups(tail).length).fill('0'), ...groups(tail)];
  return all.reduce((acc, group) => (acc << 16n) | BigInt(parseInt(group, 16)), 0n);
}

describe('inShare', () => {
  it.each([
    [0, 0, false],
    [9999, 0, false],
    [0, 0.01, true],
    [1, 0.01, false],
    [99, 1, true],
    [100, 1, false],
    // 0.07 * 100 is 7.000000000000001 in floating point: the share is rounded to whole buckets first.
    [7, 0.07, false],
    [6, 0.07, true],
    [28, 0.29, true],
    [29, 0.29, false],
    [9998, 99.99, true],
    [9999, 99.99, false],
    [9999, 100, true],
    [NO_BUCKET, 100, true],
    [NO_BUCKET, 99.99, false],
  ])('bucket %d at %d%% -> %s', (bucket, percent, expected) => {
    expect(inShare(bucket, percent)).toBe(expected);
  });
});

describe('properties of the share rule', () => {
  const address = fc.oneof(fc.ipV4(), fc.ipV6());
  const percent = fc.integer({ min: 0, max: 10_000 }).map((hundredths) => hundredths / 100);

  it('deterministic, in 0..9999, and an IPv4-mapped IPv6 address is its IPv4 address', () => {
    fc.assert(
      fc.property(address, fc.ipV4(), (a, v4) => {
        const bucket = shareBucket(a);
        expect(shareBucket(a)).toBe(bucket);
        expect(bucket).toBeGreaterThanOrEqual(0);
        expect(bucket).toBeLessThan(SHARE_BUCKETS);
        expect(shareBucket(`::ffff:${v4}`)).toBe(shareBucket(v4));
      }),
      { numRuns: runs(2000) },
    );
  });

  it('monotone: raising the share only adds clients', () => {
    fc.assert(
      fc.property(address, percent, percent, (a, p, q) => {
        const [low, high] = p <= q ? [p, q] : [q, p];
        const bucket = shareBucket(a);
        if (inShare(bucket, low)) expect(inShare(bucket, high)).toBe(true);
      }),
      { numRuns: runs(2000) },
    );
  });

  it('0% takes no client and 100% takes every client', () => {
    fc.assert(
      fc.property(address, (a) => {
        expect(inShare(shareBucket(a), 0)).toBe(false);
        expect(inShare(shareBucket(a), 100)).toBe(true);
      }),
      { numRuns: runs(2000) },
    );
  });

  it('a share of p% takes exactly p*100 of the 10,000 buckets', () => {
    fc.assert(
      fc.property(percent, (p) => {
        let taken = 0;
        for (let bucket = 0; bucket < SHARE_BUCKETS; bucket++) if (inShare(bucket, p)) taken++;
        expect(taken).toBe(Math.round(p * 100));
      }),
      { numRuns: runs(50) },
    );
  });
});

describe('the table: mirrorShares', () => {
  it.each([
    [0, true],
    [0.01, true],
    [12.34, true],
    [100, true],
    [-0.01, false],
    [100.01, false],
    [12.345, false],
    [0.001, false],
  ])('%d%% is %s', (percent, valid) => {
    expect(MirrorShareSchema.safeParse(percent).success).toBe(valid);
  });

  it('names a bad share in the error', () => {
    expect(MirrorShareSchema.safeParse(1.234).error?.issues[0]?.message).toBe('must have at most two decimals');
  });

  it('sharePercent: the cloud entry, undefined without one', () => {
    const table = { ...smallTable(), mirrorShares: { aws: 10 } };
    expect(sharePercent(table, 'aws')).toBe(10);
    expect(sharePercent(table, 'azure')).toBeUndefined();
    expect(sharePercent(smallTable(), 'aws')).toBeUndefined();
  });

  it('partialShareClouds: only the clouds strictly between 0 and 100 need buckets', () => {
    const table = { ...smallTable(), mirrorShares: { aws: 10, gcp: 100, azure: 0, other: 99.99, tiny: 0.01 } };
    expect([...partialShareClouds(table)].sort()).toEqual(['aws', 'other', 'tiny']);
    expect(partialShareClouds(smallTable()).size).toBe(0);
  });
});

describe('decide with a share', () => {
  const base = smallTable('us-central1');
  const withShare = (aws: number): RoutingTable => ({ ...base, mirrorShares: { aws } });
  const bucket = (region: string) => `https://small-registry-${region}.s3.dualstack.${region}.amazonaws.com`;
  const blobPath = `containers/images/${DIGEST}`;
  const blob = () => parseRequest('GET', `/v2/pause/blobs/${DIGEST}`);
  const manifest = () => parseRequest('GET', '/v2/pause/manifests/3.9');
  const aws = (region: string, clientBucket?: number): Client => ({
    kind: 'located',
    location: { cloud: 'aws', region },
    bucket: clientBucket,
  });

  it.each([
    [
      'in the share -> the mirror',
      aws('eu-west-1', 999),
      withShare(10),
      {
        status: 307,
        label: 'mirror',
        location: `${bucket('eu-west-1')}/${blobPath}`,
        reason: 'mirror of the client region (client in the 10% share of aws clients)',
        inShare: true,
      },
    ],
    [
      'outside the share -> the region default',
      aws('eu-west-1', 1000),
      withShare(10),
      {
        status: 307,
        label: 'default',
        location: `${bucket('us-east-2')}/${blobPath}`,
        reason: 'client outside the 10% share of aws clients sent to mirrors: default backend',
        inShare: false,
      },
    ],
    [
      'at 0%, whatever the bucket -> the default',
      aws('eu-west-1', 0),
      withShare(0),
      { label: 'default', location: `${bucket('us-east-2')}/${blobPath}`, inShare: false },
    ],
    [
      'at 100%, even without a bucket -> the mirror',
      aws('eu-west-1'),
      withShare(100),
      { label: 'mirror', location: `${bucket('eu-west-1')}/${blobPath}`, inShare: true },
    ],
    [
      'a partial share and no bucket -> outside',
      aws('eu-west-1'),
      withShare(99.99),
      { label: 'default', inShare: false },
    ],
    [
      'no share for the cloud -> the mirror, no share applies',
      aws('eu-west-1', 9999),
      base,
      { label: 'mirror', reason: 'mirror of the client region', inShare: undefined },
    ],
    [
      'no mirror for the client region -> the default, no share applies',
      aws('us-gov-west-1', 0),
      withShare(50),
      { label: 'default', reason: 'no mirror for the client region: default backend', inShare: undefined },
    ],
    [
      'the upstream cloud -> the upstream, no share applies',
      { kind: 'located', location: { cloud: 'gcp', region: 'us-central1' }, bucket: 0 } as Client,
      { ...base, mirrorShares: { gcp: 50 } },
      { label: 'upstream', inShare: undefined },
    ],
    ['an unlisted client -> the default', UNLISTED_CLIENT, withShare(50), { label: 'default', inShare: undefined }],
  ])('blob, %s', (_name, client, table, expected) => {
    expect(decide(blob(), client, table)).toMatchObject(expected);
  });

  it('the fallback to the upstream keeps whether the client was in the share', () => {
    expect(settle(decide(blob(), aws('eu-west-1', 5000), withShare(50)), false)).toMatchObject({
      label: 'upstream',
      reason: 'default backend does not have the blob',
      inShare: false,
    });
    expect(settle(decide(blob(), aws('eu-west-1', 10), withShare(50)), false)).toMatchObject({
      label: 'upstream',
      reason: 'mirror backend does not have the blob',
      inShare: true,
    });
    expect(settle(decide(blob(), aws('eu-west-1', 10), base), false).inShare).toBeUndefined();
  });

  it.each([
    ['in the share', aws('eu-west-1', 10), withShare(1), true],
    ['outside the share', aws('eu-west-1', 100), withShare(1), false],
    ['no share for the cloud', aws('eu-west-1', 10), base, undefined],
    ['no mirror for the region', aws('us-gov-west-1', 10), withShare(1), undefined],
    ['an unlisted client', UNLISTED_CLIENT, withShare(1), undefined],
  ])('manifest of a client %s: inShare %s (where its blobs will go)', (_name, client, table, expected) => {
    const decision = decide(manifest(), client, table);
    expect(decision).toMatchObject({ label: 'upstream', status: 307 });
    expect(decision.inShare).toBe(expected);
  });

  it('a cosign signature manifest says it too', () => {
    const table = {
      ...withShare(1),
      signatureUpstream: { endpoint: 'https://sigs.example.com', path: 'sigs/images' },
    };
    const signature = parseRequest('GET', `/v2/pause/manifests/sha256-${'ab'.repeat(32)}.sig`);
    expect(decide(signature, aws('eu-west-1', 10), table)).toMatchObject({
      label: 'signature-upstream',
      inShare: true,
    });
    expect(decide(signature, aws('eu-west-1', 100), table).inShare).toBe(false);
  });
});

describe('the client resolver gives buckets to the clients of partial shares only', () => {
  const index = fixtureIndex();
  const aws = index.locations.find((l) => l.cloud === 'aws' && l.region === 'eu-west-1')!;
  // An address of that location in the fixture ranges, and the same client behind the load balancer.
  const address = '18.200.0.10';

  it('a cloud with a partial share: the address bucket, by the X-Forwarded-For entry or the socket', () => {
    const resolver = new ClientResolver(index, 1, new Set(['aws']));
    expect(resolver.resolve(`${address}, 34.1.1.1`, '10.0.0.1')).toEqual({
      kind: 'located',
      location: aws,
      bucket: shareBucket(address),
    });
    expect(resolver.resolve(undefined, address)).toEqual({
      kind: 'located',
      location: aws,
      bucket: shareBucket(address),
    });
  });

  it('other clouds: the shared Client value, no bucket', () => {
    const resolver = new ClientResolver(index, 1, new Set(['azure']));
    const first = resolver.resolve(`${address}, 34.1.1.1`, undefined);
    expect(first).toEqual({ kind: 'located', location: aws });
    expect(resolver.resolve(`${address}, 34.1.1.1`, undefined)).toBe(first);
    expect(new ClientResolver(index, 1).resolve(undefined, address)).toEqual({ kind: 'located', location: aws });
  });
});
