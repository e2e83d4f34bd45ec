/** The pure routing functions: parseRequest (what is asked), ClientResolver (who asks), decide/settle (where it goes). */
import { ClientResolver, forwardedForHeader } from '../../lib/redirector/client';
import { CLIENT_NOT_NEEDED, decide, settle, UNLISTED_CLIENT, type Client } from '../../lib/redirector/decide';
import type { RangeIndex } from '../../lib/redirector/range-index';
import { needsClient, parseRequest, safeQuery } from '../../lib/redirector/route';
import { DIGEST, fixtureIndex, HEX64, smallTable } from './fixtures';

// Spelled out, not imported: a test comparing with the constant itself would not notice the constant going wrong.
const JSON_TYPE = 'application/json; charset=utf-8';
const TEXT_TYPE = 'text/plain; charset=utf-8';

describe('parseRequest', () => {
  it.each([
    ['POST', '/v2/', { kind: 'method-not-allowed' }],
    ['DELETE', '/v2/pause/manifests/3.9', { kind: 'method-not-allowed' }],
    [undefined, '/', { kind: 'method-not-allowed' }],
    ['get', '/', { kind: 'method-not-allowed' }],
    ['GET', '/', { kind: 'root' }],
    ['HEAD', '/?x=1', { kind: 'root' }],
    ['GET', '/privacy', { kind: 'privacy' }],
    ['GET', '/-/healthy', { kind: 'healthy' }],
    ['GET', '/-/ready', { kind: 'ready' }],
    ['GET', '/v2', { kind: 'v2-base' }],
    ['GET', '/v2/', { kind: 'v2-base' }],
    ['GET', '/v2/_catalog', { kind: 'catalog' }],
    ['GET', '/favicon.ico', { kind: 'not-found' }],
    ['GET', '/v22/', { kind: 'not-found' }],
    ['GET', 'http://evil.example/v2/', { kind: 'not-found' }],
    [
      'GET',
      '/v2/pause/manifests/3.9',
      { kind: 'manifest', repository: 'pause', reference: '3.9', signature: false, query: '' },
    ],
    [
      'GET',
      `/v2/kube/a-b/c.d/manifests/${DIGEST}`,
      { kind: 'manifest', repository: 'kube/a-b/c.d', reference: DIGEST, signature: false, query: '' },
    ],
    [
      'GET',
      `/v2/pause/manifests/sha256-${HEX64}.sig`,
      { kind: 'manifest', repository: 'pause', reference: `sha256-${HEX64}.sig`, signature: true, query: '' },
    ],
    [
      'GET',
      `/v2/pause/manifests/sha256-${HEX64}.att`,
      { kind: 'manifest', repository: 'pause', reference: `sha256-${HEX64}.att`, signature: true, query: '' },
    ],
    [
      'GET',
      `/v2/pause/manifests/sha256-${HEX64}.sbom`,
      { kind: 'manifest', repository: 'pause', reference: `sha256-${HEX64}.sbom`, signature: true, query: '' },
    ],
    // Only sha256-<64 hex>.<sig|att|sbom> is a cosign tag.
    [
      'GET',
      `/v2/pause/manifests/sha256-${HEX64}.spdx`,
      { kind: 'manifest', repository: 'pause', reference: `sha256-${HEX64}.spdx`, signature: false, query: '' },
    ],
    [
      'GET',
      '/v2/pause/manifests/sha256-abc.sig',
      { kind: 'manifest', repository: 'pause', reference: 'sha256-abc.sig', signature: false, query: '' },
    ],
    ['GET', `/v2/pause/blobs/${DIGEST}`, { kind: 'blob', repository: 'pause', digest: DIGEST, query: '' }],
    // A repository may contain a "blobs" component: the last endpoint marker wins.
    ['GET', `/v2/blobs/blobs/${DIGEST}`, { kind: 'blob', repository: 'blobs', digest: DIGEST, query: '' }],
    [
      'GET',
      `/v2/pause/blobs/sha512:${'c'.repeat(128)}`,
      { kind: 'blob', repository: 'pause', digest: `sha512:${'c'.repeat(128)}`, query: '' },
    ],
    [
      'GET',
      '/v2/pause/tags/list?n=10&last=3.8',
      { kind: 'other-v2', rest: 'pause/tags/list', query: '?n=10&last=3.8' },
    ],
    [
      'GET',
      `/v2/pause/referrers/${DIGEST}?artifactType=x`,
      { kind: 'other-v2', rest: `pause/referrers/${DIGEST}`, query: '?artifactType=x' },
    ],
    ['GET', '/v2/pause/blobs/uploads/', { kind: 'other-v2', rest: 'pause/blobs/uploads/', query: '' }],
    // Bad names, digests and references: 400 with an OCI error, never forwarded.
    ['GET', '/v2/Pause/manifests/3.9', { kind: 'bad-name', name: 'Pause' }],
    ['GET', '/v2/pause/../etc/manifests/3.9', { kind: 'bad-name', name: 'pause/../etc' }],
    ['GET', '/v2//pause/manifests/3.9', { kind: 'bad-name', name: '/pause' }],
    ['GET', '/v2/pause%2f../manifests/3.9', { kind: 'bad-name', name: 'pause%2f..' }],
    ['GET', `/v2/${'a'.repeat(256)}/manifests/3.9`, { kind: 'bad-name', name: 'a'.repeat(256) }],
    ['GET', '/v2/pause/blobs/sha256:abc', { kind: 'bad-digest', digest: 'sha256:abc' }],
    ['GET', `/v2/pause/blobs/sha256:${'A'.repeat(64)}`, { kind: 'bad-digest', digest: `sha256:${'A'.repeat(64)}` }],
    ['GET', `/v2/pause/blobs/md5:${HEX64}`, { kind: 'bad-digest', digest: `md5:${HEX64}` }],
    ['GET', '/v2/pause/blobs/latest', { kind: 'bad-digest', digest: 'latest' }],
    ['GET', '/v2/pause/manifests/sha256:123', { kind: 'bad-digest', digest: 'sha256:123' }],
    ['GET', '/v2/pause/manifests/.hidden', { kind: 'bad-reference', reference: '.hidden' }],
    ['GET', `/v2/pause/manifests/${'t'.repeat(129)}`, { kind: 'bad-reference', reference: 't'.repeat(129) }],
    ['GET', '/v2/pause/referrers/nope', { kind: 'bad-digest', digest: 'nope' }],
    // Every endpoint checks the repository name before anything else.
    ['GET', `/v2/Pause/blobs/${DIGEST}`, { kind: 'bad-name', name: 'Pause' }],
    ['GET', `/v2/Pause/referrers/${DIGEST}`, { kind: 'bad-name', name: 'Pause' }],
    ['GET', '/v2/Pause/tags/list', { kind: 'bad-name', name: 'Pause' }],
    // Paths without the pull API's shape are forwarded when every segment is safe.
    ['GET', '/v2/pause/tags/latest', { kind: 'other-v2', rest: 'pause/tags/latest', query: '' }],
    ['GET', '/v2/pause', { kind: 'other-v2', rest: 'pause', query: '' }],
    ['GET', '/v2/pause/manifests', { kind: 'other-v2', rest: 'pause/manifests', query: '' }],
    ['HEAD', '/v2/pause/x/y/?a=1', { kind: 'other-v2', rest: 'pause/x/y/', query: '?a=1' }],
    ['GET', '/v2//x', { kind: 'bad-name', name: '/x' }],
    ['GET', '/v2/pause//', { kind: 'bad-name', name: 'pause//' }],
    ['GET', '/v2/.x/y', { kind: 'bad-name', name: '.x/y' }],
    ['GET', '/v2//manifests/3.9', { kind: 'bad-name', name: '/manifests/3.9' }],
    ['GET', '/v2/pause/x%', { kind: 'bad-name', name: 'pause/x%' }],
    ['GET', '/v2/xxmanifestsy', { kind: 'other-v2', rest: 'xxmanifestsy', query: '' }],
    // Only tags/list is the tags endpoint: any other tags/... path is checked segment by segment and forwarded.
    ['GET', '/v2/Pause/tags/latest', { kind: 'other-v2', rest: 'Pause/tags/latest', query: '' }],
    ['GET', '/v2/../../x', { kind: 'bad-name', name: '../../x' }],
    ['GET', '/v2/%2e%2e/x', { kind: 'bad-name', name: '%2e%2e/x' }],
  ])('%s %s', (method, target, expected) => {
    expect(parseRequest(method, target)).toEqual(expected);
  });
});

