/**
 * The whole system on one machine (started once, by the same code as npm run local, with examples/local.yaml):
 * real clients of two lineages, skopeo (containers/image) and containerd (what kubelet pulls with), pull through
 * the front door and the redirector as each simulated client. Every case checks the digests pulled, and proves
 * which backend served each blob from that backend's own request log (the registry's and Azurite's access logs, the
 * S3 stand-in's request log), never from the redirector's word.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { RegistryClient } from '../../lib/oci';
import { blobKey } from '../../lib/topology/blob-layout';
import { LOCAL_RANGE_SOURCES } from '../../lib/local/clients';
import { type FrontDoor, startFrontDoor } from '../../lib/local/front-door';
import { type LocalRedirector, startRedirector } from '../../lib/local/redirector';
import { pushSampleImage, type SampleImage } from '../../lib/local/sample-image';
import { type LocalSystem, startLocalSystem } from '../../lib/local/system';
import { type LocalContainerd, startContainerd } from '../support/containerd';
import { pollUntil } from '../support/poll';
import { allDigests, blobDigests, servedDuring, SKOPEO_ALL_PLATFORMS, skopeoPlatform, skopeoPull } from './helpers';

const run = promisify(execFile);

/** Where each simulated client of examples/local.yaml must get its blobs: the registry, one bucket or container. */
const EXPECTED_SOURCE: ReadonlyArray<[client: string, source: string]> = [
  ['gcp:us-central1', 'registry'], // GCP is the upstream's cloud: straight from Artifact Registry
  ['aws:eu-west-1', 'local-registry-eu-west-1'], // a mirrored region: its own bucket
  ['aws:ap-northeast-3', 'local-registry-ap-northeast-1'], // aliased to ap-northeast-1: that bucket
  ['azure:westeurope', 'container localregweu/images'], // Azure at 100%: its region's container, in Azurite
  ['other', 'local-registry-us-east-2'], // no donor's network: us-central1's default backend
];

/** What a pull's backends served, as the expectation for a source of EXPECTED_SOURCE. */
function servedFrom(source: string, blobs: string[]) {
  const container = /^container (.+)$/.exec(source)?.[1];
  return {
    registry: source === 'registry' ? blobs : [],
    buckets: source === 'registry' || container ? {} : { [source]: blobs },
    containers: container ? { [container]: blobs } : {},
  };
}

type Puller = (host: string, image: string) => Promise<string[]>;

