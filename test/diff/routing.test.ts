/** Routing impact: which clients of which Cloud Run region change blob backend, from tables as synthesized. */
import { routingImpact, routingTablesOf, shareSlices } from '../../lib/diff/routing';
import type { RoutingTable } from '../../lib/topology';

const bucket = (region: string) => `https://mirror-${region}.s3.dualstack.${region}.amazonaws.com`;

function table(region: string, change: Partial<RoutingTable> = {}): RoutingTable {
  return {
    region,
    infoUrl: 'https://example.com',
    privacyUrl: 'https://example.com/privacy',
    upstream: { endpoint: `https://${region}-docker.pkg.dev`, path: 'artifacts/images' },
    defaultBlobBaseUrl: 'https://cdn.example.com',
    upstreamClouds: ['gcp'],
    mirrors: {
      aws: { 'us-east-2': bucket('us-east-2'), 'eu-west-1': bucket('eu-west-1'), 'eu-west-2': bucket('eu-west-1') },
    },
    ...change,
  };
}
const tables = (...list: RoutingTable[]) => new Map(list.map((t) => [t.region, t]));
const DEFAULT = 'https://cdn.example.com';
const AZURE_WEU = 'https://k8sregistryweu.blob.core.windows.net/images';
/** us-central1 with an Azure mirror at a share (undefined: no share set, i.e. 100). */
const withAzure = (share: number | undefined, mirror = AZURE_WEU) =>
  table('us-central1', {
    mirrors: { ...table('x').mirrors, azure: { westeurope: mirror } },
    ...(share === undefined ? {} : { mirrorShares: { azure: share } }),
  });

describe('routingImpact', () => {
  it.each<[string, RoutingTable[], RoutingTable[], ReturnType<typeof routingImpact>]>([
    ['nothing moves', [table('us-central1')], [table('us-central1')], []],
    [
      'a new mirror region takes its clients off the default backend',
      [table('us-central1')],
      [
        table('us-central1', {
          mirrors: { aws: { ...table('x').mirrors.aws, 'us-west-2': bucket('us-west-2') } },
        }),
      ],
      [{ region: 'us-central1', client: 'aws:us-west-2', from: 'https://cdn.example.com', to: bucket('us-west-2') }],
    ],
    [
      "a region's default backend changes for everyone outside the donors",
      [table('us-central1'), table('europe-west1')],
      [table('us-central1', { defaultBlobBaseUrl: bucket('us-east-2') }), table('europe-west1')],
      [{ region: 'us-central1', client: 'other', from: 'https://cdn.example.com', to: bucket('us-east-2') }],
    ],
    [
      'an alias pointed at another mirror',
      [table('us-central1')],
      [table('us-central1', { mirrors: { aws: { ...table('x').mirrors.aws, 'eu-west-2': bucket('us-east-2') } } })],
      [{ region: 'us-central1', client: 'aws:eu-west-2', from: bucket('eu-west-1'), to: bucket('us-east-2') }],
    ],
    [
      'a Cloud Run region removed: every client of it loses its redirector',
      [table('us-central1'), table('europe-west1')],
      [table('us-central1')],
      [
        { region: 'europe-west1', client: 'aws:eu-west-1', from: bucket('eu-west-1'), to: null },
        { region: 'europe-west1', client: 'aws:eu-west-2', from: bucket('eu-west-1'), to: null },
        { region: 'europe-west1', client: 'aws:us-east-2', from: bucket('us-east-2'), to: null },
        {
          region: 'europe-west1',
          client: 'gcp',
          from: 'https://europe-west1-docker.pkg.dev/v2/artifacts/images',
          to: null,
        },
        { region: 'europe-west1', client: 'other', from: 'https://cdn.example.com', to: null },
      ],
    ],
    [
      "an upstream cloud's clients follow the upstream",
      [table('us-central1')],
      [table('us-central1', { upstream: { endpoint: 'https://us-docker.pkg.dev', path: 'artifacts/images' } })],
      [
        {
          region: 'us-central1',
          client: 'gcp',
          from: 'https://us-central1-docker.pkg.dev/v2/artifacts/images',
          to: 'https://us-docker.pkg.dev/v2/artifacts/images',
        },
      ],
    ],
    [
      "a donor's share raised: only the clients between the two shares move, to the mirrors",
      [withAzure(10)],
      [withAzure(50)],
      [{ region: 'us-central1', client: 'azure:westeurope (10-50% of its clients)', from: DEFAULT, to: AZURE_WEU }],
    ],
    [
      'a donor taken out of rotation: its share set to 0 sends every client of it back to the default',
      [withAzure(1)],
      [withAzure(0)],
      [{ region: 'us-central1', client: 'azure:westeurope (0-1% of its clients)', from: AZURE_WEU, to: DEFAULT }],
    ],
    [
      'a dark donor put fully in rotation (0 -> no share set = 100)',
      [withAzure(0)],
      [withAzure(undefined)],
      [{ region: 'us-central1', client: 'azure:westeurope', from: DEFAULT, to: AZURE_WEU }],
    ],
    [
      "an unchanged share, the mirror replaced: only the share's clients move",
      [withAzure(25)],
      [withAzure(25, 'https://k8sregistryneu.blob.core.windows.net/images')],
      [
        {
          region: 'us-central1',
          client: 'azure:westeurope (0-25% of its clients)',
          from: AZURE_WEU,
          to: 'https://k8sregistryneu.blob.core.windows.net/images',
        },
      ],
    ],
    [
      "another cloud's share does not move AWS clients",
      [withAzure(10)],
      [withAzure(20)],
      expect.not.arrayContaining([expect.objectContaining({ client: expect.stringMatching(/^aws:/) })]),
    ],
  ])('%s', (_name, base, head, expected) => {
    expect(routingImpact(tables(...base), tables(...head))).toEqual(expected);
  });
});

