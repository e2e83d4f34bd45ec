import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_TOPOLOGY,
  loadTopology,
  parseTopology,
  readTopologyFile,
  TopologyError,
  topologyPathFrom,
  type TopologyInput,
} from '../../lib/topology';

export const SMALL_TOPOLOGY_FILE = join(__dirname, '..', 'fixtures', 'topology-small.yaml');

/** A deep copy of the default with one change applied, for the table of invalid topologies. */
function defaultWith(change: (t: TopologyInput) => void): TopologyInput {
  const copy = structuredClone(DEFAULT_TOPOLOGY);
  change(copy);
  return copy;
}

function problemsOf(raw: unknown): string[] {
  try {
    parseTopology(raw, 'test');
  } catch (err) {
    if (err instanceof TopologyError) return err.problems.map((p) => `${p.path}: ${p.message}`);
    throw err;
  }
  return [];
}

describe('the embedded default topology (registry.k8s.io)', () => {
  const { topology, source } = loadTopology();

  it('is valid and says where it came from', () => {
    expect(source).toMatch(/embedded default/);
    expect(topology.aws.uploadRegion).toBe('us-east-2');
  });

  it('has the production layout', () => {
    expect(topology.aws.mirrorRegions).toHaveLength(32);
    expect(Object.keys(topology.aws.regionAliases).sort()).toEqual([
      'ap-east-2',
      'cn-north-1',
      'cn-northwest-1',
      'me-south-1',
    ]);
    expect(Object.keys(topology.gcp.redirector.regions)).toHaveLength(22);
    expect(topology.gcp.artifactRegions).toHaveLength(41);
    expect(topology.gcp.armor).toEqual({ rateLimitCount: 5000, rateLimitIntervalSeconds: 60, wafSensitivity: 1 });
    expect(topology.replication.schedule).toBe('0 */2 * * *');
  });

  // A copy of this repository must not trust another deploy's identity nor send clients to another deploy's CDN.
  it('writes down no value that a deploy produces', () => {
    expect(topology.aws.writer.subject).toBeUndefined();
    expect(topology.aws.cdn.publicUrl).toBeUndefined();
    expect(JSON.stringify(DEFAULT_TOPOLOGY)).not.toMatch(/cloudfront\.net|\b\d{21}\b/);
  });

  it('keeps Terraform state in a bucket the deploy creates', () => {
    expect(topology.gcp.stateBackend).toEqual({ type: 'gcs', prefix: 'terraform/state' });
  });
});