describe('pulls through the front door and the redirector (npm run local, examples/local.yaml)', () => {
  let system: LocalSystem;
  let containerd: LocalContainerd;
  let workDir: string;
  let namespaces = 0;
  const hostOf = (clientId: string) => system.entrances.find((e) => e.client.id === clientId)!.host;
  const imageRef = (image: SampleImage) => `${image.repository}:${image.tags[0]}`;

  const PULLERS: Record<string, Puller> = {
    skopeo: (host, image) => skopeoPull(host, image, workDir, SKOPEO_ALL_PLATFORMS),
    containerd: async (host, image) => {
      const namespace = `pull-${++namespaces}`; // a fresh namespace holds nothing: every blob is fetched
      await containerd.fetch(namespace, `${host}/${image}`, ['--all-platforms']);
      return (await containerd.contents(namespace)).sort();
    },
  };

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'e2e-pulls-'));
    const started = await Promise.allSettled([startLocalSystem(), startContainerd()]);
    if (started[0].status === 'fulfilled') system = started[0].value;
    if (started[1].status === 'fulfilled') containerd = started[1].value;
    for (const outcome of started) if (outcome.status === 'rejected') throw outcome.reason;
  });

  afterAll(async () => {
    await Promise.allSettled([system?.stop(), containerd?.stop()]);
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  describe.each(Object.keys(PULLERS))('with %s', (puller) => {
    it.each(EXPECTED_SOURCE)('as %s, every blob of both platforms comes from %s', async (clientId, source) => {
      const served = await servedDuring(system, () => PULLERS[puller]!(hostOf(clientId), imageRef(system.image)));
      expect(served).toEqual({ result: allDigests(system.image), ...servedFrom(source, blobDigests(system.image)) });
    });
  });

  describe('the Azure client with Azure dark (trafficShare 0), through a second redirector on the same backends', () => {
    let dark: LocalRedirector;
    let frontDoor: FrontDoor;
    const pullLines: Array<Record<string, unknown>> = [];

    beforeAll(async () => {
      const table = { ...system.table, mirrorShares: { ...system.table.mirrorShares, azure: 0 } };
      dark = await startRedirector({
        table,
        upstreamEndpoint: system.registries.get(system.redirectorRegion)!.url,
        ranges: LOCAL_RANGE_SOURCES,
        onLine: (line) => {
          const parsed = line.startsWith('{') ? (JSON.parse(line) as Record<string, unknown>) : {};
          if (parsed.message === 'image pull') pullLines.push(parsed);
        },
      });
      const client = system.entrances.find((e) => e.client.id === 'azure:westeurope')!.client;
      frontDoor = await startFrontDoor({ target: dark.host, clients: [client] });
    });

    afterAll(async () => {
      await Promise.allSettled([frontDoor?.stop(), dark?.stop()]);
    });

    it('pulls every blob from the default backend (us-east-2), none from Azurite; its pull line says out of the share', async () => {
      const host = frontDoor.entrances[0]!.host;
      const served = await servedDuring(system, () => PULLERS.skopeo!(host, imageRef(system.image)));
      expect(served).toEqual({
        result: allDigests(system.image),
        ...servedFrom('local-registry-us-east-2', blobDigests(system.image)),
      });
      // The redirector flushes its log lines at least once a second.
      await pollUntil(() => pullLines.length > 0, 5000, 'the pull line');
      for (const line of pullLines)
        expect(line).toMatchObject({ clientCloud: 'azure', clientRegion: 'westeurope', inShare: false });
    });
  });

  it.each([
    ['skopeo', 'arm64'],
    ['containerd', 'amd64'],
  ])('%s pulls one platform (linux/%s) out of the multi-platform index', async (puller, architecture) => {
    const image = system.image;
    const platform = image.platforms.find((p) => p.platform.architecture === architecture)!;
    const other = image.platforms.find((p) => p !== platform)!;
    const host = hostOf('aws:eu-west-1');
    const served = await servedDuring(system, async () => {
      if (puller === 'skopeo') return skopeoPull(host, imageRef(image), workDir, skopeoPlatform('linux', architecture));
      const namespace = `platform-${architecture}`;
      await containerd.fetch(namespace, `${host}/${imageRef(image)}`, ['--platform', `linux/${architecture}`]);
      return containerd.contents(namespace);
    });
    const platformBlobs = platform.blobs.map((b) => b.digest);
    expect(served.result).toEqual(expect.arrayContaining([platform.digest, ...platformBlobs]));
    expect(served.result).not.toContain(other.digest);
    for (const blob of other.blobs)
      if (!platformBlobs.includes(blob.digest)) expect(served.result).not.toContain(blob.digest);
    expect(served.buckets).toEqual({ 'local-registry-eu-west-1': [...new Set(platformBlobs)].sort() });
  });

  it('tags/list pagination through the redirect keeps n and last, up to the registry', async () => {
    const front = `http://${hostOf('other')}/v2/${system.image.repository}/tags/list?n=1&last=latest`;
    const redirect = await fetch(front, { redirect: 'manual' });
    expect(redirect.status).toBe(307);
    const location = new URL(redirect.headers.get('location')!);
    expect(`${location.protocol}//${location.host}`).toBe(system.registry.url);
    expect(location.pathname).toBe(`/v2/${system.upstreamPath}/${system.image.repository}/tags/list`);
    expect(Object.fromEntries(location.searchParams)).toEqual({ n: '1', last: 'latest' });

    const mark = system.registry.requests.mark();
    const answer = await fetch(location);
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ name: `${system.upstreamPath}/${system.image.repository}` });
    await system.registry.settle();
    // The registry's own log shows the query arrived intact. (Debian's distribution 2.8 ignores n and last for
    // tags/list and answers every tag; paging itself is the registry's business.)
    expect(system.registry.requests.since(mark)).toContainEqual({
      method: 'GET',
      path: location.pathname,
      query: '?n=1&last=latest',
      status: 200,
    });

    // A real client lists the tags through the front door.
    const { stdout } = await run('skopeo', [
      'list-tags',
      '--tls-verify=false',
      `docker://${hostOf('other')}/${system.image.repository}`,
    ]);
    expect((JSON.parse(stdout) as { Tags: string[] }).Tags.sort()).toEqual([...system.image.tags].sort());
  });

  it('a blob missing from one mirror comes from the registry, the others from the mirror', async () => {
    const client = new RegistryClient({ host: system.registry.host, insecure: true });
    let image: SampleImage;
    try {
      image = await pushSampleImage(client, system.upstreamPath, { repository: 'gap', tags: ['v1'], seed: 2 });
    } finally {
      client.close();
    }
    await system.replicate();
    const missing = image.platforms[1]!.blobs.at(-1)!.digest; // a layer of one platform only
    const bucket = 'local-registry-eu-west-1';
    await system.s3.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: blobKey(missing) }));

    const served = await servedDuring(system, () => PULLERS.skopeo!(hostOf('aws:eu-west-1'), imageRef(image)));
    expect(served.result).toEqual(allDigests(image));
    expect(served.registry).toEqual([missing]);
    expect(served.buckets).toEqual({ [bucket]: blobDigests(image).filter((digest) => digest !== missing) });
  });
});
