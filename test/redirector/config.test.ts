import { configFromEnv, parseRangeSources, type TableFlags } from '../../lib/redirector/config';
import { IP_RANGES, problemsOf, SMALL_TOPOLOGY, smallTable } from './fixtures';

const base = { IP_RANGES };

describe('configFromEnv', () => {
  it('defaults: the embedded topology, its canonical region, production ports and limits', () => {
    const config = configFromEnv(base);
    expect(config.table.region).toBe('us-central1');
    expect(config.table.upstream).toEqual({
      endpoint: 'https://us-central1-docker.pkg.dev',
      path: 'k8s-artifacts-prod/images',
    });
    expect(config.listen).toEqual({ address: '0.0.0.0', port: 8080 });
    expect(config.admin).toEqual({ address: '127.0.0.1', port: 9090 });
    expect(config.trustedProxyHops).toBe(1);
    expect(config.existence).toMatchObject({
      timeoutMs: 1000,
      positiveTtlMs: 600_000,
      breakerFailureThreshold: 1,
      breakerCooldownMs: 30_000,
      probeIntervalMs: 1000,
    });
    expect(config.logLevel).toBe('info');
    expect(config.projectId).toBeUndefined();
    expect(config.ipRanges.map((r) => r.cloud)).toEqual(['aws', 'gcp', 'azure']);
  });

  it('derives the table from the --topology and --region flags', () => {
    const flags: TableFlags = { topology: SMALL_TOPOLOGY, region: 'europe-west1' };
    const config = configFromEnv(base, flags);
    expect(config.table).toEqual(smallTable('europe-west1'));
  });

  it('takes the flags over TOPOLOGY and REGION', () => {
    const env = { ...base, TOPOLOGY: '/nonexistent.yaml', REGION: 'us-central1' };
    expect(configFromEnv(env, { topology: SMALL_TOPOLOGY, region: 'europe-west1' }).table).toEqual(
      smallTable('europe-west1'),
    );
  });

  it('derives the table from TOPOLOGY and REGION', () => {
    expect(configFromEnv({ ...base, TOPOLOGY: SMALL_TOPOLOGY, REGION: 'europe-west1' }).table).toEqual(
      smallTable('europe-west1'),
    );
  });

  it('takes ROUTING_TABLE (what the Cloud Run stack sets) over the topology', () => {
    const table = smallTable('europe-west1');
    const config = configFromEnv({ ...base, ROUTING_TABLE: JSON.stringify(table), REGION: 'nowhere' });
    expect(config.table).toEqual(table);
    expect(config.tableSource).toBe('ROUTING_TABLE');
  });

  it('honours the production variables as overrides', () => {
    const config = configFromEnv({
      ...base,
      PORT: '5000',
      UPSTREAM_REGISTRY_ENDPOINT: 'http://127.0.0.1:5001',
      UPSTREAM_REGISTRY_PATH: 'proj/repo',
      DEFAULT_AWS_BASE_URL: 'https://cdn.example.org',
      SIGNATURE_UPSTREAM_ENDPOINT: 'https://sigs.example.org',
    });
    expect(config.listen.port).toBe(5000);
    expect(config.table.upstream).toEqual({ endpoint: 'http://127.0.0.1:5001', path: 'proj/repo' });
    expect(config.table.defaultBlobBaseUrl).toBe('https://cdn.example.org');
    expect(config.table.signatureUpstream).toEqual({ endpoint: 'https://sigs.example.org', path: 'proj/repo' });
  });

  it('takes an empty production variable as unset, beside one that is set', () => {
    const config = configFromEnv({ ...base, UPSTREAM_REGISTRY_ENDPOINT: '', UPSTREAM_REGISTRY_PATH: 'proj/repo' });
    expect(config.table.upstream).toEqual({ endpoint: 'https://us-central1-docker.pkg.dev', path: 'proj/repo' });
  });

  it.each(['k8s-infra-prod-registry', 'example.com:my-project'])('takes GOOGLE_CLOUD_PROJECT %s', (project) => {
    expect(configFromEnv({ ...base, GOOGLE_CLOUD_PROJECT: project }).projectId).toBe(project);
    expect(configFromEnv({ ...base, GOOGLE_CLOUD_PROJECT: '' }).projectId).toBeUndefined();
  });

  it.each([
    [
      { GOOGLE_CLOUD_PROJECT: 'My Project' },
      'GOOGLE_CLOUD_PROJECT: must be a Google Cloud project id (got "My Project")',
    ],
    [{ PORT: 'http' }, 'PORT: must be a whole number from 0 to 65535 (got "http")'],
    [{ PORT: '70000' }, 'PORT: must be a whole number from 0 to 65535'],
    [{ ADMIN_ADDRESS: 'localhost' }, 'ADMIN_ADDRESS: must be an IP address'],
    [{ HEAD_TIMEOUT_MS: '0' }, 'HEAD_TIMEOUT_MS: must be a whole number from 1 to 60000'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent (got "loud")'],
    [{ ROUTING_TABLE: '{' }, 'ROUTING_TABLE: not valid JSON'],
    [{ ROUTING_TABLE: '{"region":"x"}' }, 'ROUTING_TABLE.infoUrl:'],
    [
      { REGION: 'mars-north1' },
      '--region/REGION: "mars-north1" runs no redirector in embedded default (registry.k8s.io) (known: asia-east1',
    ],
    [{ TOPOLOGY: '/nonexistent.yaml' }, '--topology/TOPOLOGY: invalid topology (/nonexistent.yaml)'],
    [{ UPSTREAM_REGISTRY_ENDPOINT: 'ftp://x' }, 'UPSTREAM_REGISTRY_ENDPOINT: must be an http(s) URL (got "ftp://x")'],
    [{ UPSTREAM_REGISTRY_PATH: 'a b' }, 'UPSTREAM_REGISTRY_PATH: must be a repository path'],
    [
      { UPSTREAM_REGISTRY_PATH: '../x' },
      'UPSTREAM_REGISTRY_PATH: must be a repository path like "project/images" (OCI repository name grammar) (got "../x")',
    ],
    [{ DEFAULT_AWS_BASE_URL: 'https://x/' }, 'DEFAULT_AWS_BASE_URL: must not end with "/"'],
    [{ IP_RANGES: '' }, 'IP_RANGES: not set'],
    [{ IP_RANGES: 'aws' }, 'IP_RANGES: "aws" is not cloud=FILE'],
    [{ IP_RANGES: 'oracle=x.json' }, 'IP_RANGES: unknown cloud "oracle" (known: aws, gcp, azure)'],
    [{ IP_RANGES: 'aws=a.json,aws=b.json' }, 'IP_RANGES: cloud "aws" is given twice'],
    [{ IP_RANGES: '=a.json' }, 'IP_RANGES: "=a.json" is not cloud=FILE'],
    [{ IP_RANGES: 'aws=' }, 'IP_RANGES: "aws=" is not cloud=FILE'],
  ])('%j -> %s', (env, problem) => {
    expect(problemsOf({ ...base, ...env }).join('\n')).toContain(problem);
  });

  it('refuses dot segments in a ROUTING_TABLE upstream path, naming where it came from', () => {
    const table = { ...smallTable('us-central1'), upstream: { endpoint: 'https://r.example.com', path: 'a/../b' } };
    expect(problemsOf({ ...base, ROUTING_TABLE: JSON.stringify(table) })).toEqual([
      'ROUTING_TABLE.upstream.path: must be a repository path like "project/images" (OCI repository name grammar)',
    ]);
  });

  it('reports every problem at once', () => {
    expect(problemsOf({ PORT: 'x', ADMIN_PORT: 'y', IP_RANGES: 'bad' }).map((p) => p.split(':')[0])).toEqual([
      'PORT',
      'ADMIN_PORT',
      'IP_RANGES',
    ]);
  });
});

describe('parseRangeSources', () => {
  it('takes an index file alone', () => {
    expect(parseRangeSources('index=/ranges.bin', 'IP_RANGES')).toEqual([{ cloud: 'index', file: '/ranges.bin' }]);
  });

  it('reads generic cloud=FILE pairs', () => {
    expect(parseRangeSources('aws=/a.json, gcp=/g.json', 'IP_RANGES')).toEqual([
      { cloud: 'aws', file: '/a.json' },
      { cloud: 'gcp', file: '/g.json' },
    ]);
  });
});
