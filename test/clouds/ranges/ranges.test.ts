import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAwsRanges } from '../../../lib/clouds/aws/ip-ranges';
import { parseAzureRanges } from '../../../lib/clouds/azure/ip-ranges';
import { DONORS, donorById } from '../../../lib/clouds/donors';
import { parseGcpRanges } from '../../../lib/clouds/gcp/ip-ranges';
import { NOT_AN_IP, parseCidr, parseIpInto, RangeFileError, type IpRange } from '../../../lib/clouds/ranges';

const FIXTURES = join(__dirname, '../../fixtures/ip-ranges');
const fixture = (name: string): unknown => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8'));

function words(text: string): { family: number; words: number[] } {
  const out = new Uint32Array(4);
  const family = parseIpInto(text, out, true);
  return { family, words: family === 4 ? [out[0]!] : family === 6 ? [...out] : [] };
}

describe('parseIpInto', () => {
  it.each([
    ['0.0.0.0', 4, [0]],
    ['255.255.255.255', 4, [0xffffffff]],
    ['3.5.140.9', 4, [0x03058c09]],
    ['::', 6, [0, 0, 0, 0]],
    ['::1', 6, [0, 0, 0, 1]],
    ['2600:1f16::1', 6, [0x26001f16, 0, 0, 1]],
    ['2600:1F16:0:0:0:0:0:1', 6, [0x26001f16, 0, 0, 1]],
    ['1:2:3:4:5:6:7:8', 6, [0x10002, 0x30004, 0x50006, 0x70008]],
    ['1::8', 6, [0x10000, 0, 0, 8]],
    ['1:2:3:4:5:6::', 6, [0x10002, 0x30004, 0x50006, 0]],
    ['64:ff9b::1.2.3.4', 6, [0x0064ff9b, 0, 0, 0x01020304]],
    // IPv4-mapped IPv6 is unmapped (production never matched these against IPv4 ranges).
    ['::ffff:3.5.140.9', 4, [0x03058c09]],
    ['::ffff:305:8c09', 4, [0x03058c09]],
    ['0:0:0:0:0:ffff:3.5.140.9', 4, [0x03058c09]],
    // Octets and groups of every length, in every position (each is read as a unit, its digits counted).
    ['9.10.100.255', 4, [0x090a64ff]],
    ['100.10.9.0', 4, [0x640a0900]],
    ['a:bc:def:1234:F:EF:ABC:abcd', 6, [0x000a00bc, 0x0def1234, 0x000f00ef, 0x0abcabcd]],
    ['1:2:3:4:5:6:7::', 6, [0x10002, 0x30004, 0x50006, 0x70000]],
    ['::2:3:4:5:6:7:8', 6, [0x2, 0x30004, 0x50006, 0x70008]],
  ])('%s', (text, family, expected) => {
    expect(words(text)).toEqual({ family, words: expected });
  });

  it.each([
    '',
    '1.2.3',
    '1.2.3.4.5',
    '1.2.3.256',
    '01.2.3.4',
    '1.2.3.4.',
    '.1.2.3',
    '1..2.3',
    ' 1.2.3.4',
    '1.2.3.4 ',
    '1.2.3.-4',
    'a.b.c.d',
    ':::',
    '1:2:3:4:5:6:7:8:9',
    '1::2::3',
    '12345::1',
    ':1',
    '1:',
    'fe80::1%eth0',
    '::ffff:1.2.3',
    '1:2:3:4:5:6:7:1.2.3.4',
    'g::1',
    '[::1]',
    '1.2.3.4:80',
    'x'.repeat(100),
    ':',
    '1::\u00e9',
    '1:2:3:4:5:6:7:8:9:0',
    '1::2:3:',
    '::1:',
    '1.2.3.04',
    '1.2.3.1234',
    '1234.1.2.3',
    '1.2.3.4\n',
    '1:2:3:4:5:6:7:8::',
    '::1:2:3:4:5:6:7:8',
    '1:2:3:4:5:6:7:8:',
    '1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:8.1.2.3',
    '1::2:1.2.3',
    'ffff:1.2.3.4',
    '2600:1f16:ffff:0:0:0:0:1:',
  ])('refuses %j', (text) => {
    expect(parseIpInto(text, new Uint32Array(4), true)).toBe(NOT_AN_IP);
  });
});

describe('parseCidr', () => {
  it.each([
    ['10.1.2.3/8', 4, [0x0a000000], 8],
    ['3.5.140.0/22', 4, [0x03058c00], 22],
    ['0.0.0.0/0', 4, [0], 0],
    ['1.2.3.4/32', 4, [0x01020304], 32],
    ['2600:1f16:ffff::/36', 6, [0x26001f16, 0xf0000000, 0, 0], 36],
    ['2600:1f16:ffff::/32', 6, [0x26001f16, 0, 0, 0], 32],
    ['2600:1f16:ffff::/40', 6, [0x26001f16, 0xff000000, 0, 0], 40],
    ['::1/128', 6, [0, 0, 0, 1], 128],
  ])('%s (host bits cleared)', (text, family, words, length) => {
    const start = family === 4 ? words[0] : words.reduce((value, word) => (value << 32n) | BigInt(word), 0n);
    expect(parseCidr(text)).toEqual({ family, start, prefixLength: length });
  });

  it.each([
    ['1.2.3.4', /not a CIDR prefix/],
    ['1.2.3.4/33', /longer than 32/],
    ['::/129', /longer than 128/],
    ['1.2.3.4/x', /no valid prefix length/],
    ['1.2.3/8', /no valid IP address/],
    [42, /prefix must be a string/],
  ])('refuses %j', (text, message) => {
    expect(() => parseCidr(text as string)).toThrow(message);
  });
});