describe('invalid topologies', () => {
  const cases: Array<[string, (t: TopologyInput) => void, string[]]> = [
    [
      'an unknown AWS region',
      (t) => t.aws.mirrorRegions.push('us-east-9'),
      ['aws.mirrorRegions[32]: unknown AWS region "us-east-9"'],
    ],
    [
      'a malformed AWS region',
      (t) => (t.aws.mirrorRegions[0] = 'Mars'),
      ['aws.mirrorRegions[0]: is not an AWS region name (got "Mars")'],
    ],
    [
      'a duplicate mirror region',
      (t) => t.aws.mirrorRegions.push('eu-west-1'),
      ['aws.mirrorRegions[32]: duplicate "eu-west-1" (already at aws.mirrorRegions[21])'],
    ],
    [
      'an upload region without a bucket',
      (t) => (t.aws.uploadRegion = 'me-south-1'),
      ['aws.uploadRegion: "me-south-1" is not one of aws.mirrorRegions'],
    ],
    [
      'an alias pointing at a region without a bucket',
      (t) => (t.aws.regionAliases!['ap-east-2'] = 'cn-north-1'),
      ['aws.regionAliases.ap-east-2: alias target "cn-north-1" has no bucket (not in aws.mirrorRegions)'],
    ],
    [
      'an alias for a region that has a bucket',
      (t) => (t.aws.regionAliases!['eu-west-1'] = 'eu-west-2'),
      ['aws.regionAliases.eu-west-1: "eu-west-1" has its own bucket (in aws.mirrorRegions) and cannot be an alias'],
    ],
    [
      'a Cloud Run region without an AR repository',
      (t) => (t.gcp.artifactRegions = t.gcp.artifactRegions.filter((r) => r !== 'us-west2')),
      [
        'gcp.redirector.regions.us-west2: Cloud Run region "us-west2" has no Artifact Registry repository (not in gcp.artifactRegions)',
      ],
    ],
    [
      'a default backend that does not exist',
      (t) => (t.gcp.redirector.regions['us-west1']!.defaultBlobBackend = 'us-west-9'),
      [
        'gcp.redirector.regions.us-west1.defaultBlobBackend: default backend "us-west-9" does not exist (expected "cdn" or a region of aws.mirrorRegions or aws.regionAliases)',
      ],
    ],
    [
      'a default backend named like a property every object inherits',
      (t) => (t.gcp.redirector.regions['us-west1']!.defaultBlobBackend = 'toString'),
      [
        'gcp.redirector.regions.us-west1.defaultBlobBackend: default backend "toString" does not exist (expected "cdn" or a region of aws.mirrorRegions or aws.regionAliases)',
      ],
    ],
    [
      'the CDN as default backend while the CDN is off',
      (t) => (t.aws.cdn.enabled = false),
      ['asia-east1', 'europe-west1', 'europe-west4'].map(
        (r) => `gcp.redirector.regions.${r}.defaultBlobBackend: is "cdn" but aws.cdn.enabled is false`,
      ),
    ],
    [
      'a CDN origin without a bucket',
      (t) => (t.aws.cdn.failoverRegion = 'cn-north-1'),
      ['aws.cdn.failoverRegion: "cn-north-1" is not one of aws.mirrorRegions'],
    ],
    [
      'a log retention CloudWatch does not offer',
      (t) => (t.aws.cdn.logRetentionDays = 31),
      [
        'aws.cdn.logRetentionDays: must be a CloudWatch Logs retention period (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653 days) (got 31)',
      ],
    ],
    [
      'a signature upstream path with dot segments',
      (t) => (t.gcp.redirector.signatureUpstream = { endpoint: 'https://sigs.example.com', path: 'a/../b' }),
      [
        'gcp.redirector.signatureUpstream.path: must be a repository path like "project/images" (OCI repository name grammar) (got "a/../b")',
      ],
    ],
    [
      'a signature upstream URL ending in "/"',
      (t) => (t.gcp.redirector.signatureUpstream = { endpoint: 'https://sigs.example.com/', path: 'a/b' }),
      ['gcp.redirector.signatureUpstream.endpoint: must not end with "/" (got "https://sigs.example.com/")'],
    ],
    [
      'an info URL that is not http(s)',
      (t) => (t.infoUrl = 'ftp://example.com/registry'),
      ['infoUrl: must be an http(s) URL (got "ftp://example.com/registry")'],
    ],
    [
      'an unknown GCP region',
      (t) => t.gcp.artifactRegions.push('mars-north1'),
      ['gcp.artifactRegions[41]: unknown Google Cloud region "mars-north1"'],
    ],
    [
      'a canonical region without a repository',
      (t) => (t.gcp.canonicalRegion = 'us-central2'),
      ['gcp.canonicalRegion: "us-central2" is not one of gcp.artifactRegions'],
    ],
    [
      'an unknown field (a typo)',
      (t) => ((t.aws as Record<string, unknown>).mirorRegions = []),
      ['aws: Unrecognized key: "mirorRegions"'],
    ],
    [
      // Removed: it meant nothing that leaving a region out does not (docs/aws.md, "Which bucket serves whom").
      'the retired aws.unroutedRegions',
      (t) => ((t.aws as Record<string, unknown>).unroutedRegions = ['me-west-1']),
      ['aws: Unrecognized key: "unroutedRegions"'],
    ],
    [
      'a missing field',
      (t) => delete (t as Partial<TopologyInput>).gcp,
      ['gcp: Invalid input: expected object, received undefined'],
    ],
    [
      'a bad e-mail',
      (t) => (t.gcp.observability.notificationEmail = 'nobody'),
      ['gcp.observability.notificationEmail: must be an e-mail address (got "nobody")'],
    ],
    [
      "an issuer other than Google without a subject (only Google's comes from the deploy)",
      (t) => (t.aws.writer.oidcIssuer = 'https://token.actions.githubusercontent.com'),
      [
        'aws.writer.subject: is required for the issuer "https://token.actions.githubusercontent.com" (only Google\'s subject, the replicator service account\'s ID, comes from the deploy)',
      ],
    ],
    [
      'a state bucket name Cloud Storage refuses',
      (t) => (t.gcp.stateBackend = { type: 'gcs', bucket: 'State_Bucket' }),
      ['gcp.stateBackend.bucket: must be a Cloud Storage bucket name (3-63 characters) (got "State_Bucket")'],
    ],
    [
      'a bad cron schedule',
      (t) => (t.replication = { schedule: 'hourly' }),
      ['replication.schedule: must be a five-field cron expression (minute hour day month weekday) (got "hourly")'],
    ],
    [
      'a request budget for a registry the replication jobs do not speak to',
      (t) => (t.replication = { requestsPerSecondByHost: { 'us-docker.pkg.dev': 200 } }),
      [
        'replication.requestsPerSecondByHost.us-docker.pkg.dev: "us-docker.pkg.dev" is the registry of none of gcp.artifactRegions: no replication job speaks to it',
      ],
    ],
    [
      'a bucket name longer than S3 allows (50 + 14 characters for ap-northeast-1)',
      (t) => (t.aws.bucketPrefix = `${'b'.repeat(49)}-`),
      expect.arrayContaining([
        `aws.mirrorRegions[${DEFAULT_TOPOLOGY.aws.mirrorRegions.indexOf('ap-northeast-1')}]: bucket name "${'b'.repeat(49)}-ap-northeast-1" is longer than 63 characters`,
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
  ];

  it.each(cases)('%s', (_name, change, expected) => {
    expect(problemsOf(defaultWith(change))).toEqual(expected);
  });

  it('reports every problem at once', () => {
    const problems = problemsOf(
      defaultWith((t) => {
        t.aws.mirrorRegions.push('us-east-9');
        t.aws.uploadRegion = 'me-south-1';
        t.gcp.canonicalRegion = 'us-central2';
      }),
    );
    expect(problems).toEqual([
      'aws.mirrorRegions[32]: unknown AWS region "us-east-9"',
      'aws.uploadRegion: "me-south-1" is not one of aws.mirrorRegions',
      'gcp.canonicalRegion: "us-central2" is not one of gcp.artifactRegions',
    ]);
  });
});

describe('reading topology files', () => {
  it('reads the small YAML fixture', () => {
    const topology = readTopologyFile(SMALL_TOPOLOGY_FILE);
    expect(topology.aws.mirrorRegions).toEqual(['us-east-2', 'eu-west-1']);
    expect(topology.gcp.redirector.concurrency).toBe(800);
  });

  it.each([['missing.yaml', 'does-not-exist.yaml', /cannot read file/]])(
    'names the file when it cannot be read (%s)',
    (_n, path, message) => {
      expect(() => readTopologyFile(path)).toThrow(message);
    },
  );

  it('rejects duplicate YAML keys and bad JSON, naming the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'topology-'));
    try {
      writeFileSync(join(dir, 'dup.yaml'), 'name: a\nname: b\n');
      writeFileSync(join(dir, 'bad.json'), '{"name": ');
      expect(() => readTopologyFile(join(dir, 'dup.yaml'))).toThrow(/dup\.yaml.*\n.*not valid YAML/);
      expect(() => readTopologyFile(join(dir, 'bad.json'))).toThrow(/bad\.json.*\n.*not valid JSON/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each<[string, Parameters<typeof topologyPathFrom>[0], string | undefined]>([
    ['nothing given', {}, undefined],
    ['--topology FILE', { flag: 'a.yaml' }, 'a.yaml'],
    ['TOPOLOGY env', { env: { TOPOLOGY: 'c.yaml' } }, 'c.yaml'],
    ['cdk context beats env', { contextPath: 'd.yaml', env: { TOPOLOGY: 'c.yaml' } }, 'd.yaml'],
    ['flag beats context and env', { flag: 'a.yaml', contextPath: 'd.yaml', env: { TOPOLOGY: 'c.yaml' } }, 'a.yaml'],
  ])('picks the source: %s', (_name, options, expected) => {
    expect(topologyPathFrom(options)).toBe(expected);
  });
});
