/**
 * A registry destination that lists a repository's manifests with its tags (the `manifest` map of Container
 * Registry and Artifact Registry) answers "is this image here?" from one listing per repository, not one HEAD per
 * image; one that does not is asked by HEAD, as the distribution spec allows. Against a stand-in that counts what
 * it is asked.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { RegistryClient, sha256Digest } from '../../lib/oci';
import { type ImageRef, registryDestinations } from '../../lib/replicator';
import type { ManifestNode } from '../../lib/replicator';

const digest = (name: string) => sha256Digest(Buffer.from(name));
const image = (repository: string, name: string): ImageRef => ({ repository, digest: digest(name), tags: [] });

describe('a registry destination asking whether it holds an image', () => {
  let server: http.Server;
  let host: string;
  /** What the stand-in holds: repository (under `mirror/`) -> manifest digests. */
  const held = new Map<string, Set<string>>();
  let listsManifests = true;
  const asked: string[] = [];

  beforeAll(async () => {
    server = http.createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://stand-in');
      asked.push(`${request.method} ${url.pathname}`);
      const match = /^\/v2\/mirror\/(.+)\/(tags\/list|manifests\/(.+))$/.exec(url.pathname);
      const digests = match ? (held.get(match[1]!) ?? new Set<string>()) : new Set<string>();
      if (match?.[2] === 'tags/list') {
        const manifest = Object.fromEntries([...digests].map((d) => [d, { tag: [] }]));
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ name: match[1], tags: [], ...(listsManifests ? { manifest } : {}) }));
      } else if (match && request.method === 'PUT') {
        request.resume();
        request.on('end', () => {
          digests.add(match[3]!);
          held.set(match[1]!, digests);
          response.writeHead(201).end();
        });
      } else {
        response.writeHead(match && digests.has(match[3]!) ? 200 : 404, { 'docker-content-digest': match?.[3] ?? '' });
        response.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  let client: RegistryClient;
  beforeEach(() => {
    held.clear();
    asked.length = 0;
    listsManifests = true;
    client = new RegistryClient({ host, insecure: true });
  });
  afterEach(() => client.close());

  const destination = () => registryDestinations([{ client, location: { host, path: 'mirror' } }])[0]!;

  it('lists a repository once for all its images, and HEADs nothing', async () => {
    held.set('app', new Set([digest('v1'), digest('v2')]));
    const mirror = destination();
    const answers = await Promise.all(['v1', 'v2', 'v3'].map((name) => mirror.holdsImage(image('app', name))));
    expect(answers).toEqual([true, true, false]);
    expect(asked).toEqual(['GET /v2/mirror/app/tags/list']);
  });

  it('asks by HEAD a registry that does not list manifests', async () => {
    listsManifests = false;
    held.set('app', new Set([digest('v1')]));
    const mirror = destination();
    expect(await mirror.holdsImage(image('app', 'v1'))).toBe(true);
    expect(await mirror.holdsImage(image('app', 'v2'))).toBe(false);
    expect(asked).toEqual([
      'GET /v2/mirror/app/tags/list',
      `HEAD /v2/mirror/app/manifests/${digest('v1')}`,
      `HEAD /v2/mirror/app/manifests/${digest('v2')}`,
    ]);
  });

  it('counts what it committed since it listed', async () => {
    const mirror = destination();
    const app = image('app', 'v1');
    expect(await mirror.holdsImage(app)).toBe(false);
    const root: ManifestNode = {
      digest: app.digest,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      bytes: Buffer.from('v1'),
      children: [],
      blobs: [],
    };
    await mirror.commitManifest(app, root);
    expect(await mirror.holdsImage(app)).toBe(true);
    expect(asked.filter((request) => request.endsWith('tags/list'))).toHaveLength(1);
  });

  it('keeps the listings of the repositories asked about last, and lists again one it let go', async () => {
    const mirror = destination();
    for (let r = 0; r <= 64; r++) await mirror.holdsImage(image(`r${r}`, 'v1'));
    await mirror.holdsImage(image('r64', 'v2')); // kept
    await mirror.holdsImage(image('r0', 'v2')); // the oldest of 65: let go
    const listings = asked.filter((request) => request.endsWith('tags/list'));
    expect(listings).toHaveLength(66);
    expect(listings.at(-1)).toBe('GET /v2/mirror/r0/tags/list');
  });
});
