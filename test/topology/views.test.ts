import { join } from 'node:path';
import { KNOWN_AWS_REGIONS } from '../../lib/clouds/aws/regions';
import { awsBucketUrl, awsMirrors } from '../../lib/clouds/aws/section';
import {
  defaultBlobBaseUrl,
  loadTopology,
  readTopologyFile,
  redirectorRegions,
  registryFanOut,
  replicationRegistryHosts,
  replicationDestinations,
  routingTableFor,
  RoutingTableSchema,
  s3Upload,
  withDeployOutputs,
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

  it("carries the topology's signature upstream, when it has one, into the table", () => {
    const signatureUpstream = { endpoint: 'https://sigs.example.com', path: 'sigs/images' };
    const withSignatures = {
      ...small,
      gcp: { ...small.gcp, redirector: { ...small.gcp.redirector, signatureUpstream } },
    };
    expect(routingTableFor(withSignatures, 'europe-west1').signatureUpstream).toEqual(signatureUpstream);
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
      source: {
        region: 'us-central1',
        host: 'us-central1-docker.pkg.dev',
        reference: 'us-central1-docker.pkg.dev/small-artifacts/images',
      },
      destinations: [
        {
          region: 'europe-west1',
          host: 'europe-west1-docker.pkg.dev',
          reference: 'europe-west1-docker.pkg.dev/small-artifacts/images',
        },
      ],
    });
    expect(s3Upload(small)).toEqual({
      source: {
        region: 'us-central1',
        host: 'us-central1-docker.pkg.dev',
        reference: 'us-central1-docker.pkg.dev/small-artifacts/images',
      },
      bucket: 'small-registry-us-east-2',
      region: 'us-east-2',
    });
    expect(writerRoleArn(small)).toBe('arn:aws:iam::123456789012:role/registry-replicator-writer');
    expect(replicationRegistryHosts(small)).toEqual(['europe-west1-docker.pkg.dev', 'us-central1-docker.pkg.dev']);
  });
});

describe('views of the production topology', () => {
  it.each([
    ['us-central1', 'https://prod-registry-k8s-io-us-east-2.s3.dualstack.us-east-2.amazonaws.com'],
    ['us-west2', 'https://prod-registry-k8s-io-us-west-1.s3.dualstack.us-west-1.amazonaws.com'],
    // The CDN's address comes from its deploy: until then its primary bucket (us-east-2) serves these clients.
    ['europe-west4', 'https://prod-registry-k8s-io-us-east-2.s3.dualstack.us-east-2.amazonaws.com'],
  ])('default blob backend of %s is %s', (region, url) => {
    expect(defaultBlobBaseUrl(production, region)).toBe(url);
  });

  it('sends the CDN regions to the CDN once its deploy produced its domain name', () => {
    const deployed = withDeployOutputs(production, { cdnDomainName: 'd111111abcdef8.cloudfront.net' });
    expect(defaultBlobBaseUrl(deployed, 'europe-west4')).toBe('https://d111111abcdef8.cloudfront.net');
    expect(defaultBlobBaseUrl(deployed, 'us-west2')).toBe(defaultBlobBaseUrl(production, 'us-west2'));
  });

  it('sends each mirror region to its own bucket and each alias to its target, and lists no other region', () => {
    const map = awsMirrors(production.aws);
    const { mirrorRegions, regionAliases } = production.aws;
    expect(Object.keys(map)).toEqual([...mirrorRegions, ...Object.keys(regionAliases)].sort());
    for (const region of mirrorRegions) expect(map[region]).toBe(awsBucketUrl(production.aws, region));
    // The URL itself, as production's routing data has it (the loop above only says each region gets its own).
    expect(map['eu-west-1']).toBe('https://prod-registry-k8s-io-eu-west-1.s3.dualstack.eu-west-1.amazonaws.com');
    expect({
      'ap-east-2': map['ap-east-2'],
      'cn-north-1': map['cn-north-1'],
      'cn-northwest-1': map['cn-northwest-1'],
      'me-south-1': map['me-south-1'],
    }).toEqual({
      'ap-east-2': awsBucketUrl(production.aws, 'ap-east-1'),
      'cn-north-1': awsBucketUrl(production.aws, 'ap-east-1'),
      'cn-northwest-1': awsBucketUrl(production.aws, 'ap-east-1'),
      'me-south-1': awsBucketUrl(production.aws, 'me-central-1'),
    });
  });

  // Production leaves these out of its routing data; so does the topology: a client region with no entry in the
  // table's mirror map gets the redirector region's default backend, whatever region it is.
  it.each(['me-west-1', 'sa-west-1', 'us-south-1', 'us-gov-west-1'])(
    'AWS region %s, neither a mirror nor an alias, has no mirror in any routing table',
    (region) => {
      expect(KNOWN_AWS_REGIONS.has(region)).toBe(true);
      for (const redirectorRegion of redirectorRegions(production)) {
        const table = routingTableFor(production, redirectorRegion);
        expect(Object.keys(table.mirrors)).toEqual(['aws']);
        expect(Object.keys(table.mirrors.aws!)).not.toContain(region);
        expect(table.defaultBlobBaseUrl).toBe(defaultBlobBaseUrl(production, redirectorRegion));
      }
    },
  );
});
