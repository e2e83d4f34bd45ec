/**
 * The index file npm run build:redirector writes: read back, it answers exactly as the donors' plain files do (on the
 * fixtures and on real addresses from every real file, checked against a brute-force longest-prefix match), and a
 * file that is not a whole index of this format version is refused with an error naming it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RangeFileError } from '../../lib/clouds/ranges';
import { ConfigError, parseRangeSources } from '../../lib/redirector/config';
import { IMAGE_FILES } from '../../lib/redirector/image-files';
import { loadRangeIndex, readCloudRanges, withBundledRangeIndex } from '../../lib/redirector/load-ranges';
import { NO_MATCH, RangeIndex, type CloudRanges } from '../../lib/redirector/range-index';
import {
  decodeRangeIndex,
  encodeRangeIndex,
  FORMAT_VERSION,
  type IndexSource,
} from '../../lib/redirector/range-index-file';
import {
  addressesIn,
  boundsOf,
  HAVE_REAL_RANGES,
  LongestPrefixOracle,
  REAL_RANGE_SOURCES,
  REAL_RANGES_DIR,
  type Sample,
} from '../support/real-ranges';
import { RANGE_SOURCES } from './fixtures';

const SOURCES: IndexSource[] = [{ cloud: 'aws', file: 'aws.json', sha256: 'ab'.repeat(32) }];

function indexFileOf(clouds: readonly CloudRanges[]): RangeIndex {
  return new RangeIndex(decodeRangeIndex(encodeRangeIndex(new RangeIndex(clouds).tables, SOURCES), 'test.bin').tables);
}

/** Where the index puts each sample, against where the oracle does; returns the disagreements. */
function disagreements(index: RangeIndex, oracle: LongestPrefixOracle, samples: readonly Sample[]): string[] {
  const wrong: string[] = [];
  for (const sample of samples) {
    const id = index.lookup(sample.text);
    const got = id === NO_MATCH ? undefined : index.locations[id];
    const want = oracle.locate(sample);
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      wrong.push(`${sample.text}: index ${JSON.stringify(got)}, brute force ${JSON.stringify(want)}`);
    }
  }
  return wrong;
}

describe('an index file read back answers as the plain files', () => {
  it('on the fixtures: every prefix bound and neighbour, and seeded addresses inside the prefixes', () => {
    const clouds = RANGE_SOURCES.map(readCloudRanges);
    const ranges = clouds.flatMap((c) => c.ranges);
    const samples = [...boundsOf(ranges), ...addressesIn(ranges, 2000, 1)];
    expect(disagreements(indexFileOf(clouds), new LongestPrefixOracle(clouds), samples)).toEqual([]);
  });

  it('keeps the locations, the interval count and the sources', () => {
    const clouds = RANGE_SOURCES.map(readCloudRanges);
    const built = new RangeIndex(clouds);
    const read = decodeRangeIndex(encodeRangeIndex(built.tables, SOURCES), 'test.bin');
    expect(read.tables.locations).toEqual(built.locations);
    expect(read.tables.intervals).toBe(built.intervalCount);
    expect(read.sources).toEqual(SOURCES);
  });

  it('reads a copy that does not start on a 4-byte boundary', () => {
    const bytes = encodeRangeIndex(new RangeIndex(RANGE_SOURCES.map(readCloudRanges)).tables, SOURCES);
    const shifted = Buffer.concat([Buffer.from([0]), bytes]).subarray(1);
    expect(shifted.byteOffset % 4).not.toBe(0);
    const index = new RangeIndex(decodeRangeIndex(shifted, 'shifted.bin').tables);
    expect(index.locations[index.lookup('3.5.140.9')]).toEqual({ cloud: 'aws', region: 'us-east-2' });
  });
});

if (!HAVE_REAL_RANGES) {
  console.warn(`skipping the real-file comparison: ${REAL_RANGES_DIR} is absent (set IP_RANGES_DIR to run it)`);
}

(HAVE_REAL_RANGES ? describe : describe.skip)('on the real AWS + GCP + Azure files', () => {
  const clouds = REAL_RANGE_SOURCES.map(readCloudRanges);
  const ranges = clouds.flatMap((c) => c.ranges);
  const oracle = new LongestPrefixOracle(clouds);
  const index = indexFileOf(clouds);

  it('every prefix bound and neighbour, IPv4 and IPv6, lands where brute force says', () => {
    expect(disagreements(index, oracle, boundsOf(ranges))).toEqual([]);
  });

  it('20,000 seeded addresses inside the published prefixes land where brute force says', () => {
    expect(disagreements(index, oracle, addressesIn(ranges, 20_000, 2))).toEqual([]);
  });
});