describe('the clients that are not located', () => {
  it('are told apart: no client needed, or one in no range', () => {
    expect(CLIENT_NOT_NEEDED).toEqual({ kind: 'not-needed' });
    expect(UNLISTED_CLIENT).toEqual({ kind: 'unlisted' });
  });
});

describe('needsClient', () => {
  it.each([
    [`/v2/pause/blobs/${DIGEST}`, true],
    ['/v2/pause/manifests/3.9', true],
    ['/v2/pause/tags/list', false],
    ['/v2/', false],
    ['/', false],
    ['/v2/Bad/manifests/3.9', false],
  ])('%s -> %s', (target, expected) => {
    expect(needsClient(parseRequest('GET', target))).toBe(expected);
  });
});

describe('safeQuery', () => {
  it.each([
    ['', ''],
    ['?', ''],
    ['?n=10&last=a', '?n=10&last=a'],
    ['?a=b#frag', '?a=b%23frag'],
    ['?a="<x>"', '?a=%22%3Cx%3E%22'],
    ['?\u00e9', '?%E9'],
    ['?a b', '?a%20b'],
    ['?\u0001', '?%01'],
    ['?%zz%41', '?%zz%41'],
    ["?A-Za-z0-9-._~!$&'()*+,;=:@/?%", "?A-Za-z0-9-._~!$&'()*+,;=:@/?%"],
    ['?[]{}|^`\\', '?%5B%5D%7B%7D%7C%5E%60%5C'],
  ])('%j -> %j', (query, expected) => {
    expect(safeQuery(query)).toBe(expected);
  });
});

