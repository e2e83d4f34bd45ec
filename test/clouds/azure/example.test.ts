/**
 * examples/azure.yaml: the default topology with Azure onboarded. It synthesizes (`npm run synth`, the Azure app
 * beside AWS's and GCP's), and real Azure client addresses (from the service-tags file in ../shared/data/ip-ranges)
 * go, through the routing table built from it and the redirector's own resolver and decide, to their region's blob
 * container when in the share, to the redirector region's default when not.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ClientResolver } from '../../../lib/redirector/client';
import { decide } from '../../../lib/redirector/decide';
import { readCloudRanges } from '../../../lib/redirector/load-ranges';
import { RangeIndex } from '../../../lib/redirector/range-index';
import { parseRequest } from '../../../lib/redirector/route';
import { partialShareClouds } from '../../../lib/redirector/share';
import { tsxNodeArgs } from '../../../lib/synth/tsx';
import {
  DEFAULT_TOPOLOGY,
  defaultBlobBaseUrl,
  loadTopology,
  parseTopology,
  routingTableFor,
  type RoutingTable,
} from '../../../lib/topology';
import { addressesIn, HAVE_REAL_RANGES, REAL_RANGE_SOURCES } from '../../support/real-ranges';

const REPO = resolve(__dirname, '..', '..', '..');
const EXAMPLE = join(REPO, 'examples', 'azure.yaml');
const topology = loadTopology({ flag: EXAMPLE, env: {} }).topology;
const DIGEST = `sha256:${'ab'.repeat(32)}`;

describe('examples/azure.yaml', () => {
  it('is the default topology and an Azure section: on, two mirror regions, at a 10% share', () => {
    const { azure, ...rest } = topology;
    expect(rest).toEqual(parseTopology(DEFAULT_TOPOLOGY, 'default'));
    expect(azure).toMatchObject({ enabled: true, trafficShare: 10, mirrorRegions: ['westeurope', 'eastus2'] });
  });

  it('synthesizes with npm run synth: the Azure app beside the AWS and GCP apps', () => {
    const work = mkdtempSync(join(tmpdir(), 'azure-example-synth-'));
    try {
      const env = { ...process.env };
      delete env.TOPOLOGY;
      const synth = spawnSync(
        process.execPath,
        [...tsxNodeArgs(join(REPO, 'bin', 'synth.ts')), '--topology', EXAMPLE],
        { cwd: work, env, encoding: 'utf8' },
      );
      expect(synth.stderr).toBe('');
      expect(synth.status).toBe(0);
      expect(synth.stdout).toMatch(/^AWS: \d+ stacks, \d+ resources -> cdk\.out\/$/m);
      expect(synth.stdout).toMatch(/^GCP: \d+ stacks, \d+ resources -> cdktf\.out\/$/m);
      expect(synth.stdout).toMatch(/^Azure: 1 stacks, \d+ resources -> cdktf\.out\.azure\/$/m);
      const stack = JSON.parse(
        readFileSync(join(work, 'cdktf.out.azure', 'stacks', 'azure-mirrors', 'cdk.tf.json'), 'utf8'),
      ) as { resource: Record<string, Record<string, { name?: string }>> };
      const accounts = Object.values(stack.resource.azurerm_storage_account!).map((account) => account.name);
      expect(accounts.sort()).toEqual(['k8sregistryeus2', 'k8sregistryweu']);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 120_000);

  it('bin/azure.ts refuses a topology without an enabled Azure section, writing nothing', () => {
    const work = mkdtempSync(join(tmpdir(), 'azure-app-'));
    try {
      const env: NodeJS.ProcessEnv = { ...process.env, CDKTF_OUTDIR: join(work, 'out') };
      delete env.TOPOLOGY;
      const app = spawnSync(process.execPath, tsxNodeArgs(join(REPO, 'bin', 'azure.ts')), { env, encoding: 'utf8' });
      expect(app.status).toBe(1);
      expect(app.stderr).toBe(
        'this topology has no enabled azure section (azure.enabled): there is no Azure app to synthesize\n',
      );
      expect(readdirSync(work)).toEqual([]);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});

(HAVE_REAL_RANGES ? describe : describe.skip)('real Azure addresses, routed by examples/azure.yaml', () => {
  const clouds = REAL_RANGE_SOURCES.map(readCloudRanges);
  const azureRanges = clouds.find((cloud) => cloud.cloud === 'azure')!.ranges;
  const index = new RangeIndex(clouds);
  const route = parseRequest('GET', `/v2/pause/blobs/${DIGEST}`);
  const REGION = 'us-central1';
  const defaultUrl = `${defaultBlobBaseUrl(topology, REGION)}/containers/images/${DIGEST}`;

  /** Where the blob request of each of `count` addresses of a client region goes, with the table for `share`. */
  function decisions(clientRegion: string, share: number, count: number) {
    const table: RoutingTable = {
      ...routingTableFor(topology, REGION),
      mirrorShares: { azure: share },
    };
    const resolver = new ClientResolver(index, 0, partialShareClouds(table));
    const addresses = addressesIn(
      azureRanges.filter((range) => range.region === clientRegion),
      count,
      clientRegion.length,
    );
    return addresses.map((address) => {
      const client = resolver.resolve(undefined, address.text);
      return { address: address.text, client, decision: decide(route, client, table) };
    });
  }

  it("carries the section's share and mirrors into the routing table", () => {
    const table = routingTableFor(topology, REGION);
    expect(table.mirrorShares).toEqual({ azure: 10 });
    expect(table.mirrors.azure).toEqual({
      eastus: 'https://k8sregistryeus2.blob.core.windows.net/images',
      eastus2: 'https://k8sregistryeus2.blob.core.windows.net/images',
      northeurope: 'https://k8sregistryweu.blob.core.windows.net/images',
      westeurope: 'https://k8sregistryweu.blob.core.windows.net/images',
    });
  });

  it.each([
    ['westeurope', 'k8sregistryweu'],
    ['eastus2', 'k8sregistryeus2'],
    ['northeurope', 'k8sregistryweu'], // an alias
    ['eastus', 'k8sregistryeus2'], // an alias
  ])('%s clients: located there; in the share to %s, the others to the default', (region, account) => {
    const mirrorUrl = `https://${account}.blob.core.windows.net/images/containers/images/${DIGEST}`;
    const at10 = decisions(region, 10, 400);
    for (const { client } of at10) expect(client).toMatchObject({ location: { cloud: 'azure', region } });
    for (const { decision } of at10) expect(decision.location).toBe(decision.inShare ? mirrorUrl : defaultUrl);
    const inShare = at10.filter(({ decision }) => decision.inShare).length;
    expect(inShare).toBeGreaterThan(15); // 10% of 400 is 40; the same addresses at 100%:
    const at100 = decisions(region, 100, 400);
    expect(at100.map(({ decision }) => decision.location)).toEqual(at100.map(() => mirrorUrl));
  });

  it('sends clients of an Azure region without a mirror to the default, whatever the share', () => {
    for (const { client, decision } of decisions('japaneast', 100, 100)) {
      expect(client).toMatchObject({ location: { cloud: 'azure', region: 'japaneast' } });
      expect(decision.location).toBe(defaultUrl);
    }
  });
});