describe('shareSlices', () => {
  it.each<[string, (number | undefined)[], [number, number][]]>([
    ['no share on either side: one slice', [undefined, undefined], [[0, 100]]],
    [
      'one share on both sides',
      [10, 10],
      [
        [0, 10],
        [10, 100],
      ],
    ],
    [
      'two shares',
      [50, 1.5],
      [
        [0, 1.5],
        [1.5, 50],
        [50, 100],
      ],
    ],
    ['0 and 100', [0, 100], [[0, 100]]],
  ])('%s', (_name, shares, expected) => {
    const list = shares.map((share) => withAzure(share));
    expect(shareSlices('azure', list)).toEqual(expected);
  });
});

describe('routingTablesOf', () => {
  const config = (value: string) => ({
    resource: {
      google_cloud_run_v2_service: {
        svc: {
          template: {
            containers: [
              {
                env: [
                  { name: 'OTHER', value: 'x' },
                  { name: 'ROUTING_TABLE', value },
                ],
              },
            ],
          },
        },
      },
    },
  });

  it('reads each service’s table by its region', () => {
    const tablesRead = routingTablesOf({ stack: config(JSON.stringify(table('us-central1'))) });
    expect([...tablesRead.keys()]).toEqual(['us-central1']);
    expect(tablesRead.get('us-central1')).toEqual(table('us-central1'));
  });

  it('names the service and the field of a table that is not one', () => {
    expect(() =>
      routingTablesOf({ stack: config(JSON.stringify({ ...table('r'), defaultBlobBaseUrl: 'ftp://x' })) }),
    ).toThrow(
      'stack: google_cloud_run_v2_service.svc ROUTING_TABLE is not a routing table: defaultBlobBaseUrl: must be an http(s) URL',
    );
    expect(() => routingTablesOf({ stack: config('{') })).toThrow('ROUTING_TABLE is not JSON');
  });
});
