/**
 * The topology rules and views that the table of invalid topologies (topology.test.ts) does not reach: each
 * rule's other outcomes, how a problem shows what it got, and the blob layout's keys. Part of the coverage gate.
 */
import {
  DEFAULT_TOPOLOGY,
  parseTopology,
  routingTableFor,
  TopologyError,
  type TopologyInput,
} from '../../lib/topology';
import { blobKey, markerKey } from '../../lib/topology/blob-layout';

const DIGEST = `sha256:${'ab'.repeat(32)}`;
const LONG_REGION_AT = DEFAULT_TOPOLOGY.aws.mirrorRegions.indexOf('ap-northeast-1');

function problemsOf(change: (t: TopologyInput) => void): string[] {
  const raw = structuredClone(DEFAULT_TOPOLOGY);
  change(raw);
  try {
    parseTopology(raw, 'test');
  } catch (err) {
    if (err instanceof TopologyError) return err.problems.map((p) => `${p.path}: ${p.message}`);
    throw err;
  }
  return [];
}

describe('topology rules, each outcome', () => {
  it.each<[string, (t: TopologyInput) => void, string[]]>([
    [
      'a bucket name longer than S3 allows',
      // 50 + 14 characters for ap-northeast-1, 60 for af-south-1.
      (t) => (t.aws.bucketPrefix = `${'b'.repeat(49)}-`),
      expect.arrayContaining([
        `aws.mirrorRegions[${LONG_REGION_AT}]: bucket name "${'b'.repeat(49)}-ap-northeast-1" is longer than 63 characters`,
      ]) as unknown as string[],
    ],
    [
      'the same CDN origin twice',
      (t) => (t.aws.cdn.failoverRegion = t.aws.cdn.primaryRegion),
      ['aws.cdn.failoverRegion: must differ from aws.cdn.primaryRegion'],
    ],
    [
      'a CDN certificate without a domain name',
      (t) => {
        t.aws.cdn.certificateArn = 'arn:aws:acm:us-east-1:123456789012:certificate/abc';
        delete t.aws.cdn.domainName;
      },
      ['aws.cdn.certificateArn: is set but aws.cdn.domainName is not'],
    ],
    [
      'no redirector region',
      (t) => (t.gcp.redirector.regions = {}),
      ['gcp.redirector.regions: needs at least one region'],
    ],
    [
      'a null where a value is expected: shown as given',
      (t) => ((t as Record<string, unknown>).infoUrl = null),
      ['infoUrl: must be an http(s) URL (got null)'],
    ],
    [
      'an object where a value is expected: not shown',
      (t) => ((t as Record<string, unknown>).infoUrl = { url: 'https://example.com' }),
      ['infoUrl: must be an http(s) URL'],
    ],
  ])('%s', (_name, change, expected) => {
    expect(problemsOf(change)).toEqual(expected);
  });
});

describe('routing table views', () => {
  it('carries the signature upstream when the topology has one, and none otherwise', () => {
    const region = Object.keys(DEFAULT_TOPOLOGY.gcp.redirector.regions)[0]!;
    const withSignatures = structuredClone(DEFAULT_TOPOLOGY);
    withSignatures.gcp.redirector.signatureUpstream = { endpoint: 'https://sigs.example.com', path: 'sigs/images' };
    expect(routingTableFor(parseTopology(withSignatures, 'test'), region).signatureUpstream).toEqual({
      endpoint: 'https://sigs.example.com',
      path: 'sigs/images',
    });
    const without = structuredClone(DEFAULT_TOPOLOGY);
    delete without.gcp.redirector.signatureUpstream;
    expect(routingTableFor(parseTopology(without, 'test'), region)).not.toHaveProperty('signatureUpstream');
  });
});

describe('blob layout', () => {
  it('keeps blobs and markers under their fixed prefixes (GCR layout)', () => {
    expect(blobKey(DIGEST)).toBe(`containers/images/${DIGEST}`);
    expect(markerKey(DIGEST)).toBe(`geranos/uploaded-images/${DIGEST}`);
  });
});
