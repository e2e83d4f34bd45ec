/**
 * Each layer of the registry client's transport stack alone, over a scripted fake of the layer below (what it was
 * sent is recorded, what it answers is a table), then the whole stack in its order.
 */
import { Readable } from 'node:stream';
import {
  authorizing,
  followingRedirects,
  HttpError,
  type HttpRequest,
  type HttpResponse,
  type RetryInfo,
  rateLimited,
  registryTransport,
  retrying,
  type RoundTripper,
  TokenBucket,
  userAgent,
} from '../../lib/oci';

interface Answer {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

interface Fake extends RoundTripper {
  readonly sent: HttpRequest[];
}

/** The layer below: answers `script(request, n)` (n counts from 1), or throws what the script throws. */
function below(script: (request: HttpRequest, n: number) => Answer): Fake {
  const sent: HttpRequest[] = [];
  return {
    sent,
    async send(request): Promise<HttpResponse> {
      sent.push(request);
      const answer = script(request, sent.length);
      return {
        status: answer.status,
        headers: answer.headers ?? {},
        body: Readable.from([Buffer.from(answer.body ?? '')]),
        url: request.url,
      };
    },
  };
}

const REGISTRY = new URL('https://registry.example');
const get = (path: string, extra: Partial<HttpRequest> = {}): HttpRequest => ({
  method: 'GET',
  url: new URL(path, REGISTRY),
  ...extra,
});
const OK: Answer = { status: 200 };

describe('userAgent', () => {
  it.each([
    [{}, 'replicator'],
    [{ 'user-agent': 'mine' }, 'mine'],
  ])('with request headers %j sends user-agent %s', async (headers, expected) => {
    const fake = below(() => OK);
    await userAgent('replicator')(fake).send(get('/v2/', { headers }));
    expect(fake.sent[0]!.headers?.['user-agent']).toBe(expected);
  });
});

describe('rateLimited', () => {
  it('makes every request sent wait for its own token', async () => {
    const waits: number[] = [];
    const bucket = new TokenBucket({ ratePerSecond: 1, now: () => 0, sleep: async (ms) => waits.push(ms) });
    const fake = below(() => OK);
    const transport = rateLimited(bucket)(fake);
    for (let i = 0; i < 3; i++) await transport.send(get('/v2/'));
    expect(fake.sent).toHaveLength(3);
    expect(waits).toEqual([1000, 2000]);
  });
});

describe('followingRedirects', () => {
  const STORAGE = 'https://storage.example/blob?signature=x';
  const redirectTo = (location: string) => ({ status: 307, headers: { location } });

  it('follows a GET to storage without the authorization, keeping the other headers', async () => {
    const fake = below((_request, n) => (n === 1 ? redirectTo(STORAGE) : OK));
    const headers = { authorization: 'Bearer t', accept: 'x' };
    const response = await followingRedirects()(fake).send(get('/v2/a/blobs/sha256:1', { headers }));
    expect(response.url.href).toBe(STORAGE);
    expect(fake.sent.map((request) => request.headers)).toEqual([headers, { accept: 'x' }]);
  });

  it('keeps the authorization on a redirect within the registry', async () => {
    const fake = below((_request, n) => (n === 1 ? redirectTo('/v2/b/blobs/sha256:1') : OK));
    await followingRedirects()(fake).send(
      get('/v2/a/blobs/sha256:1', { method: 'HEAD', headers: { authorization: 'Basic x' } }),
    );
    expect(fake.sent[1]).toMatchObject({ method: 'HEAD', headers: { authorization: 'Basic x' } });
    expect(fake.sent[1]!.url.href).toBe('https://registry.example/v2/b/blobs/sha256:1');
  });

  it.each(['PUT', 'POST', 'PATCH', 'DELETE'])('hands a redirect of %s back unfollowed', async (method) => {
    const fake = below(() => redirectTo(STORAGE));
    const response = await followingRedirects()(fake).send(get('/v2/a/blobs/uploads/', { method }));
    expect(response.status).toBe(307);
    expect(fake.sent).toHaveLength(1);
  });

  it('gives up after the maximum number of hops, handing the last redirect back', async () => {
    const fake = below((_request, n) => redirectTo(`/hop/${n}`));
    const response = await followingRedirects(5)(fake).send(get('/v2/'));
    expect(response.status).toBe(307);
    expect(fake.sent).toHaveLength(6);
  });
});

describe('retrying', () => {
  const policy = { attempts: 4, baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 5000 };
  const retryingOver = (fake: Fake) => {
    const sleeps: number[] = [];
    const retries: RetryInfo[] = [];
    const transport = retrying({
      policy,
      sleep: async (ms) => sleeps.push(ms),
      random: () => 0.5,
      onRetry: (info) => retries.push(info),
    })(fake);
    return { transport, sleeps, retries };
  };

  it('sends again after throttling and 5xx, waiting as Retry-After says or backing off', async () => {
    const script: Answer[] = [{ status: 429, headers: { 'retry-after': '2' } }, { status: 503 }, OK];
    const fake = below((_request, n) => script[n - 1]!);
    const { transport, sleeps, retries } = retryingOver(fake);
    expect((await transport.send(get('/v2/'))).status).toBe(200);
    expect(sleeps).toEqual([2000, 100]);
    expect(retries.map((retry) => (retry.error as HttpError).status)).toEqual([429, 503]);
  });

  it('surfaces a status that stays retryable as its HttpError after the last attempt', async () => {
    const fake = below(() => ({ status: 503, body: 'down for maintenance' }));
    const { transport } = retryingOver(fake);
    const failure = transport.send(get('/v2/'));
    await expect(failure).rejects.toThrow(/GET https:\/\/registry\.example\/v2\/: HTTP 503 down for maintenance/);
    expect(fake.sent).toHaveLength(policy.attempts);
  });

  it('sends again after a dropped connection', async () => {
    let n = 0;
    const fake: RoundTripper = {
      send: async (request) => {
        if (++n === 1) throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
        return below(() => OK).send(request);
      },
    };
    expect((await retryingOver(fake as Fake).transport.send(get('/v2/'))).status).toBe(200);
    expect(n).toBe(2);
  });

  it.each([
    ['an answer that is not transient (404)', get('/v2/a/manifests/v1'), 404],
    ['a streamed body, which cannot be sent twice', get('/upload', { method: 'PUT', body: Readable.from(['x']) }), 503],
  ])('sends %s once and hands the answer back', async (_case, request, status) => {
    const fake = below(() => ({ status }));
    const { transport } = retryingOver(fake);
    expect((await transport.send(request)).status).toBe(status);
    expect(fake.sent).toHaveLength(1);
  });
});

describe('authorizing', () => {
  const REALM = 'https://auth.example/token';
  const bearer = { 'www-authenticate': `Bearer realm="${REALM}",service="registry.example",scope="repository:a:pull"` };
  const BASIC = `Basic ${Buffer.from('user:secret').toString('base64')}`;
  const credentials = async () => ({ username: 'user', password: 'secret' });

  /** A registry that wants `Bearer <token>` and a token service that issues `token-<n>` for `expires_in` seconds. */
  const bearerRegistry = (expiresIn = 300) => {
    let issued = 0;
    return below((request) => {
      if (request.url.href.startsWith(REALM))
        return { status: 200, body: JSON.stringify({ token: `token-${++issued}`, expires_in: expiresIn }) };
      return request.headers?.authorization?.startsWith('Bearer token-') ? OK : { status: 401, headers: bearer };
    });
  };
  const tokenFetches = (fake: Fake) => fake.sent.filter((request) => request.url.href.startsWith(REALM));
  const pull = ['repository:a:pull'];

  it('sends nothing before the first challenge, then fetches a token for the scopes and sends again', async () => {
    const fake = bearerRegistry();
    const transport = authorizing({ origin: REGISTRY, credentials })(fake);
    expect((await transport.send(get('/v2/a/tags/list', { scopes: ['repository:a:pull,push'] }))).status).toBe(200);
    const [first, token, second] = fake.sent;
    expect(first!.headers?.authorization).toBeUndefined();
    expect(token!.headers?.authorization).toBe(BASIC);
    expect(token!.url.searchParams.get('service')).toBe('registry.example');
    expect(token!.url.searchParams.getAll('scope')).toEqual(['repository:a:pull,push', 'repository:a:pull']);
    expect(second!.headers?.authorization).toBe('Bearer token-1');
  });

  it('authorizes up front once challenged, one token per set of scopes, shared by concurrent requests', async () => {
    const fake = bearerRegistry();
    const transport = authorizing({ origin: REGISTRY })(fake);
    await transport.send(get('/v2/a/tags/list', { scopes: pull }));
    await Promise.all([1, 2, 3].map(() => transport.send(get('/v2/b/tags/list', { scopes: ['repository:b:pull'] }))));
    await transport.send(get('/v2/a/manifests/v1', { scopes: pull }));
    expect(tokenFetches(fake)).toHaveLength(2);
    const unauthorized = fake.sent.filter(
      (request) => !request.url.href.startsWith(REALM) && !request.headers?.authorization,
    );
    expect(unauthorized).toHaveLength(1); // the very first request, which met the challenge
  });

  it('fetches a new token once the cached one is about to expire', async () => {
    let now = 0;
    const fake = bearerRegistry(60);
    const transport = authorizing({ origin: REGISTRY, now: () => now })(fake);
    await transport.send(get('/v2/a/tags/list', { scopes: pull }));
    now = 49_000; // 60 s tokens are renewed 10 s early
    await transport.send(get('/v2/a/tags/list', { scopes: pull }));
    expect(tokenFetches(fake)).toHaveLength(1);
    now = 50_000;
    await transport.send(get('/v2/a/tags/list', { scopes: pull }));
    expect(tokenFetches(fake)).toHaveLength(2);
    expect(fake.sent.at(-1)!.headers?.authorization).toBe('Bearer token-2');
  });

  it('answers a Basic challenge with the credentials themselves', async () => {
    const fake = below((request) =>
      request.headers?.authorization === BASIC
        ? OK
        : { status: 401, headers: { 'www-authenticate': 'Basic realm="r"' } },
    );
    const transport = authorizing({ origin: REGISTRY, credentials })(fake);
    expect((await transport.send(get('/v2/'))).status).toBe(200);
    expect((await transport.send(get('/v2/'))).status).toBe(200);
    expect(fake.sent.map((request) => request.headers?.authorization)).toEqual([undefined, BASIC, BASIC]);
  });

  it('never authorizes a request to another origin (an upload location in storage)', async () => {
    const fake = bearerRegistry();
    const transport = authorizing({ origin: REGISTRY, credentials })(fake);
    await transport.send(get('/v2/a/tags/list', { scopes: pull }));
    await transport.send({ method: 'PUT', url: new URL('https://storage.example/upload'), scopes: pull });
    expect(fake.sent.at(-1)!.headers?.authorization).toBeUndefined();
  });

  it('hands back the 401 of a streamed body, which cannot be sent again', async () => {
    const fake = bearerRegistry();
    const transport = authorizing({ origin: REGISTRY })(fake);
    const response = await transport.send(get('/v2/a/blobs/uploads/1', { method: 'PUT', body: Readable.from(['x']) }));
    expect(response.status).toBe(401);
    expect(fake.sent).toHaveLength(1);
  });

  it.each([
    ['the token service refuses', { status: 401, body: 'no' }, /GET https:\/\/auth\.example\/token\?.*: HTTP 401 no/],
    ['the token service answers without a token', { status: 200, body: '{}' }, /without a token/],
  ])('fails clearly when %s', async (_case, tokenAnswer, message) => {
    const fake = below((request) =>
      request.url.href.startsWith(REALM) ? tokenAnswer : { status: 401, headers: bearer },
    );
    await expect(authorizing({ origin: REGISTRY })(fake).send(get('/v2/', { scopes: [] }))).rejects.toThrow(message);
  });

  it('refuses a scheme it does not speak', async () => {
    const fake = below(() => ({ status: 401, headers: { 'www-authenticate': 'Negotiate' } }));
    await expect(authorizing({ origin: REGISTRY })(fake).send(get('/v2/'))).rejects.toThrow(
      /unsupported authentication scheme negotiate/,
    );
  });
});

describe('registryTransport', () => {
  it('stacks the layers: a throttled token fetch is retried, every request sent waits for the bucket and names us', async () => {
    const waits: number[] = [];
    const rateLimiter = new TokenBucket({
      ratePerSecond: 1000,
      burst: 1,
      now: () => 0,
      sleep: async (ms) => waits.push(ms),
    });
    let throttled = false;
    const connections = below((request) => {
      if (request.url.host === 'auth.example') {
        if (throttled) return { status: 200, body: '{"token":"t"}' };
        throttled = true;
        return { status: 429, headers: { 'retry-after': '0' } };
      }
      return request.headers?.authorization === 'Bearer t'
        ? OK
        : { status: 401, headers: { 'www-authenticate': 'Bearer realm="https://auth.example/token"' } };
    });
    const transport = registryTransport({ origin: REGISTRY, connections, rateLimiter });
    expect((await transport.send(get('/v2/', { scopes: [] }))).status).toBe(200);
    expect(connections.sent.map((request) => `${request.method} ${request.url.host}`)).toEqual([
      'GET registry.example',
      'GET auth.example',
      'GET auth.example',
      'GET registry.example',
    ]);
    expect(waits).toHaveLength(connections.sent.length - 1);
    expect(
      connections.sent.every((request) => request.headers?.['user-agent'] === 'multicloud-registry-replicator'),
    ).toBe(true);
  });
});