describe('forwardedForHeader', () => {
  it.each([
    [['Host', 'x', 'X-Forwarded-For', '1.2.3.4, 5.6.7.8'], '1.2.3.4, 5.6.7.8'],
    [['x-forwarded-for', 'a', 'X-FORWARDED-FOR', 'b'], 'a, b'],
    [['Host', 'x', 'X-Forwarded-Host', 'y'], undefined],
    [[], undefined],
    // Names and values alternate: a value that reads "X-Forwarded-For" is not a header name.
    [['X-A', 'X-Forwarded-For', 'Host', 'x'], undefined],
    [['X-Forwarded-Fo', 'a', 'X-Forwarded-Forr', 'b'], undefined],
    [['Accept-Encoding', 'gzip'], undefined],
  ])('%j -> %j', (raw, expected) => {
    expect(forwardedForHeader(raw)).toBe(expected);
  });
});

describe('ClientResolver', () => {
  // Built for each test rather than once: the index and the resolver then count as run by every test that uses
  // them, so mutation testing runs those tests, not the whole file, for a mutant in them.
  let index: RangeIndex;
  let google: ClientResolver;
  beforeEach(() => {
    index = fixtureIndex();
    google = new ClientResolver(index, 1);
  });
  const located = (cloud: string, region: string): Client => ({ kind: 'located', location: { cloud, region } });
  it.each([
    // Google LB form: [<client-supplied>,]<client-ip>,<lb-ip>: the client is second-to-last.
    ['3.5.140.9, 34.1.1.1', undefined, located('aws', 'us-east-2')],
    ['1.2.3.4,3.5.140.9,34.1.1.1', undefined, located('aws', 'us-east-2')],
    ['  3.5.140.9  ,34.1.1.1', undefined, located('aws', 'us-east-2')],
    ['::ffff:18.200.0.1, 34.1.1.1', undefined, located('aws', 'eu-west-1')],
    ['2600:1900:4000::1, 34.1.1.1', undefined, located('gcp', 'us-central1')],
    ['8.8.8.8, 34.1.1.1', undefined, UNLISTED_CLIENT],
    // A client-supplied first entry is never trusted.
    ['34.1.208.1, 8.8.8.8, 35.0.0.1', undefined, UNLISTED_CLIENT],
    // No XFF: the socket address (IPv4-mapped unmapped).
    [undefined, '::ffff:3.5.140.9', located('aws', 'us-east-2')],
    [undefined, '127.0.0.1', UNLISTED_CLIENT],
    [undefined, undefined, UNLISTED_CLIENT],
    // The first location of the index (id 0) is a location like any other.
    ['3.0.0.1, 34.1.1.1', undefined, located('aws', 'GLOBAL')],
    ['\t3.5.140.9\t, 34.1.1.1', undefined, located('aws', 'us-east-2')],
  ])('XFF %j socket %j', (xff, socket, expected) => {
    expect(google.resolve(xff, socket)).toEqual(expected);
  });

  it.each([
    ['3.5.140.9', /X-Forwarded-For has 1 entry; expected the client address followed by 1 trusted proxy entry/],
    ['', /X-Forwarded-For has 1 entry/],
    ['nope, 34.1.1.1', /X-Forwarded-For client entry "nope" is not an IP address/],
    [', 34.1.1.1', /X-Forwarded-For client entry "" is not an IP address/],
    ['3.5.140.9:443, 34.1.1.1', /not an IP address/],
    [
      `${'x'.repeat(100)}, 34.1.1.1`,
      new RegExp(`^X-Forwarded-For client entry "${'x'.repeat(64)}" is not an IP address$`),
    ],
    ['a,b,c', /^X-Forwarded-For client entry "b" is not an IP address$/],
  ])('refuses XFF %j', (xff, message) => {
    const client = google.resolve(xff, '10.0.0.1');
    expect(client.kind).toBe('invalid');
    expect(client.kind === 'invalid' && client.message).toMatch(message);
  });

  it('refuses a socket address that is not an IP address, naming it', () => {
    expect(google.resolve(undefined, 'not-an-ip')).toEqual({
      kind: 'invalid',
      message: 'client address "not-an-ip" is not an IP address',
    });
  });

  it('names the entry counts in words that agree with them', () => {
    const message = (hops: number, xff: string) => {
      const client = new ClientResolver(index, hops).resolve(xff, undefined);
      return client.kind === 'invalid' ? client.message : client.kind;
    };
    expect(message(2, '1.1.1.1')).toBe(
      'X-Forwarded-For has 1 entry; expected the client address followed by 2 trusted proxy entries',
    );
    expect(message(3, '1.1.1.1, 2.2.2.2')).toBe(
      'X-Forwarded-For has 2 entries; expected the client address followed by 3 trusted proxy entries',
    );
    expect(message(2, ',1.1.1.1')).toBe(
      'X-Forwarded-For has 2 entries; expected the client address followed by 2 trusted proxy entries',
    );
    expect(message(1, '')).toBe(
      'X-Forwarded-For has 1 entry; expected the client address followed by 1 trusted proxy entry',
    );
  });

  it('takes the hop count from configuration', () => {
    expect(new ClientResolver(index, 0).resolve('8.8.8.8, 3.5.140.9', undefined)).toEqual(located('aws', 'us-east-2'));
    expect(new ClientResolver(index, 2).resolve('3.5.140.9, 1.1.1.1, 2.2.2.2', undefined)).toEqual(
      located('aws', 'us-east-2'),
    );
    expect(new ClientResolver(index, 2).resolve('1.1.1.1, 2.2.2.2', undefined).kind).toBe('invalid');
  });
});

