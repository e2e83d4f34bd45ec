/**
 * A mirror goes down while the redirector instance is warm (its existence cache says the mirror has every blob):
 * within 5 s the redirector stops sending clients there, and pulls succeed, the blobs then coming from the
 * registry. Its own system: the outage must not leak into the other end-to-end cases. (Recovery after the breaker's
 * cool-down, and a mirror answering 503, are in test/redirector/mirror-outage.test.ts, with a short cool-down.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalSystem, startLocalSystem } from '../../lib/local/system';
import { pollUntil } from '../support/poll';
import { allDigests, blobDigests, servedDuring, SKOPEO_ALL_PLATFORMS, skopeoPull } from './helpers';

const MIRRORED_CLIENT = 'aws:eu-west-1';
const ITS_BUCKET = 'local-registry-eu-west-1';
/** The promise: a dark mirror stops getting clients within this, however warm the cache. */
const STOP_WITHIN_MS = 5000;

describe('a mirror stopped while the redirector is warm', () => {
  let system: LocalSystem;
  let workDir: string;
  const host = () => system.entrances.find((e) => e.client.id === MIRRORED_CLIENT)!.host;
  const pull = (flags = SKOPEO_ALL_PLATFORMS) =>
    skopeoPull(host(), `${system.image.repository}:${system.image.tags[0]}`, workDir, flags);
  /** Whether the client is sent to its mirror for a blob (the redirect's Location, not followed). */
  const sentToMirror = async (digest: string) => {
    const target = `http://${host()}/v2/${system.image.repository}/blobs/${digest}`;
    const response = await fetch(target, { redirect: 'manual' });
    await response.arrayBuffer();
    return response.headers.get('location')?.startsWith(`${system.s3.endpoint}/${ITS_BUCKET}/`) === true;
  };

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'e2e-outage-'));
    system = await startLocalSystem();
  });

  afterAll(async () => {
    await system?.stop();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('stops sending clients there within 5 s and still serves pulls, from the registry', async () => {
    const warm = await servedDuring(system, pull);
    expect(warm.buckets).toEqual({ [ITS_BUCKET]: blobDigests(system.image) });
    const cached = blobDigests(system.image)[0]!;
    expect(await sentToMirror(cached)).toBe(true);

    system.s3.setBucketDown(ITS_BUCKET, true);
    // Started the moment the mirror goes down, before the redirector can know: its first blob GETs reach the dead
    // mirror and fail (EOF), and skopeo's retries (as Docker retries a layer, and the kubelet a pull) come after
    // the redirector stopped sending clients there. Without --retry-times this pull fails.
    const pulledAtOnce = pull([...SKOPEO_ALL_PLATFORMS, '--retry-times', '3']);
    const stopMs = await pollUntil(async () => !(await sentToMirror(cached)), 3 * STOP_WITHIN_MS, 'redirects stopping');
    expect(stopMs).toBeLessThan(STOP_WITHIN_MS);
    expect(await pulledAtOnce).toEqual(allDigests(system.image));

    const during = await servedDuring(system, pull);
    expect(during.result).toEqual(allDigests(system.image));
    expect(during.registry).toEqual(blobDigests(system.image));
    expect(during.buckets).toEqual({});
  });
});