const summary = (ranges: IpRange[]) => ranges.map((r) => `${r.family}:${r.region}/${r.prefixLength}`);

describe('donor parsers on the fixtures', () => {
  it.each([
    [
      'AWS: IPv4 and IPv6 prefixes with their region (GLOBAL kept; one prefix listed per service)',
      parseAwsRanges,
      'aws.json',
      [
        '4:GLOBAL/9',
        '4:us-east-2/22',
        '4:us-east-2/22',
        '4:eu-west-2/24',
        '4:us-gov-west-1/16',
        '4:eu-west-1/16',
        '4:ap-south-1/22',
        '6:GLOBAL/24',
        '6:us-east-2/36',
        '6:eu-west-1/36',
      ],
    ],
    [
      'GCP: ipv4Prefix or ipv6Prefix, region from scope',
      parseGcpRanges,
      'gcp.json',
      ['4:us-central1/20', '4:global/17', '4:europe-west1/19', '6:us-central1/44'],
    ],
    ['Azure: only the AzureCloud.<region> tags', parseAzureRanges, 'azure.json', ['4:eastus/17', '6:eastus/47']],
  ])('%s', (_name, parse, file, expected) => {
    expect(summary(parse(fixture(file), file))).toEqual(expected);
  });

  it('Azure: a tag without a name is skipped like any other tag', () => {
    expect(
      summary(parseAzureRanges({ values: [{ properties: { addressPrefixes: ['1.0.0.0/8'] } }] }, 'a.json')),
    ).toEqual([]);
  });
});

describe('malformed files name the file and the entry (index and value)', () => {
  it.each([
    [parseAwsRanges, [], /aws\.json: the file must hold a JSON object/],
    [parseAwsRanges, { prefixes: [] }, /aws\.json: "ipv6_prefixes" must be an array/],
    [
      parseAwsRanges,
      {
        prefixes: [
          { ip_prefix: '1.0.0.0/8', region: 'x' },
          { ip_prefix: '1.2.3.4/40', region: 'us-east-1' },
        ],
        ipv6_prefixes: [],
      },
      /aws\.json: prefixes\[1\] \{"ip_prefix":"1\.2\.3\.4\/40","region":"us-east-1"\}: .*longer than 32/,
    ],
    [
      parseAwsRanges,
      { prefixes: [], ipv6_prefixes: [{ ipv6_prefix: '2600::/24' }] },
      /aws\.json: ipv6_prefixes\[0\] .*region must be a non-empty string/,
    ],
    [
      parseGcpRanges,
      { prefixes: [{ scope: 'us-central1' }] },
      /aws\.json: prefixes\[0\] .*neither ipv4Prefix nor ipv6Prefix/,
    ],
    [parseGcpRanges, { prefixes: [{ ipv4Prefix: 'nope', scope: 'x' }] }, /prefixes\[0\] .*"nope" is not a CIDR prefix/],
    [
      parseAzureRanges,
      { values: [{ name: 'AzureCloud.eastus', properties: { addressPrefixes: ['1.2.3.0/24', 'bad/1'] } }] },
      /values\[0\]\.properties\.addressPrefixes\[1\] "bad\/1"/,
    ],
    [
      parseAzureRanges,
      { values: [{ name: 'AzureCloud.eastus', properties: {} }] },
      /values\[0\] .*addressPrefixes must be an array/,
    ],
    [parseAwsRanges, { prefixes: [null], ipv6_prefixes: [] }, /aws\.json: prefixes\[0\] null: region must be/],
    [
      parseAwsRanges,
      { prefixes: [{ ip_prefix: `1.2.3.4/40${' '.repeat(300)}`, region: 'r' }], ipv6_prefixes: [] },
      /aws\.json: prefixes\[0\] \{"ip_prefix":"1\.2\.3\.4\/40 {176}\.\.\.: /,
    ],
    [
      parseAzureRanges,
      { values: [{ name: 'AzureCloud.eastus', properties: { addressPrefixes: [undefined] } }] },
      /values\[0\]\.properties\.addressPrefixes\[0\] undefined: .*prefix must be a string/,
    ],
  ])('%#', (parse, json, message) => {
    const attempt = () => parse(json, 'aws.json');
    expect(attempt).toThrow(RangeFileError);
    expect(attempt).toThrow(message);
  });
});

describe('donor registry', () => {
  it('has one entry per cloud id, each with a parser and a download', () => {
    expect(DONORS.map((d) => d.id)).toEqual(['aws', 'gcp', 'azure']);
    expect(new Set(DONORS.map((d) => d.fileName)).size).toBe(DONORS.length);
    for (const donor of DONORS) expect(donor.download.url).toMatch(/^https:\/\//);
  });

  it('names the known clouds for an unknown id', () => {
    expect(donorById('gcp').parseRanges).toBe(parseGcpRanges);
    expect(() => donorById('oracle')).toThrow('unknown cloud "oracle" (known: aws, gcp, azure)');
  });
});
