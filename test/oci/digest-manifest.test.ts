import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DigestMismatchError,
  HashingStream,
  isCosignTag,
  MediaType,
  parseChallenge,
  parseManifest,
  parseRegistryLocation,
  parseTokenResponse,
  sha256Digest,
  sha256DigestToBase64,
  cosignTags,
  tokenUrl,
  VerifyingStream,
} from '../../lib/oci';

async function through(chunks: Buffer[], verifier: VerifyingStream): Promise<Buffer[]> {
  const received: Buffer[] = [];
  await pipeline(
    Readable.from(chunks),
    verifier,
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        received.push(chunk);
        callback();
      },
    }),
  );
  return received;
}

describe('VerifyingStream', () => {
  const chunks = [Buffer.from('hello '), Buffer.from('blob '), Buffer.from('world')];
  const digest = sha256Digest(Buffer.concat(chunks));

  it('passes the right bytes through unchanged', async () => {
    expect(Buffer.concat(await through(chunks, new VerifyingStream(digest, 16))).toString()).toBe('hello blob world');
  });

  it.each([
    ['a wrong digest', new VerifyingStream(sha256Digest('other'))],
    ['a short body', new VerifyingStream(digest, 17)],
    ['a long body', new VerifyingStream(digest, 10)],
  ])('fails on %s and never releases the last chunk', async (_case, verifier) => {
    const received: Buffer[] = [];
    await expect(
      pipeline(
        Readable.from(chunks),
        verifier,
        new Writable({
          write(chunk: Buffer, _encoding, callback) {
            received.push(chunk);
            callback();
          },
        }),
      ),
    ).rejects.toBeInstanceOf(DigestMismatchError);
    expect(Buffer.concat(received).length).toBeLessThan(16);
  });

  it('converts digests to S3 checksums', () => {
    expect(sha256DigestToBase64(sha256Digest(''))).toBe('47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=');
  });
});

describe('HashingStream', () => {
  it.each([
    ['sha256', sha256Digest('hello blob world').slice('sha256:'.length)],
    ['md5', '4c499f536e2e6db50ff8fa36110206ad'],
  ])('passes the bytes through unchanged, counting them and learning their %s', async (algorithm, hex) => {
    const hashing = new HashingStream(algorithm);
    const received: Buffer[] = [];
    await pipeline(
      Readable.from([Buffer.from('hello '), Buffer.from('blob '), Buffer.from('world')]),
      hashing,
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          received.push(chunk);
          callback();
        },
      }),
    );
    expect(Buffer.concat(received).toString()).toBe('hello blob world');
    expect(hashing.size).toBe(16);
    expect(hashing.hex()).toBe(hex);
  });
});

describe('parseManifest', () => {
  const descriptor = (n: number, mediaType = 'application/vnd.oci.image.layer.v1.tar') => ({
    mediaType,
    digest: `sha256:${String(n).repeat(64)}`,
    size: n,
  });
  it('walks an index to its platform manifests', () => {
    const index = {
      schemaVersion: 2,
      mediaType: MediaType.ociIndex,
      manifests: [descriptor(1, MediaType.ociManifest), descriptor(2, MediaType.ociManifest)],
    };
    const parsed = parseManifest(Buffer.from(JSON.stringify(index)));
    expect(parsed.kind === 'index' && parsed.manifests.map((m) => m.size)).toEqual([1, 2]);
  });

  it('lists config and layers, skipping foreign layers; media type from Content-Type when absent', () => {
    const image = {
      schemaVersion: 2,
      config: descriptor(3),
      layers: [descriptor(4), descriptor(5, 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip')],
    };
    const parsed = parseManifest(Buffer.from(JSON.stringify(image)), `${MediaType.dockerManifest}; charset=utf-8`);
    expect(parsed.mediaType).toBe(MediaType.dockerManifest);
    expect(parsed.kind === 'image' && parsed.blobs.map((b) => b.size)).toEqual([3, 4]);
  });

  it.each([
    ['not json', /not JSON/],
    ['{"schemaVersion":1,"fsLayers":[]}', /schema 1 is not supported/],
    [
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.ociManifest,
        config: { mediaType: 'x', digest: 'sha256:zz', size: 1 },
        layers: [],
      }),
      /config\.digest: not a valid digest/,
    ],
  ])('refuses %s', (text, message) => expect(() => parseManifest(Buffer.from(text))).toThrow(message));
});

describe('names, tags and challenges', () => {
  it('names cosign tags', () => {
    const digest = sha256Digest('x');
    expect(cosignTags(digest)).toEqual(['sig', 'att', 'sbom'].map((s) => `${digest.replace(':', '-')}.${s}`));
    expect(cosignTags(digest).every(isCosignTag)).toBe(true);
    expect(isCosignTag('v1.0')).toBe(false);
  });

  it.each([
    [
      'us-central1-docker.pkg.dev/k8s-artifacts-prod/images',
      { host: 'us-central1-docker.pkg.dev', path: 'k8s-artifacts-prod/images' },
    ],
    ['127.0.0.1:5000/a/', { host: '127.0.0.1:5000', path: 'a' }],
  ])('parses location %s', (text, expected) => expect(parseRegistryLocation(text)).toEqual(expected));

  it.each([
    ['nohost', /"nohost" is not <host>\/<repository path>/],
    ['/path', /"\/path" is not <host>\/<repository path>/],
    ['host:99999/x', /"host:99999" is not a registry host/],
    ['host/UPPER', /"UPPER" is not a valid repository path/],
  ])('refuses location %s, naming what is wrong', (text, message) =>
    expect(() => parseRegistryLocation(text)).toThrow(message),
  );

  it('parses Bearer challenges and builds the token URL', () => {
    const challenge = parseChallenge(
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"',
    )!;
    expect(challenge).toEqual({
      scheme: 'bearer',
      params: {
        realm: 'https://auth.docker.io/token',
        service: 'registry.docker.io',
        scope: 'repository:library/alpine:pull',
      },
    });
    expect(tokenUrl(challenge, ['repository:a:pull', 'repository:b:pull,push']).href).toBe(
      'https://auth.docker.io/token?service=registry.docker.io&scope=repository%3Aa%3Apull&scope=repository%3Ab%3Apull%2Cpush',
    );
    expect(parseChallenge('Basic realm="registry"')).toEqual({ scheme: 'basic', params: { realm: 'registry' } });
  });

  it('reads token responses (token or access_token, 60 s default)', () => {
    expect(parseTokenResponse({ token: 't' }, 0)).toEqual({ token: 't', expiresAt: 50_000 });
    expect(parseTokenResponse({ access_token: 'a', expires_in: 3600 }, 0).token).toBe('a');
    expect(() => parseTokenResponse({}, 0)).toThrow(/without a token/);
  });
});
