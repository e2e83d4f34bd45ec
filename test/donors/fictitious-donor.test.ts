/**
 * Issue 14's acceptance: a donor defined only inside this test (test/donors/fixtures: its ranges, its section and
 * URLs, a tiny CDK for Terraform app, a directory destination) shows up in synth output, in the redirector's
 * decisions and in the replicator's targets, with no file outside this folder knowing it. Each consumer gets the
 * donor list as a parameter; the registered donors alone know nothing of `fict`, which each part checks too.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { DONORS } from '../../lib/clouds/donors';
import { jobArgs } from '../../lib/clouds/gcp/infra/replication-args';
import { RegistryClient } from '../../lib/oci';
import { ClientResolver } from '../../lib/redirector/client';
import { decide } from '../../lib/redirector/decide';
import { RangeIndex } from '../../lib/redirector/range-index';
import { parseRequest } from '../../lib/redirector/route';
import { partialShareClouds } from '../../lib/redirector/share';
import { DESTINATION_KINDS, runReplicate } from '../../lib/replicator';
import { readCdktfConfigs } from '../../lib/synth/read-output';
import { synthesize } from '../../lib/synth/synthesize';
import { synthTargets, topologySynthTargets } from '../../lib/synth/targets';
import {
  parseTopologyText,
  parseTopology,
  readTopologyFile,
  replicationJobs,
  routingTableFor,
  TopologyError,
  type Topology,
} from '../../lib/topology';
import { blobKey, markerKey } from '../../lib/topology/blob-layout';
import { pushSampleImages } from '../support/images';
import { startRegistry, type LocalRegistry } from '../support/registry';
import { FICT_KIND, FICT_RANGES_FILE, fictDonor, parseFictRanges, WITH_FICT } from './fixtures/fict-donor';
import { FICT_DIRECTORY_KIND } from './fixtures/fict-storage';

const REPO = resolve(__dirname, '..', '..');
const SMALL = join(REPO, 'test', 'fixtures', 'topology-small.yaml');
const DIGEST = `sha256:${'5'.repeat(64)}`;
const BLOBS = 'https://blobs.fictional.example';

let work: string;
let store: string;

/** The small topology with a `fict` section (`fict.trafficShare` as given). */
function withFict(share: number, extra: Record<string, unknown> = {}): unknown {
  const raw = parseTopologyText(readFileSync(SMALL, 'utf8'), SMALL) as Record<string, unknown>;
  return {
    ...raw,
    fict: {
      regions: ['fict-north', 'fict-south'],
      blobBaseUrl: BLOBS,
      storeDirectory: store,
      trafficShare: share,
      ...extra,
    },
  };
}

function topologyFile(share: number): string {
  const path = join(work, `topology-${share}.json`);
  writeFileSync(path, JSON.stringify(withFict(share)));
  return path;
}

function problemsOf(raw: unknown): string[] {
  try {
    parseTopology(raw, 'test', WITH_FICT);
    return [];
  } catch (err) {
    if (err instanceof TopologyError) return err.problems.map((p) => `${p.path}: ${p.message}`);
    throw err;
  }
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'fict-donor-'));
  store = join(work, 'store');
  mkdirSync(store);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('its topology section', () => {
  it('is read and defaulted under its id, like the registered donors', () => {
    const topology = parseTopology(withFict(1.5), 'test', WITH_FICT) as Topology & Record<string, unknown>;
    expect(topology.fict).toEqual({
      regions: ['fict-north', 'fict-south'],
      blobBaseUrl: BLOBS,
      storeDirectory: store,
      enabled: true,
      trafficShare: 1.5,
    });
  });

  it.each<[string, Record<string, unknown>, string[]]>([
    [
      'its own rules, with their paths',
      { regions: ['fict-north', 'fict-north'] },
      ['fict.regions[1]: duplicate "fict-north" (already at fict.regions[0])'],
    ],
    [
      'its schema, with its paths',
      { regions: ['north'] },
      ['fict.regions[0]: is not a Fictional Cloud region (got "north")'],
    ],
    [
      'the share every donor has',
      { trafficShare: 101 },
      ['fict.trafficShare: Too big: expected number to be <=100 (got 101)'],
    ],
    [
      'the switch every donor has',
      { enabled: 'yes' },
      ['fict.enabled: Invalid input: expected boolean, received string (got "yes")'],
    ],
  ])('is validated: %s', (_name, change, expected) => {
    expect(
      problemsOf({ ...(withFict(0) as object), fict: { ...(withFict(0) as { fict: object }).fict, ...change } }),
    ).toEqual(expected);
  });

  it('is unknown to the registered donors alone', () => {
    expect(() => parseTopology(withFict(0), 'test')).toThrow(/\(root\): Unrecognized key: "fict"/);
  });
});

