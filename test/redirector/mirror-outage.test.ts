/**
 * A mirror goes dark under a warm redirector, and comes back. Real components: the redirector as the image runs it
 * (bin/redirector.ts, spawned, with a 2 s breaker cool-down so that recovery fits in a test), the CNCF registry
 * standing for the upstream, the S3 stand-in (s3rver) as the AWS eu-west-1 mirror, the load balancer's front door,
 * and skopeo pulling as an AWS client in eu-west-1.
 *
 * The outages: connections refused, `503 Slow Down`, and no answer at all (the HEAD's time-out).
 * Each outage: a pull warms the instance (every blob confirmed in the mirror and cached); the mirror goes dark;
 * the time until a cached blob is no longer sent there is measured (the promise: under 5 s); a pull then gets
 * everything from the registry; the mirror comes back and gets its clients again, not before the cool-down; a pull
 * gets its blobs from the mirror again.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { SimulatedClient } from '../../lib/local/clients';
import { type FrontDoor, startFrontDoor } from '../../lib/local/front-door';
import { freePort } from '../../lib/local/ports';
import { type LocalRedirector, startRedirector } from '../../lib/local/redirector';
import { pushSampleImage, type SampleImage } from '../../lib/local/sample-image';
import { RegistryClient } from '../../lib/oci';
import { blobKey } from '../../lib/topology/blob-layout';
import { allDigests, blobDigests, bucketBlobs, registryBlobs, SKOPEO_ALL_PLATFORMS, skopeoPull } from '../e2e/helpers';
import { pollUntil } from '../support/poll';
import { type LocalRegistry, startRegistry } from '../support/registry';
import { type LocalS3, startS3 } from '../support/s3';
import { RANGE_SOURCES, smallTable } from './fixtures';

const BUCKET = 'small-registry-eu-west-1';
const CLIENT: SimulatedClient = {
  id: 'aws:eu-west-1',
  role: 'mirrored-region',
  address: '18.200.1.1',
  description: 'an AWS client in eu-west-1, a mirrored region',
};
const COOLDOWN_MS = 2000;
/** The promise: a dark mirror stops getting clients within this, however warm the cache. */
const STOP_WITHIN_MS = 5000;

let registry: LocalRegistry;
let image: SampleImage;
let upstreamPath: string;
let workDir: string;

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'mirror-outage-'));
  registry = await startRegistry({ parentDir: workDir });
  upstreamPath = smallTable().upstream.path;
  const client = new RegistryClient({ host: registry.host, insecure: true });
  image = await pushSampleImage(client, upstreamPath, { layerSize: 64 * 1024 });
});

afterAll(async () => {
  await registry?.stop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

/** The S3 stand-in with the image's blobs in the mirror bucket, as replication leaves them. */
async function startMirrorS3(port?: number): Promise<LocalS3> {
  const s3 = await startS3([BUCKET], { port, parentDir: workDir });
  try {
    for (const { digest } of image.blobs) {
      const blob = await fetch(`${registry.url}/v2/${upstreamPath}/${image.repository}/blobs/${digest}`);
      const body = Buffer.from(await blob.arrayBuffer());
      await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: blobKey(digest), Body: body }));
    }
  } catch (error) {
    await s3.stop();
    throw error;
  }
  return s3;
}

/** The mirror and the ways it goes dark and comes back. */
interface Mirror {
  /** `http://127.0.0.1:<port>`, as the routing table names it. */
  readonly endpoint: string;
  /** The stand-in serving it now: none while stopped (it comes back as a new one on the same port). */
  readonly s3: LocalS3 | undefined;
  goDark(): Promise<void>;
  comeBack(): Promise<void>;
  stop(): Promise<void>;
}

/** Stopped: the server is gone, connections are refused; it comes back on the same port with the same blobs. */
async function stoppedMirror(): Promise<Mirror> {
  let s3: LocalS3 | undefined = await startMirrorS3();
  const endpoint = s3.endpoint;
  const port = Number(new URL(endpoint).port);
  return {
    endpoint,
    get s3() {
      return s3;
    },
    async goDark() {
      await s3?.stop();
      s3 = undefined;
    },
    async comeBack() {
      s3 = await startMirrorS3(port);
    },
    async stop() {
      await s3?.stop();
    },
  };
}

/** Running, but failing every request to the bucket: answering `503 Slow Down`, or not answering at all. */
function runningMirror(outage: 503 | 'silent'): () => Promise<Mirror> {
  return async () => {
    const s3 = await startMirrorS3();
    return {
      endpoint: s3.endpoint,
      s3,
      goDark: async () => s3.setBucketDown(BUCKET, outage),
      comeBack: async () => s3.setBucketDown(BUCKET, false),
      stop: () => s3.stop(),
    };
  };
}

