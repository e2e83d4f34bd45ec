import { join } from 'node:path';
import {
  awsMirrorMap,
  bucketName,
  defaultBlobBaseUrl,
  loadTopology,
  readTopologyFile,
  redirectorRegions,
  registryFanOut,
  replicationDestinations,
  routingTableFor,
  RoutingTableSchema,
  s3Upload,
  writerRoleArn,
} from '../../lib/topology';

const small = readTopologyFile(join(__dirname, '..', 'fixtures', 'topology-small.yaml'));
const production = loadTopology().topology;

describe('views of the small topology', () => {
  it('derives the routing table of a Cloud Run region', () => {
    expect(routingTableFor(small, 'europe-west1')).toEqual({
      region: 'europe-west1',
      infoUrl: 'https://example.com/registry',
      privacyUrl: 'https://example.com/privacy',
      upstream: { endpoint: 'https://europe-west1-docker.pkg.dev', path: 'small-artifacts/images' },
      defaultBlobBaseUrl: 'https://cdn.example.com',
      upstreamClouds: ['gcp'],
      mirrors: {
        aws: {
          'eu-west-1': 'https://small-registry-eu-west-1.s3.dualstack.eu-west-1.amazonaws.com',
          'eu-west-2': 'https://small-registry-eu-west-1.s3.dualstack.eu-west-1.amazonaws.com',
          'us-east-2': 'https://small-registry-us-east-2.s3.dualstack.us-east-2.amazonaws.com',
        },
      },
    });
  });

  it('gives tables the redirector accepts', () => {
    for (const region of redirectorRegions(production)) {
      expect(RoutingTableSchema.safeParse(routingTableFor(production, region)).success).toBe(true);
    }
  });

  it('refuses a region without a redirector, naming the known ones', () => {
    expect(() => routingTableFor(small, 'asia-east1')).toThrow(
      '"asia-east1" is not a redirector region (known: europe-west1, us-central1)',
    );
  });

  it('derives replication sources and targets', () => {
    expect(replicationDestinations(small)).toEqual(['eu-west-1']);
    expect(registryFanOut(small)).toEqual({
      source: { endpoint: 'https://us-central1-docker.pkg.dev', path: 'small-artifacts/images' },
      destinations: [{ endpoint: 'https://europe-west1-docker.pkg.dev', path: 'small-artifacts/images' }],
    });
    expect(s3Upload(small)).toEqual({
      source: { endpoint: 'https://us-central1-docker.pkg.dev', path: 'small-artifacts/images' },
      bucket: 'small-registry-us-east-2',
      region: 'us-east-2',
    });
    expect(writerRoleArn(small)).toBe('arn:aws:iam::123456789012:role/registry-replicator-writer');
  });
});

describe('views of the production topology', () => {
  it.each([
    ['us-central1', 'https://prod-registry-k8s-io-us-east-2.s3.dualstack.us-east-2.amazonaws.com'],
    ['us-west2', 'https://prod-registry-k8s-io-us-west-1.s3.dualstack.us-west-1.amazonaws.com'],
    ['europe-west4', 'https://d39mqg4b1dx9z1.cloudfront.net'],
  ])('default blob backend of %s is %s', (region, url) => {
    expect(defaultBlobBaseUrl(production, region)).toBe(url);
  });

  it('routes aliased regions to their target bucket and leaves unrouted regions out', () => {
    const map = awsMirrorMap(production);
    expect(map['cn-north-1']).toBe(map['ap-east-1']);
    expect(map['me-south-1']).toContain(bucketName(production, 'me-central-1'));
    expect(map['me-west-1']).toBeUndefined();
    expect(Object.keys(map)).toHaveLength(32 + 4);
  });
});