describe('synth', () => {
  it('runs its app as one more target, into its own directory', async () => {
    const topology = readTopologyFile(topologyFile(100), WITH_FICT);
    expect(topologySynthTargets(topology, WITH_FICT, REPO).map((t) => t.donor)).toEqual(['aws', 'gcp', 'fict']);
    expect(synthTargets(undefined, REPO).map((t) => t.donor)).not.toContain('fict');

    let stdout = '';
    let stderr = '';
    const out = Object.assign(new PassThrough(), {}).on('data', (c: Buffer) => (stdout += c.toString()));
    const err = new PassThrough().on('data', (c: Buffer) => (stderr += c.toString()));
    // Only its own app: the registered apps read topologies with the registered donors, to which `fict` is unknown.
    const code = await synthesize({
      topology: topologyFile(100),
      only: 'fict',
      env: {},
      root: REPO,
      cwd: work,
      donors: WITH_FICT,
      stdout: out,
      stderr: err,
    });
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(/^Fictional Cloud: 1 stacks, 2 resources -> cdktf\.fict\.out\/$/m);
    const stores = readCdktfConfigs(join(work, 'cdktf.fict.out'))['fict-storage']!.resource!.fict_blob_store!;
    expect(Object.values(stores).map((s) => (s as { region: string }).region)).toEqual(['fict-north', 'fict-south']);
  }, 120_000);
});

describe("the redirector's decisions", () => {
  const ranges = parseFictRanges(JSON.parse(readFileSync(FICT_RANGES_FILE, 'utf8')), FICT_RANGES_FILE);
  const index = new RangeIndex([{ cloud: fictDonor.id, ranges }]);
  const blob = parseRequest('GET', `/v2/app/blobs/${DIGEST}`);

  function decision(share: number, address: string, donors = WITH_FICT) {
    const table = routingTableFor(readTopologyFile(topologyFile(share), WITH_FICT), 'us-central1', donors);
    const client = new ClientResolver(index, 0, partialShareClouds(table)).resolve(undefined, address);
    return decide(blob, client, table);
  }

  it.each<[number, string, string]>([
    [100, '198.51.100.7', `${BLOBS}/fict-north`],
    [100, '198.51.100.200', `${BLOBS}/fict-south`],
    [100, '2001:db8:f1c7::1', `${BLOBS}/fict-north`],
    // Dark launch: its clients get the region's default backend.
    [0, '198.51.100.7', 'https://small-registry-us-east-2.s3.dualstack.us-east-2.amazonaws.com'],
  ])('at a share of %d%%, sends %s to %s', (share, address, base) => {
    expect(decision(share, address).location).toBe(`${base}/${blobKey(DIGEST)}`);
  });

  it('follows the share: some clients at 50%, each always the same way', () => {
    const addresses = Array.from({ length: 200 }, (_, i) => `198.51.100.${i % 128}`);
    const labels = addresses.map((address) => decision(50, address).label);
    expect(new Set(labels)).toEqual(new Set(['mirror', 'default']));
    expect(addresses.map((address) => decision(50, address).label)).toEqual(labels);
  });

  it('is the default for its clients when only the registered donors route', () => {
    expect(decision(100, '198.51.100.7', DONORS).label).toBe('default');
  });
});

describe("the replicator's targets", () => {
  let registry: LocalRegistry;
  beforeAll(async () => {
    registry = await startRegistry();
  });
  afterAll(() => registry?.stop());

  it('include a job into its storage, which copies every blob and marks every image', async () => {
    const topology = readTopologyFile(topologyFile(0), WITH_FICT);
    const jobs = replicationJobs(topology, WITH_FICT);
    expect(jobs.map((j) => `${j.donor}/${j.job}`)).toEqual(['aws/s3', 'gcp/registries', 'fict/fict']);
    expect(replicationJobs(topology).map((j) => j.donor)).not.toContain('fict');

    const client = new RegistryClient({ host: registry.host, insecure: true });
    const images = await pushSampleImages(client, 'images', 2048);
    const fict = jobs.find((j) => j.donor === 'fict')!;
    // The job's command line as Cloud Run gets it, its source moved to the local registry.
    const argv = jobArgs(topology, fict).map((arg) =>
      arg === 'us-central1-docker.pkg.dev/small-artifacts/images' ? `${registry.host}/images` : arg,
    );
    expect(argv.slice(0, 5)).toEqual([FICT_KIND, '--source', `${registry.host}/images`, '--directory', store]);
    let stderr = '';
    const code = await runReplicate(
      [...argv, '--insecure-registry', registry.host],
      {
        env: {},
        stderr: new PassThrough().on('data', (c: Buffer) => (stderr += c.toString())),
        output: new PassThrough(),
      },
      [...DESTINATION_KINDS, FICT_DIRECTORY_KIND],
    );
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    for (const digest of images.blobs.keys()) expect(existsSync(join(store, blobKey(digest)))).toBe(true);
    for (const root of images.roots) expect(existsSync(join(store, markerKey(root.digest)))).toBe(true);
  }, 120_000);

  it('name a kind the registered kinds alone do not know', async () => {
    let stderr = '';
    const code = await runReplicate([FICT_KIND, '--source', 'h/p'], {
      env: {},
      stderr: new PassThrough().on('data', (c: Buffer) => (stderr += c.toString())),
    });
    expect(code).toBe(2);
    expect(stderr).toContain(`unknown subcommand "${FICT_KIND}"`);
  });
});
