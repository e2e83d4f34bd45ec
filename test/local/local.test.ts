/**
 * The pure decisions of npm run local: who the simulated clients are, what the front door forwards, how the jobs'
 * Cloud Run command lines are pointed at the stand-ins, and that nothing in the local routing table leaves the
 * machine.
 */
import { readCloudRanges } from '../../lib/redirector/load-ranges';
import { RangeIndex } from '../../lib/redirector/range-index';
import { ClientResolver } from '../../lib/redirector/client';
import { fanOutJobArgs, s3UploadJobArgs } from '../../lib/clouds/gcp/infra/replication-args';
import { parseTopology, parseTopologyText, routingTableFor, type Topology } from '../../lib/topology';
import { readFileSync } from 'node:fs';
import { FICT_KIND, FICT_RANGES_FILE, parseFictRanges, WITH_FICT } from '../donors/fixtures/fict-donor';
import { LOCAL_RANGE_SOURCES, NO_DONOR_ADDRESS, simulatedClients } from '../../lib/local/clients';
import { forwardedFor } from '../../lib/local/front-door';
import { jobEnvironment, localizeArgs, localJobs } from '../../lib/local/jobs';
import { findOnPath, missingPackages } from '../../lib/local/preflight';
import { parseAccessLogLine } from '../../lib/local/request-log';
import { pullCommands, readyLine, readyText, type ReadySystem } from '../../lib/local/report';
import { askedPorts, consecutive, startLocalSystem } from '../../lib/local/system';
import { DEFAULT_LOCAL_TOPOLOGY, localBuckets, localTopology, readTopologyFile } from '../../lib/local/topology';

const S3 = 'http://127.0.0.1:9000';
const AZURITE = 'http://127.0.0.1:10000/{account}';
const declared = readTopologyFile(DEFAULT_LOCAL_TOPOLOGY);
const topology = localTopology(declared, { s3: S3, azure: AZURITE });
const ranges = LOCAL_RANGE_SOURCES.map(readCloudRanges);
const REGISTRIES = new Map([
  ['us-central1', '127.0.0.1:5001'],
  ['europe-west1', '127.0.0.1:5002'],
]);

describe('simulated clients', () => {
  const clients = simulatedClients(topology, ranges);

  it('are one per routing rule of the example topology, each at a published address of its region', () => {
    expect(clients.map((c) => [c.id, c.role])).toEqual([
      ['gcp:us-central1', 'upstream-cloud'],
      ['aws:eu-west-1', 'mirrored-region'],
      ['aws:ap-northeast-3', 'aliased-region'],
      ['azure:westeurope', 'mirrored-region'],
      ['other', 'no-donor'],
    ]);
    expect(clients.at(-1)!.address).toBe(NO_DONOR_ADDRESS);
  });

  it("say where an Azure client gets its blobs at its donor's traffic share", () => {
    const atShare = (trafficShare: number) =>
      simulatedClients({ ...topology, azure: { ...topology.azure!, trafficShare } }, ranges).find(
        (c) => c.id === 'azure:westeurope',
      )!.description;
    expect(atShare(100)).toBe(
      "an Azure client in westeurope, a mirrored region at trafficShare 100%: blobs from its region's mirror",
    );
    expect(atShare(0)).toBe(
      'an Azure client in westeurope, a mirrored region at trafficShare 0%: blobs from the default backend (us-east-2)',
    );
  });

  it('leave Azure out when the topology has it off', () => {
    const off: Topology = { ...topology, azure: { ...topology.azure!, enabled: false } };
    expect(simulatedClients(off, ranges).map((c) => c.id)).not.toContain('azure:westeurope');
  });

  it('are classified by the redirector as intended, through the front door', () => {
    const resolver = new ClientResolver(new RangeIndex(ranges), 1); // the Cloud Run setting: one trusted hop
    for (const client of clients) {
      const resolved = resolver.resolve(forwardedFor(undefined, client.address), '127.0.0.1');
      if (client.id === 'other') expect(resolved).toEqual({ kind: 'unlisted' });
      else
        expect(resolved).toEqual({
          kind: 'located',
          location: { cloud: client.id.split(':')[0], region: client.id.split(':')[1] },
        });
    }
  });

  it('are refused for a region the range files do not hold, naming it', () => {
    const unknown = { ...topology, aws: { ...topology.aws, regionAliases: { 'xx-nowhere-1': 'eu-west-1' } } };
    expect(() => simulatedClients(unknown, ranges)).toThrow(/no IPv4 range of aws region xx-nowhere-1/);
  });
});