describe('a file that is not a whole index of this version is refused, naming it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'range-index-file-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const good = encodeRangeIndex(new RangeIndex(RANGE_SOURCES.map(readCloudRanges)).tables, SOURCES);
  const changed = (change: (bytes: Buffer) => void) => {
    const copy = Buffer.from(good);
    change(copy);
    return copy;
  };

  it.each([
    ['shorter than the header', good.subarray(0, 40), /bad\.bin: truncated: 40 bytes, shorter than the 60-byte header/],
    ['cut short', good.subarray(0, good.length - 4), /bad\.bin: truncated or padded: \d+ bytes, the header announces/],
    ['padded', Buffer.concat([good, Buffer.alloc(4)]), /bad\.bin: truncated or padded/],
    ['a published file', Buffer.from(`{"prefixes":[${' '.repeat(100)}]}`), /bad\.bin: not a range index/],
    [
      'another format version',
      changed((b) => b.writeUInt32LE(FORMAT_VERSION + 1, 8)),
      new RegExp(`bad\\.bin: format version ${FORMAT_VERSION + 1}, this redirector reads version ${FORMAT_VERSION}`),
    ],
    [
      'the other byte order',
      changed((b) => b.writeUInt32BE(0x01020304, 12)),
      /bad\.bin: written with the other byte order/,
    ],
    ['one flipped bit', changed((b) => void (b[b.length - 100]! ^= 1)), /bad\.bin: checksum mismatch/],
    ['a changed section size', changed((b) => b.writeUInt32LE(7, 24)), /bad\.bin: checksum mismatch/],
    ['a changed checksum', changed((b) => void (b[20]! ^= 1)), /bad\.bin: checksum mismatch/],
    [
      'a file of version 1 (a SHA-256 where the checksum now is)',
      changed((b) => b.writeUInt32LE(1, 8)),
      /bad\.bin: format version 1, this redirector reads version 2: rebuild it with npm run build:redirector/,
    ],
  ])('%s', (_name, bytes, message) => {
    const file = join(dir, 'bad.bin');
    writeFileSync(file, bytes);
    expect(() => loadRangeIndex([{ cloud: 'index', file }])).toThrow(RangeFileError);
    expect(() => loadRangeIndex([{ cloud: 'index', file }])).toThrow(message);
  });

  it('a missing file', () => {
    expect(() => loadRangeIndex([{ cloud: 'index', file: join(dir, 'missing.bin') }])).toThrow(
      /invalid IP-range file .*missing\.bin: cannot read/,
    );
  });
});

describe('withBundledRangeIndex: the bundle loads the index beside it unless IP_RANGES names files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bundle-dir-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('IP_RANGES wins', () => {
    writeFileSync(join(dir, IMAGE_FILES.rangeIndex), '');
    expect(withBundledRangeIndex({ IP_RANGES: 'aws=a.json' }, dir)).toEqual({ IP_RANGES: 'aws=a.json' });
  });

  it('else the index beside the bundle', () => {
    writeFileSync(join(dir, IMAGE_FILES.rangeIndex), '');
    expect(withBundledRangeIndex({ PORT: '1' }, dir)).toEqual({
      PORT: '1',
      IP_RANGES: `index=${join(dir, IMAGE_FILES.rangeIndex)}`,
    });
  });

  it('else nothing (and the configuration says IP_RANGES is not set)', () => {
    const empty = mkdtempSync(join(dir, 'empty-'));
    expect(withBundledRangeIndex({ IP_RANGES: '' }, empty)).toEqual({ IP_RANGES: '' });
  });
});

describe('IP_RANGES names an index file as index=FILE, alone', () => {
  it('is read as the index', () => {
    expect(parseRangeSources('index=/app/ip-ranges.bin', 'IP_RANGES')).toEqual([
      { cloud: 'index', file: '/app/ip-ranges.bin' },
    ]);
  });

  it('with another file it is refused: the index holds every donor', () => {
    const attempt = () => parseRangeSources('aws=a.json,index=/app/ip-ranges.bin', 'IP_RANGES');
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow("IP_RANGES: index=FILE stands alone: the index holds every donor's ranges");
  });
});
