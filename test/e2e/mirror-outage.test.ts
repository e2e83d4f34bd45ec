/**
 * A mirror goes down while the redirector instance is warm (its existence cache says the mirror has every blob):
 * pulls must still succeed, the blobs then coming from the registry. Its own system: the outage must not leak
 * into the other end-to-end cases.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalSystem, startLocalSystem } from '../../lib/local/system';
import { allDigests, blobDigests, servedDuring, SKOPEO_ALL_PLATFORMS, skopeoPull } from './helpers';

const MIRRORED_CLIENT = 'aws:eu-west-1';
const ITS_BUCKET = 'local-registry-eu-west-1';

// Skipped until the redirector's breaker covers cached answers (the redirector issue's breaker work, being built
// now): a warm instance answers from its existence cache without a HEAD, so it keeps sending clients to the stopped
// mirror and skopeo's blob GET fails with EOF. The same outage on a cold instance passes (the HEAD fails, the blob
// comes from the registry). Enable it with that fix.
describe.skip('a mirror stopped while the redirector is warm', () => {
  let system: LocalSystem;
  let workDir: string;
  const pull = () => {
    const host = system.entrances.find((e) => e.client.id === MIRRORED_CLIENT)!.host;
    return skopeoPull(host, `${system.image.repository}:${system.image.tags[0]}`, workDir, SKOPEO_ALL_PLATFORMS);
  };

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'e2e-outage-'));
    system = await startLocalSystem();
  });

  afterAll(async () => {
    await system?.stop();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('still serves pulls, from the registry', async () => {
    const warm = await servedDuring(system, pull);
    expect(warm.buckets).toEqual({ [ITS_BUCKET]: blobDigests(system.image) });

    system.s3.setBucketDown(ITS_BUCKET, true);
    const during = await servedDuring(system, pull);
    expect(during.result).toEqual(allDigests(system.image));
    expect(during.registry).toEqual(blobDigests(system.image));
    expect(during.buckets).toEqual({});
  });
});