describe('the front door', () => {
  it.each([
    [undefined, '3.5.140.1', '3.5.140.1, 127.0.0.1'],
    ['', '3.5.140.1', '3.5.140.1, 127.0.0.1'],
    ['10.0.0.1', '3.5.140.1', '10.0.0.1, 3.5.140.1, 127.0.0.1'], // what the client sent stays first, as at Google
  ])('forwards X-Forwarded-For %j from %s as %j', (sent, client, expected) => {
    expect(forwardedFor(sent, client)).toBe(expected);
  });
});

describe('the replication jobs, locally', () => {
  const STAND_INS = { registries: REGISTRIES, s3Endpoint: S3, azureKey: 'azurite-key' };
  const local = (arg: string) =>
    arg
      .replace('us-central1-docker.pkg.dev', '127.0.0.1:5001')
      .replace('europe-west1-docker.pkg.dev', '127.0.0.1:5002');

  it("run every enabled donor's Cloud Run command line with the registry hosts replaced by the local ones", () => {
    const [s3, fanOut, azure, ...more] = localJobs(topology, STAND_INS);
    expect(more).toEqual([]);
    expect(s3).toEqual({
      name: 'registry -> S3',
      args: [...s3UploadJobArgs(topology).map(local), '--insecure-registry', '127.0.0.1:5001', '--endpoint', S3],
      env: { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' },
    });
    expect(fanOut).toEqual({
      name: 'registry -> registry',
      args: [
        ...fanOutJobArgs(topology).map(local),
        '--insecure-registry',
        '127.0.0.1:5001',
        '--insecure-registry',
        '127.0.0.1:5002',
      ],
      env: {},
    });
    expect(azure).toEqual({
      name: 'registry -> Azure',
      args: expect.arrayContaining([
        'azure',
        '--container-url',
        'http://127.0.0.1:10000/localregweu/images',
        '--container-url',
        'http://127.0.0.1:10000/localregeus2/images',
      ]),
      env: { AZURE_STORAGE_KEY: 'azurite-key' },
    });
  });

  it('refuse to run a job whose registry has no local stand-in', () => {
    const onlyCanonical = new Map([['us-central1', '127.0.0.1:5001']]);
    expect(() => localizeArgs(fanOutJobArgs(topology), topology, onlyCanonical)).toThrow(
      /no local registry for Artifact Registry region europe-west1/,
    );
  });

  it('refuse a job that would write to Azure itself', () => {
    const unlocalized = localTopology(declared, { s3: S3, azure: 'https://{account}.blob.core.windows.net' });
    expect(() => localJobs(unlocalized, STAND_INS)).toThrow(
      'the job would reach a real service: https://localregweu.blob.core.windows.net/images',
    );
  });

  it('refuse Azure without Azurite', () => {
    expect(() => localTopology(declared, { s3: S3 })).toThrow(/Azure on: its accounts need a local endpoint/);
    expect(() => localJobs(topology, { ...STAND_INS, azureKey: undefined })).toThrow(/needs Azurite/);
  });

  it('carry no cloud identity from the caller, only their stand-in keys', () => {
    const env = jobEnvironment(
      { PATH: '/bin', AWS_ROLE_ARN: 'arn:x', AWS_PROFILE: 'p', REGISTRY_AUTH: 'gcp-metadata', AZURE_CLIENT_ID: 'c' },
      { env: { AZURE_STORAGE_KEY: 'k' } },
    );
    expect(env).toEqual({ PATH: '/bin', AZURE_STORAGE_KEY: 'k' });
  });
});

describe('the local topology', () => {
  it('sends every blob URL of the routing table to a stand-in, S3 or Azurite (nothing leaves the machine)', () => {
    const table = routingTableFor(topology, 'us-central1');
    const blobUrls = [table.defaultBlobBaseUrl, ...Object.values(table.mirrors).flatMap((m) => Object.values(m))];
    for (const url of blobUrls) expect(url).toMatch(/^http:\/\/127\.0\.0\.1:(9000|10000)\//);
    expect(table.mirrors.aws).toMatchObject({
      'eu-west-1': `${S3}/local-registry-eu-west-1`,
      'ap-northeast-3': `${S3}/local-registry-ap-northeast-1`,
    });
    expect(table.mirrors.azure).toEqual({
      eastus2: 'http://127.0.0.1:10000/localregeus2/images',
      westeurope: 'http://127.0.0.1:10000/localregweu/images',
    });
    expect(table.mirrorShares).toBeUndefined(); // Azure at 100%: its clients all go to their mirror
    expect(table.signatureUpstream).toBeUndefined();
  });

  it('plays the CDN by its primary origin bucket', () => {
    expect(topology.aws.cdn.publicUrl).toBe(`${S3}/local-registry-us-east-2`);
  });

  it('names the buckets as the topology does: the upload bucket and the ones S3 replicates it to', () => {
    expect(localBuckets(topology)).toEqual({
      upload: 'local-registry-us-east-2',
      byRegion: new Map([
        ['us-east-2', 'local-registry-us-east-2'],
        ['eu-west-1', 'local-registry-eu-west-1'],
        ['ap-northeast-1', 'local-registry-ap-northeast-1'],
      ]),
      replicated: ['local-registry-eu-west-1', 'local-registry-ap-northeast-1'],
    });
  });
});

describe('small pure pieces', () => {
  it.each([
    [
      '127.0.0.1 - - [30/Nov/2026:07:45:54 +0000] "GET /v2/a/tags/list?n=1&last=x HTTP/1.1" 200 2 "" "curl/7.88.1"',
      { method: 'GET', path: '/v2/a/tags/list', query: '?n=1&last=x', status: 200 },
    ],
    [
      '127.0.0.1 - - [30/Nov/2026:07:45:54 +0000] "HEAD /v2/a/blobs/sha256:00 HTTP/1.1" 404 157 "" "x"',
      { method: 'HEAD', path: '/v2/a/blobs/sha256:00', query: '', status: 404 },
    ],
    ['time="2026-11-30T07:45:54Z" level=error msg="response completed with error"', undefined],
  ])('reads the access log line %s', (line, expected) => {
    expect(parseAccessLogLine(line)).toEqual(expected);
  });

  it.each([
    [undefined, 3, [undefined, undefined, undefined]],
    [5000, 3, [5000, 5001, 5002]],
  ])('takes ports from %s for %s services', (first, count, expected) => {
    expect(consecutive(first, count)).toEqual(expected);
  });

  it('names the packages whose commands are missing, once each', () => {
    const requirements = [
      { command: 'sh', debianPackage: 'dash' },
      { command: 'no-such-command-1', debianPackage: 'pkg-a' },
      { command: 'no-such-command-2', debianPackage: 'pkg-a' },
    ];
    expect(findOnPath('sh', '/nonexistent:/bin')).toBe('/bin/sh');
    expect(missingPackages(requirements, '/bin')).toEqual(['pkg-a']);
  });

  it('prints the ready line in exactly the documented shape, and pull commands per client', () => {
    const client = simulatedClients(topology, ranges)[1]!;
    const system = {
      registries: [{ region: 'us-central1', url: 'http://127.0.0.1:1' }],
      s3: 'http://127.0.0.1:2',
      redirector: 'http://127.0.0.1:3',
      image: 'sample:v1',
      entrances: [{ client, host: '127.0.0.1:4' }],
    } as unknown as ReadySystem;
    expect(readyLine(system)).toBe(
      '{"ready":true,"registry":"http://127.0.0.1:1","s3":"http://127.0.0.1:2","redirector":"http://127.0.0.1:3",' +
        '"image":"sample:v1","clients":{"aws:eu-west-1":"127.0.0.1:4"}}',
    );
    expect(pullCommands('127.0.0.1:4', 'sample:v1', 'aws:eu-west-1')).toEqual({
      skopeo:
        'skopeo copy --all --preserve-digests --src-tls-verify=false docker://127.0.0.1:4/sample:v1 oci:pulled-aws-eu-west-1:v1',
      ctr: 'ctr content fetch --plain-http --all-platforms 127.0.0.1:4/sample:v1',
    });
  });
});

describe('a donor npm run local knows only through the donor interface (the fictitious one)', () => {
  const raw = parseTopologyText(readFileSync(DEFAULT_LOCAL_TOPOLOGY, 'utf8'), DEFAULT_LOCAL_TOPOLOGY) as object;
  const withFict = localTopology(
    parseTopology(
      {
        ...raw,
        fict: {
          regions: ['fict-north', 'fict-south'],
          blobBaseUrl: 'http://127.0.0.1:7000/blobs',
          storeDirectory: '/nowhere',
          trafficShare: 1,
        },
      },
      'test',
      WITH_FICT,
    ),
    { s3: S3, azure: AZURITE },
  );
  const fictRanges = {
    cloud: 'fict',
    ranges: parseFictRanges(JSON.parse(readFileSync(FICT_RANGES_FILE, 'utf8')), 'f'),
  };

  it('gets a simulated client in the first region its job writes, placed by the share', () => {
    const client = simulatedClients(withFict, [...ranges, fictRanges], WITH_FICT).find((c) => c.id.startsWith('fict:'));
    expect(client).toEqual({
      id: 'fict:fict-north',
      role: 'mirrored-region',
      address: '198.51.100.1',
      // Its address's bucket is 6874 of 10,000: outside a 1% share.
      description:
        'a Fictional Cloud client in fict-north, a mirrored region at trafficShare 1%: blobs from the default backend (us-east-2)',
    });
  });

  it('has its replication job refused, naming the kind that has no local stand-in', () => {
    expect(() => localJobs(withFict, { registries: REGISTRIES, s3Endpoint: S3, azureKey: 'k' }, WITH_FICT)).toThrow(
      `npm run local has no stand-in for fict's replication kind "${FICT_KIND}"`,
    );
  });
});

describe('the ready text', () => {
  const clients = simulatedClients(topology, ranges);
  const system: ReadySystem = {
    topologyFile: 'examples/local.yaml',
    redirectorRegion: 'us-central1',
    registries: [{ region: 'us-central1', url: 'http://127.0.0.1:1' }],
    upstreamPath: 'local-artifacts/images',
    s3: 'http://127.0.0.1:2',
    uploadBucket: 'local-registry-us-east-2',
    replicatedBuckets: ['local-registry-eu-west-1'],
    azure: {
      url: 'http://127.0.0.1:5',
      containers: [
        { account: 'localregweu', container: 'images' },
        { account: 'localregeus2', container: 'images' },
      ],
    },
    redirector: 'http://127.0.0.1:3',
    image: 'sample:v1',
    imageDigest: 'sha256:00',
    platforms: ['linux/amd64'],
    blobCount: 3,
    entrances: clients.map((client, i) => ({ client, host: `127.0.0.1:${10 + i}` })),
    jobs: [],
  };

  it('names Azurite and its containers, and the Azure client with where its blobs come from', () => {
    const text = readyText(system);
    expect(text).toContain(
      '  Azure Blob Storage (Azurite): http://127.0.0.1:5, containers localregweu/images, localregeus2/images\n',
    );
    expect(text).toContain(
      "127.0.0.1:13  azure:westeurope    an Azure client in westeurope, a mirrored region at trafficShare 100%: blobs from its region's mirror\n",
    );
  });

  it('has no Azure line when Azure is off', () => {
    expect(readyText({ ...system, azure: undefined })).not.toContain('Azurite');
  });
});

describe('ports asked for', () => {
  it('are named by the flag they come from, ranges included', () => {
    expect(askedPorts({ registry: 5000, azurite: 5500, clients: 6000 }, 2, 2)).toEqual([
      [5000, '--port-registry'],
      [5001, '--port-registry + 1'],
      [5500, '--port-azurite'],
      [6000, '--port-clients'],
      [6001, '--port-clients + 1'],
    ]);
  });

  it('are refused when asked for twice, naming both', async () => {
    await expect(startLocalSystem({ ports: { registry: 5000, s3: 5001 } })).rejects.toThrow(
      'port 5001 is asked for twice: --port-registry + 1 and --port-s3',
    );
  });
});
