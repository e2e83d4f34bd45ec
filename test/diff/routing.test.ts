/** Routing impact: which clients of which Cloud Run region change blob backend, from tables as synthesized. */
import { routingImpact, routingTablesOf } from '../../lib/diff/routing';
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
  ])('%s', (_name, base, head, expected) => {
    expect(routingImpact(tables(...base), tables(...head))).toEqual(expected);
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
