/**
 * Bearer-token and basic challenges as Docker Hub / Artifact Registry issue them, against a small local fake
 * (the CNCF registry needs a certificate-signed token service to do this, out of scope for a unit test).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CredentialSource, RegistryClient, registryOrigin, registryTransport, Transport } from '../../lib/oci';

interface Fake {
  host: string;
  tokenRequests: URL[];
  stop(): Promise<void>;
}

async function startFake(scheme: 'bearer' | 'basic'): Promise<Fake> {
  const tokenRequests: URL[] = [];
  const server = http.createServer((request, response) => {
    const url = new URL(request.url!, `http://${request.headers.host}`);
    if (url.pathname === '/token') {
      tokenRequests.push(url);
      const ok =
        request.headers.authorization === `Basic ${Buffer.from('oauth2accesstoken:secret').toString('base64')}`;
      response.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
      response.end(ok ? JSON.stringify({ token: 'issued', expires_in: 300 }) : '{}');
      return;
    }
    const expected =
      scheme === 'bearer' ? 'Bearer issued' : `Basic ${Buffer.from('oauth2accesstoken:secret').toString('base64')}`;
    if (request.headers.authorization !== expected) {
      const challenge =
        scheme === 'bearer'
          ? `Bearer realm="http://${request.headers.host}/token",service="fake",scope="repository:a/b:pull"`
          : 'Basic realm="fake"';
      response.writeHead(401, { 'www-authenticate': challenge });
      response.end();
      return;
    }
    const page = url.searchParams.get('last') ? { tags: ['c'] } : { tags: ['a', 'b'] };
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (!url.searchParams.get('last')) headers.link = '</v2/a/b/tags/list?n=2&last=b>; rel="next"';
    response.writeHead(200, headers);
    response.end(JSON.stringify({ name: 'a/b', ...page }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    tokenRequests,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe.each(['bearer', 'basic'] as const)('%s challenge', (scheme) => {
  let fake: Fake;
  beforeAll(async () => (fake = await startFake(scheme)));
  afterAll(() => fake.stop());

  let connections: Transport;
  beforeEach(() => (connections = new Transport()));
  afterEach(() => connections.close());

  /** A client for the fake, as the replicator builds one. */
  const clientOf = (credentials?: CredentialSource) => {
    const transport = registryTransport({
      origin: registryOrigin(fake.host, true),
      connections,
      credentials,
      retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 },
    });
    return new RegistryClient({ host: fake.host, insecure: true, transport });
  };

  it('authenticates with the credentials and follows Link pagination', async () => {
    const client = clientOf(async () => ({ username: 'oauth2accesstoken', password: 'secret' }));
    try {
      expect(await client.listTags('a/b', 2)).toEqual(['a', 'b', 'c']);
      if (scheme === 'bearer') {
        expect(fake.tokenRequests).toHaveLength(1); // cached for the second page
        expect(fake.tokenRequests[0]!.searchParams.getAll('scope')).toEqual(['repository:a/b:pull']);
        expect(fake.tokenRequests[0]!.searchParams.get('service')).toBe('fake');
      }
    } finally {
      client.close();
    }
  });

  it('fails with a clear 401 when anonymous', async () => {
    const client = clientOf();
    try {
      await expect(client.listTags('a/b')).rejects.toThrow(/HTTP 401/);
    } finally {
      client.close();
    }
  });
});
