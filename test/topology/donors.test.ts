/**
 * The topology's donor sections (lib/clouds/<id>/section.ts through the registry): `enabled` and `trafficShare`
 * in every section, the rules that span donors, and what the views take from the enabled donors only.
 */
import { join } from 'node:path';
import { DONORS } from '../../lib/clouds/donors';
import {
  parseTopology,
  readTopologyFile,
  replicationJobs,
  routingTableFor,
  TopologyError,
  topologySchema,
  type Topology,
} from '../../lib/topology';
import { under } from '../../lib/topology/rule-helpers';

const SMALL = join(__dirname, '..', 'fixtures', 'topology-small.yaml');
const AZURE_EXAMPLE = join(__dirname, '..', '..', 'examples', 'azure.yaml');
const small = readTopologyFile(SMALL);

/** The small topology's raw form with its sections changed, as problems (`path: message`). */
function problemsWith(change: (t: Record<string, Record<string, unknown>>) => void): string[] {
  const raw = structuredClone(small) as unknown as Record<string, Record<string, unknown>>;
  change(raw);
  try {
    parseTopology(raw, 'test');
    return [];
  } catch (err) {
    if (err instanceof TopologyError) return err.problems.map((p) => `${p.path}: ${p.message}`);
    throw err;
  }
}

describe('every donor section', () => {
  it('defaults aws and gcp to on, at 100%', () => {
    expect([small.aws.enabled, small.aws.trafficShare, small.gcp.enabled, small.gcp.trafficShare]).toEqual([
      true,
      100,
      true,
      100,
    ]);
  });

  it.each<[string, (t: Record<string, Record<string, unknown>>) => void, string[]]>([
    [
      'a share with three decimals',
      (t) => (t.aws!.trafficShare = 12.345),
      ['aws.trafficShare: must have at most two decimals (got 12.345)'],
    ],
    [
      'a negative share',
      (t) => (t.aws!.trafficShare = -1),
      ['aws.trafficShare: Too small: expected number to be >=0 (got -1)'],
    ],
    [
      'Google Cloud switched off: it hosts the registry',
      (t) => (t.gcp!.enabled = false),
      ['gcp.enabled: cannot be false: Google Cloud hosts the upstream registry, the redirector and the replication'],
    ],
    [
      'AWS switched off while the default backends are its',
      (t) => (t.aws!.enabled = false),
      [
        'gcp.redirector.regions.us-central1.defaultBlobBackend: names an AWS backend ("us-east-2") but aws.enabled is false',
        'gcp.redirector.regions.europe-west1.defaultBlobBackend: names an AWS backend ("cdn") but aws.enabled is false',
      ],
    ],
  ])('is validated: %s', (_name, change, expected) => {
    expect(problemsWith(change)).toEqual(expected);
  });

  it('puts a donor rule about its whole section at the section itself', () => {
    expect(
      under('azure', [
        { path: '', message: 'm' },
        { path: 'regions[0]', message: 'n' },
      ]),
    ).toEqual([
      { path: 'azure', message: 'm' },
      { path: 'azure.regions[0]', message: 'n' },
    ]);
  });

  it('exists only for donors that have one (a donor may only classify its clients)', () => {
    const rangesOnly = { ...DONORS[0], id: 'ranges-only', topology: undefined };
    expect(Object.keys(topologySchema([rangesOnly]).shape)).not.toContain('ranges-only');
    expect(Object.keys(topologySchema(DONORS).shape)).toEqual(expect.arrayContaining(DONORS.map((donor) => donor.id)));
  });
});

describe('the views take the enabled donors only', () => {
  const azure = readTopologyFile(AZURE_EXAMPLE);
  const switched = (share: number, enabled = true): Topology =>
    ({
      ...azure,
      azure: { ...((azure as Record<string, unknown>).azure as object), enabled, trafficShare: share },
    }) as Topology;

  it.each<[string, Topology, string[], Record<string, number> | undefined]>([
    ['all at 100%: no shares, the tables as before donors', small, ['aws'], undefined],
    ['a donor in a gradual rollout', switched(10), ['aws', 'azure'], { azure: 10 }],
    ['a dark donor: its mirrors listed, at 0%', switched(0), ['aws', 'azure'], { azure: 0 }],
    ['a switched-off donor: nothing of it', switched(10, false), ['aws'], undefined],
  ])('%s', (_name, topology, mirrored, shares) => {
    const table = routingTableFor(topology, 'us-central1');
    expect(Object.keys(table.mirrors)).toEqual(mirrored);
    expect(table.mirrorShares).toEqual(shares);
  });

  it('AWS at 50%: its share in every table', () => {
    const half = { ...small, aws: { ...small.aws, trafficShare: 50 } };
    expect(routingTableFor(half, 'europe-west1').mirrorShares).toEqual({ aws: 50 });
  });

  it('a donor without mirrors has no share, whatever its section says (Google Cloud hosts the upstream)', () => {
    const gcpAtHalf = { ...small, gcp: { ...small.gcp, trafficShare: 50 } };
    expect(routingTableFor(gcpAtHalf, 'europe-west1').mirrorShares).toBeUndefined();
  });

  it('replication jobs only into enabled donors', () => {
    expect(replicationJobs(switched(10)).map((j) => j.donor)).toContain('azure');
    expect(replicationJobs(switched(10, false)).map((j) => j.donor)).not.toContain('azure');
  });
});