/** The redirector with the mirror at `mirrorEndpoint`, behind the front door the AWS client comes in by. */
async function startInstance(mirrorEndpoint: string) {
  const adminPort = await freePort();
  const redirector: LocalRedirector = await startRedirector({
    table: smallTable('us-central1', `${mirrorEndpoint}/{bucket}`),
    upstreamEndpoint: registry.url,
    ranges: RANGE_SOURCES,
    environment: { ADMIN_PORT: String(adminPort), BREAKER_COOLDOWN_SECONDS: String(COOLDOWN_MS / 1000) },
  });
  let frontDoor: FrontDoor;
  try {
    frontDoor = await startFrontDoor({ target: redirector.host, clients: [CLIENT] });
  } catch (error) {
    await redirector.stop();
    throw error;
  }
  const host = frontDoor.entrances[0]!.host;
  let blobRequests = 0;
  return {
    host,
    /** Blob requests made by redirectFor so far. */
    blobRequests: () => blobRequests,
    /** Where the client is sent for a blob (the redirect's Location), without following it. */
    async redirectFor(digest: string): Promise<string> {
      blobRequests++;
      const response = await fetch(`http://${host}/v2/${image.repository}/blobs/${digest}`, { redirect: 'manual' });
      await response.arrayBuffer();
      return response.headers.get('location') ?? `(no redirect: ${response.status})`;
    },
    /** The breaker gauge of the mirror's origin: 0 closed, 1 open, 2 half-open. */
    async breakerState(): Promise<number | undefined> {
      const text = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith(`redirector_breaker_state{origin="${mirrorEndpoint}"}`));
      return line === undefined ? undefined : Number(line.split(' ')[1]);
    },
    async stop() {
      await frontDoor.stop();
      await redirector.stop();
    },
  };
}

/** A pull of the sample image through the front door, and which blobs the registry and the mirror served. */
async function pull(host: string, mirror: Mirror) {
  const registryMark = registry.requests.mark();
  const mirrorLog = mirror.s3?.requests;
  const mirrorMark = mirrorLog?.mark();
  const pulled = await skopeoPull(host, `${image.repository}:${image.tags[0]}`, workDir, SKOPEO_ALL_PLATFORMS);
  await registry.settle();
  return {
    pulled,
    fromRegistry: registryBlobs(registry.requests.since(registryMark)),
    fromMirror: (mirrorLog && bucketBlobs(mirrorLog.since(mirrorMark))[BUCKET]) ?? [],
  };
}

describe.each([
  ['stopped (connections refused)', stoppedMirror],
  ['answering 503 Slow Down', runningMirror(503)],
  ['accepting connections and never answering (HEADs time out)', runningMirror('silent')],
])('a mirror %s under a warm redirector', (kind, startMirror) => {
  let mirror: Mirror;
  let instance: Awaited<ReturnType<typeof startInstance>>;

  beforeAll(async () => {
    mirror = await startMirror();
    instance = await startInstance(mirror.endpoint);
  });

  afterAll(async () => {
    await instance?.stop();
    await mirror?.stop();
  });

  it('stops getting clients within 5 s, pulls keep succeeding, and it gets them back after the cool-down', async () => {
    const everyBlob = blobDigests(image);
    const warm = await pull(instance.host, mirror);
    expect(warm).toEqual({ pulled: allDigests(image), fromRegistry: [], fromMirror: everyBlob });
    const cached = everyBlob[0]!;
    const sentToMirror = async () => (await instance.redirectFor(cached)).startsWith(`${mirror.endpoint}/${BUCKET}/`);
    expect(await sentToMirror()).toBe(true);
    expect(await instance.breakerState()).toBe(0);

    const mirrorLog = mirror.s3!.requests;
    const darkMark = mirrorLog.mark();
    const requestsBefore = instance.blobRequests();
    await mirror.goDark();
    const darkAt = performance.now();
    const stopMs = await pollUntil(async () => !(await sentToMirror()), 3 * STOP_WITHIN_MS, 'redirects stopping');
    expect(stopMs).toBeLessThan(STOP_WITHIN_MS);
    expect(await instance.redirectFor(cached)).toBe(
      `${registry.url}/v2/${upstreamPath}/${image.repository}/blobs/${cached}`,
    );
    expect(await instance.breakerState()).not.toBe(0);

    const during = await pull(instance.host, mirror);
    expect(during).toEqual({ pulled: allDigests(image), fromRegistry: everyBlob, fromMirror: [] });

    // What the dark mirror cost: a probe HEAD per second at most (it saw none when stopped), not one per request.
    const probeHeads = mirrorLog.since(darkMark).filter((e) => e.method === 'HEAD').length;
    const requestsWhileDark = instance.blobRequests() - requestsBefore;
    expect(probeHeads).toBeLessThanOrEqual(Math.ceil((performance.now() - darkAt) / 1000) + 1);
    await mirror.comeBack();
    const backMs = await pollUntil(sentToMirror, COOLDOWN_MS + 3 * STOP_WITHIN_MS, 'the mirror getting clients back');
    const darkMs = performance.now() - darkAt;
    expect(darkMs).toBeGreaterThanOrEqual(COOLDOWN_MS);
    expect(await instance.breakerState()).toBe(0);

    const after = await pull(instance.host, mirror);
    expect(after).toEqual({ pulled: allDigests(image), fromRegistry: [], fromMirror: everyBlob });
    console.log(
      `mirror ${kind}: redirects stopped ${Math.round(stopMs)} ms after it went dark (limit ${STOP_WITHIN_MS}); ` +
        `clients back ${Math.round(backMs)} ms after it came back, ${Math.round(darkMs)} ms after it went dark ` +
        `(cool-down ${COOLDOWN_MS}); ${probeHeads} HEADs reached it while dark, for ${requestsWhileDark} blob requests`,
    );
  });
});