describe('decide', () => {
  const table = smallTable('us-central1');
  const cdnTable = smallTable('europe-west1');
  const withSignatures = { ...table, signatureUpstream: { endpoint: 'https://sigs.example.com', path: 'sigs/images' } };
  const AR = 'https://us-central1-docker.pkg.dev/v2/small-artifacts/images';
  const bucket = (region: string) => `https://small-registry-${region}.s3.dualstack.${region}.amazonaws.com`;
  const aws = (region: string): Client => ({ kind: 'located', location: { cloud: 'aws', region } });
  const client = (cloud: string, region: string): Client => ({ kind: 'located', location: { cloud, region } });
  // Routes are parsed inside each test: route.ts then counts as run by the tests that need it (mutation testing).
  const request = (method: string, target: string) => () => parseRequest(method, target);
  const blob = request('GET', `/v2/pause/blobs/${DIGEST}?ns=registry.k8s.io`);
  const blobPath = `containers/images/${DIGEST}`;

  it.each([
    [
      'root',
      request('GET', '/'),
      CLIENT_NOT_NEEDED,
      table,
      { reason: 'project information', status: 307, label: 'info', location: 'https://example.com/registry' },
    ],
    [
      'privacy',
      request('GET', '/privacy'),
      CLIENT_NOT_NEEDED,
      table,
      { reason: 'privacy policy', status: 307, label: 'privacy', location: 'https://example.com/privacy' },
    ],
    [
      '405',
      request('PUT', '/v2/'),
      CLIENT_NOT_NEEDED,
      table,
      {
        reason: 'only GET and HEAD are allowed',
        status: 405,
        label: 'none',
        headers: { allow: 'GET, HEAD' },
        body: { contentType: TEXT_TYPE, text: 'Only GET and HEAD are allowed.\n' },
      },
    ],
    [
      'v2',
      request('GET', '/v2/'),
      CLIENT_NOT_NEEDED,
      table,
      {
        reason: 'registry API version check',
        status: 200,
        label: 'registry-api',
        headers: { 'docker-distribution-api-version': 'registry/2.0' },
      },
    ],
    [
      'catalog',
      request('GET', '/v2/_catalog'),
      CLIENT_NOT_NEEDED,
      table,
      {
        reason: 'the catalog is not served',
        status: 404,
        label: 'none',
        body: {
          contentType: JSON_TYPE,
          text: '{"errors":[{"code":"UNSUPPORTED","message":"the catalog API is not supported"}]}',
        },
      },
    ],
    [
      'other path',
      request('GET', '/robots.txt'),
      CLIENT_NOT_NEEDED,
      table,
      { reason: 'no such path', status: 404, label: 'none', body: { contentType: TEXT_TYPE, text: 'Not Found\n' } },
    ],
    [
      'liveness',
      request('GET', '/-/healthy'),
      CLIENT_NOT_NEEDED,
      table,
      { reason: 'alive', status: 200, label: 'health', body: { contentType: TEXT_TYPE, text: 'ok\n' } },
    ],
    [
      'manifest -> upstream, query kept',
      request('GET', '/v2/pause/manifests/3.9?x=1'),
      aws('us-east-2'),
      table,
      {
        reason: 'manifests come from the upstream',
        status: 307,
        label: 'upstream',
        location: `${AR}/pause/manifests/3.9?x=1`,
      },
    ],
    [
      'tags/list pagination kept',
      request('GET', '/v2/kube/proxy/tags/list?n=2&last=v1'),
      CLIENT_NOT_NEEDED,
      table,
      {
        reason: 'registry API served by the upstream',
        status: 307,
        label: 'upstream',
        location: `${AR}/kube/proxy/tags/list?n=2&last=v1`,
      },
    ],
    [
      'referrers',
      request('GET', `/v2/pause/referrers/${DIGEST}`),
      CLIENT_NOT_NEEDED,
      table,
      {
        reason: 'registry API served by the upstream',
        status: 307,
        label: 'upstream',
        location: `${AR}/pause/referrers/${DIGEST}`,
      },
    ],
    [
      'cosign signature -> signature upstream',
      request('GET', `/v2/pause/manifests/sha256-${HEX64}.sig`),
      UNLISTED_CLIENT,
      withSignatures,
      {
        reason: 'cosign signature',
        status: 307,
        label: 'signature-upstream',
        location: `https://sigs.example.com/v2/sigs/images/pause/manifests/sha256-${HEX64}.sig`,
      },
    ],
    [
      'cosign attestation -> signature upstream',
      request('GET', `/v2/pause/manifests/sha256-${HEX64}.att`),
      UNLISTED_CLIENT,
      withSignatures,
      {
        reason: 'cosign signature',
        status: 307,
        label: 'signature-upstream',
        location: `https://sigs.example.com/v2/sigs/images/pause/manifests/sha256-${HEX64}.att`,
      },
    ],
    [
      'cosign SBOM -> signature upstream',
      request('HEAD', `/v2/pause/manifests/sha256-${HEX64}.sbom?ns=registry.k8s.io`),
      UNLISTED_CLIENT,
      withSignatures,
      {
        reason: 'cosign signature',
        status: 307,
        label: 'signature-upstream',
        location: `https://sigs.example.com/v2/sigs/images/pause/manifests/sha256-${HEX64}.sbom?ns=registry.k8s.io`,
      },
    ],
    [
      "a tag that only looks like cosign's -> upstream",
      request('GET', `/v2/pause/manifests/sha256-${HEX64}.spdx`),
      UNLISTED_CLIENT,
      withSignatures,
      {
        reason: 'manifests come from the upstream',
        status: 307,
        label: 'upstream',
        location: `${AR}/pause/manifests/sha256-${HEX64}.spdx`,
      },
    ],
    [
      'cosign signature without a signature upstream -> upstream',
      request('GET', `/v2/pause/manifests/sha256-${HEX64}.att`),
      UNLISTED_CLIENT,
      table,
      {
        reason: 'manifests come from the upstream',
        status: 307,
        label: 'upstream',
        location: `${AR}/pause/manifests/sha256-${HEX64}.att`,
      },
    ],
    [
      'blob, GCP client -> upstream without a check',
      blob,
      client('gcp', 'europe-west1'),
      table,
      {
        reason: 'client is in the upstream cloud',
        status: 307,
        label: 'upstream',
        location: `${AR}/pause/blobs/${DIGEST}?ns=registry.k8s.io`,
      },
    ],
    [
      'blob, AWS client of a mirror region -> that mirror, if present',
      blob,
      aws('eu-west-1'),
      table,
      {
        reason: 'mirror of the client region',
        status: 307,
        label: 'mirror',
        location: `${bucket('eu-west-1')}/${blobPath}`,
      },
    ],
    [
      'blob, AWS client of an alias region -> the alias target',
      blob,
      aws('eu-west-2'),
      table,
      {
        reason: 'mirror of the client region',
        status: 307,
        label: 'mirror',
        location: `${bucket('eu-west-1')}/${blobPath}`,
      },
    ],
    [
      'blob, AWS GLOBAL -> default',
      blob,
      aws('GLOBAL'),
      table,
      {
        reason: 'no mirror for the client region: default backend',
        status: 307,
        label: 'default',
        location: `${bucket('us-east-2')}/${blobPath}`,
      },
    ],
    [
      'blob, AWS region without a mirror -> default',
      blob,
      aws('us-gov-west-1'),
      table,
      {
        reason: 'no mirror for the client region: default backend',
        status: 307,
        label: 'default',
        location: `${bucket('us-east-2')}/${blobPath}`,
      },
    ],
    [
      'blob, Azure client -> default (no Azure mirrors in the table)',
      blob,
      client('azure', 'eastus'),
      cdnTable,
      {
        reason: 'no mirror for the client region: default backend',
        status: 307,
        label: 'default',
        location: `https://cdn.example.com/${blobPath}`,
      },
    ],
    [
      'blob, unlisted client -> default (the CDN for europe-west1)',
      blob,
      UNLISTED_CLIENT,
      cdnTable,
      {
        reason: 'client in no donor range: default backend',
        status: 307,
        label: 'default',
        location: `https://cdn.example.com/${blobPath}`,
      },
    ],
    [
      'blob, new donor with mirrors in the table -> its mirror, no code change',
      blob,
      client('azure', 'eastus'),
      { ...table, mirrors: { ...table.mirrors, azure: { eastus: 'https://azmirror.example.com/c' } } },
      {
        reason: 'mirror of the client region',
        status: 307,
        label: 'mirror',
        location: `https://azmirror.example.com/c/${blobPath}`,
      },
    ],
    [
      'invalid client -> 400',
      blob,
      { kind: 'invalid', message: 'X-Forwarded-For client entry "x" is not an IP address' } as Client,
      table,
      {
        reason: 'X-Forwarded-For client entry "x" is not an IP address',
        status: 400,
        label: 'none',
        body: { contentType: TEXT_TYPE, text: 'X-Forwarded-For client entry "x" is not an IP address\n' },
      },
    ],
  ])('%s', (_name, route, who, routingTable, expected) => {
    expect(decide(route(), who, routingTable)).toMatchObject(expected);
  });

  it('asks for no existence check when the blob goes to the upstream', () => {
    expect(decide(blob(), client('gcp', 'us-central1'), table).check).toBeUndefined();
  });

  it('a blob check falls back to the upstream (query kept) when the mirror lacks the blob', () => {
    const decision = decide(blob(), aws('us-east-2'), table);
    expect(decision.check?.url).toBe(`${bucket('us-east-2')}/${blobPath}`);
    expect(settle(decision, true)).toMatchObject({ status: 307, label: 'mirror', location: decision.check?.url });
    expect(settle(decision, false)).toMatchObject({
      status: 307,
      label: 'upstream',
      location: `${AR}/pause/blobs/${DIGEST}?ns=registry.k8s.io`,
    });
  });

  it.each([
    ['/v2/Bad/manifests/x', 'NAME_INVALID', 'invalid repository name "Bad"'],
    [
      '/v2/ok/blobs/sha256:short',
      'DIGEST_INVALID',
      'invalid digest "sha256:short" (sha256:<64 hex> or sha512:<128 hex>)',
    ],
    ['/v2/ok/manifests/-bad', 'MANIFEST_INVALID', 'invalid tag "-bad"'],
  ])('%s -> 400 %s with an OCI error body', (target, code, message) => {
    const decision = decide(parseRequest('GET', target), UNLISTED_CLIENT, table);
    expect(decision).toMatchObject({ status: 400, label: 'none', reason: message, body: { contentType: JSON_TYPE } });
    expect(JSON.parse(decision.body!.text)).toEqual({ errors: [{ code, message }] });
  });

  it('the fallback of a blob check names the backend that lacked the blob', () => {
    expect(settle(decide(blob(), aws('eu-west-1'), table), false).reason).toBe('mirror backend does not have the blob');
    expect(settle(decide(blob(), UNLISTED_CLIENT, table), false).reason).toBe('default backend does not have the blob');
  });

  it('a decision without a check stands whatever the answer', () => {
    const decision = decide(request('GET', '/v2/pause/manifests/3.9')(), UNLISTED_CLIENT, table);
    expect(settle(decision, false)).toBe(decision);
    expect(settle(decision, true)).toBe(decision);
  });

  it('readiness is 200 when no health is given (a server that answers is ready)', () => {
    expect(decide(request('GET', '/-/ready')(), CLIENT_NOT_NEEDED, table)).toMatchObject({
      status: 200,
      reason: 'ready',
    });
  });

  it('readiness is 503 while draining', () => {
    const ready = (health: { ready: boolean }) =>
      decide(parseRequest('GET', '/-/ready'), CLIENT_NOT_NEEDED, table, health);
    expect(ready({ ready: true })).toMatchObject({
      status: 200,
      label: 'health',
      reason: 'ready',
      body: { contentType: TEXT_TYPE, text: 'ok\n' },
    });
    expect(ready({ ready: false })).toMatchObject({
      status: 503,
      label: 'health',
      reason: 'draining',
      body: { contentType: TEXT_TYPE, text: 'draining\n' },
    });
  });
});
