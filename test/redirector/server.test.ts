/**
 * The server through real sockets, with the existence checks answered by the local S3 stand-in (s3rver), a
 * counting HTTP server, or a black hole that accepts connections and never answers.
 */
import http from 'node:http';
import net from 'node:net';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { blobKey } from '../../lib/topology/blob-layout';
import { configFromEnv, type Config } from '../../lib/redirector/config';
import { RedirectorLog } from '../../lib/redirector/log';
import { RedirectorMetrics } from '../../lib/redirector/metrics';
import { Redirector } from '../../lib/redirector/server';
import { shareBucket } from '../../lib/redirector/share';
import type { RoutingTable } from '../../lib/topology';
import { startS3, type LocalS3 } from '../support/s3';
import { fixtureIndex, IP_RANGES, smallTable } from './fixtures';

const AWS_EU_WEST_1 = '18.200.1.1, 34.1.1.1'; // client, then the load balancer
const GCP_CLIENT = '34.1.208.5, 34.1.1.1';
const UNLISTED = '8.8.8.8, 34.1.1.1';
const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;
const PROJECT = 'k8s-infra-prod-registry';
const TRACE_ID = '105445aa7843bc8bf206b120001000ab';
/** What the Google load balancer adds to each request it forwards. */
const TRACED = { 'x-cloud-trace-context': `${TRACE_ID}/7654321;o=1` };
const TRACE_FIELDS = {
  'logging.googleapis.com/trace': `projects/${PROJECT}/traces/${TRACE_ID}`,
  'logging.googleapis.com/spanId': '7654321',
};

interface Response {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(
  port: number,
  path: string,
  options: { method?: string; xff?: string; agent?: http.Agent; headers?: http.OutgoingHttpHeaders } = {},
): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? 'GET',
        agent: options.agent ?? false,
        headers: { ...(options.xff ? { 'x-forwarded-for': options.xff } : {}), ...options.headers },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** The redirector's log, its lines parsed back as JSON for the tests to read. */
function readableLog(config: Config) {
  const lines: Record<string, unknown>[] = [];
  const sink = {
    write(line: string) {
      expect(line.endsWith('\n') && !line.slice(0, -1).includes('\n')).toBe(true);
      lines.push(JSON.parse(line) as Record<string, unknown>);
    },
  };
  return {
    lines,
    log: new RedirectorLog({ level: config.logLevel, region: config.table.region, projectId: config.projectId, sink }),
  };
}

const running: Redirector[] = [];

async function startRedirector(table: RoutingTable, env: Record<string, string> = {}) {
  const config = configFromEnv({
    ROUTING_TABLE: JSON.stringify(table),
    IP_RANGES,
    PORT: '0',
    LISTEN_ADDRESS: '127.0.0.1',
    ADMIN_PORT: '0',
    ADMIN_ADDRESS: '127.0.0.1',
    HEAD_TIMEOUT_MS: '300',
    SHUTDOWN_GRACE_MS: '2000',
    ...env,
  });
  const { lines, log } = readableLog(config);
  const redirector = new Redirector({
    config,
    index: fixtureIndex(),
    log,
    metrics: new RedirectorMetrics({ defaultMetrics: false }),
  });
  running.push(redirector);
  const addresses = await redirector.listen();
  return { redirector, lines, ...addresses };
}

/** A HEAD-answering server that counts requests per path. */
async function countingServer(statusFor: (path: string) => number, delayMs = 0) {
  const heads = new Map<string, number>();
  const server = http.createServer((req, res) => {
    heads.set(req.url!, (heads.get(req.url!) ?? 0) + 1);
    setTimeout(() => {
      res.writeHead(statusFor(req.url!));
      res.end();
    }, delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    heads,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())).then(() => server.closeAllConnections()),
  };
}

describe('redirector over HTTP', () => {
  let s3: LocalS3;
  let table: RoutingTable;
  let port: number;
  let adminPort: number;
  let lines: Record<string, unknown>[];
  const present = digest(1);
  const AR = 'https://us-central1-docker.pkg.dev/v2/small-artifacts/images';

  beforeAll(async () => {
    s3 = await startS3(['small-registry-us-east-2', 'small-registry-eu-west-1']);
    await s3.client.send(
      new PutObjectCommand({ Bucket: 'small-registry-eu-west-1', Key: blobKey(present), Body: 'layer' }),
    );
    // Mirror URLs come from the topology's blob endpoint template, pointed at the local S3.
    table = smallTable('us-central1', `${s3.endpoint}/{bucket}`);
    ({ port, adminPort, lines } = await startRedirector(table));
  });

  afterAll(async () => {
    for (const redirector of running) await redirector.drain();
    await s3.stop();
  });

  it('answers /v2/ with the API version header and an empty body, GET and HEAD', async () => {
    for (const method of ['GET', 'HEAD']) {
      const res = await request(port, '/v2/', { method });
      expect(res.status).toBe(200);
      expect(res.headers['docker-distribution-api-version']).toBe('registry/2.0');
      expect(res.headers['content-length']).toBe('0');
      expect(res.body).toBe('');
    }
  });

  it('refuses other methods with 405, an Allow header and a plain-text reason', async () => {
    const res = await request(port, '/v2/', { method: 'POST' });
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD');
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.body).toBe('Only GET and HEAD are allowed.\n');
  });

  it('answers a HEAD with the status and headers of the GET, without the body', async () => {
    const get = await request(port, '/v2/UPPER/manifests/x');
    const head = await request(port, '/v2/UPPER/manifests/x', { method: 'HEAD' });
    expect(get.body).not.toBe('');
    expect(head).toEqual({ status: get.status, headers: { ...get.headers, date: head.headers.date }, body: '' });
  });

  it('serves liveness and readiness', async () => {
    for (const path of ['/-/healthy', '/-/ready']) {
      const res = await request(port, path);
      expect({ status: res.status, type: res.headers['content-type'], body: res.body }).toEqual({
        status: 200,
        type: 'text/plain; charset=utf-8',
        body: 'ok\n',
      });
    }
  });

  it('answers other paths with a plain 404, and the catalog with an OCI error', async () => {
    const [robots, catalog] = await Promise.all([request(port, '/robots.txt'), request(port, '/v2/_catalog')]);
    expect(robots).toMatchObject({
      status: 404,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      body: 'Not Found\n',
    });
    expect(catalog).toMatchObject({ status: 404, headers: { 'content-type': 'application/json; charset=utf-8' } });
    expect(JSON.parse(catalog.body)).toEqual({
      errors: [{ code: 'UNSUPPORTED', message: 'the catalog API is not supported' }],
    });
  });

  it('sends an AWS client to its mirror when the blob is there, and the mirror serves it', async () => {
    const res = await request(port, `/v2/pause/blobs/${present}`, { xff: AWS_EU_WEST_1 });
    expect(res.status).toBe(307);
    expect(res.headers.location).toBe(`${s3.endpoint}/small-registry-eu-west-1/containers/images/${present}`);
    const blob = await fetch(res.headers.location!);
    expect(await blob.text()).toBe('layer');
  });

  it('sends an AWS client to the upstream when its mirror lacks the blob', async () => {
    const res = await request(port, `/v2/pause/blobs/${digest(2)}`, { xff: AWS_EU_WEST_1 });
    expect(res.status).toBe(307);
    expect(res.headers.location).toBe(`${AR}/pause/blobs/${digest(2)}`);
  });

  it('sends unlisted clients to the default backend only when it has the blob', async () => {
    const res = await request(port, `/v2/pause/blobs/${present}`, { xff: UNLISTED });
    // The default backend of us-central1 is the us-east-2 bucket, which does not hold this blob.
    expect(res.headers.location).toBe(`${AR}/pause/blobs/${present}`);
  });

  it('sends GCP clients straight to the upstream', async () => {
    const res = await request(port, `/v2/pause/blobs/${present}?x=1`, { xff: GCP_CLIENT });
    expect(res.headers.location).toBe(`${AR}/pause/blobs/${present}?x=1`);
  });

  it('redirects manifests with the query string kept and logs one info line per pull', async () => {
    const res = await request(port, '/v2/pause/manifests/3.9?ns=registry.k8s.io', { xff: AWS_EU_WEST_1 });
    expect(res.status).toBe(307);
    expect(res.headers.location).toBe(`${AR}/pause/manifests/3.9?ns=registry.k8s.io`);
    expect(lines).toContainEqual(
      expect.objectContaining({
        message: 'image pull',
        repository: 'pause',
        reference: '3.9',
        clientCloud: 'aws',
        clientRegion: 'eu-west-1',
        upstreamRegion: 'us-central1',
        backend: 'upstream',
        status: 307,
      }),
    );
  });

  it('refuses a malformed X-Forwarded-For with 400 and a clear message', async () => {
    const res = await request(port, `/v2/pause/blobs/${present}`, { xff: 'not-an-ip, 34.1.1.1' });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.body).toBe('X-Forwarded-For client entry "not-an-ip" is not an IP address\n');
  });

  it('refuses bad names with an OCI error body', async () => {
    const res = await request(port, '/v2/UPPER/manifests/x');
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(res.body)).toMatchObject({ errors: [{ code: 'NAME_INVALID' }] });
  });

  it('exposes Prometheus metrics on the admin port only', async () => {
    const metrics = await request(adminPort, '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.body).toMatch(/redirector_requests_total\{route="blob",decision="mirror",status="307"\} 1/);
    expect(metrics.body).toContain('redirector_head_duration_seconds_bucket');
    expect(metrics.body).toMatch(/redirector_existence_cache_total\{result="miss"\} \d+/);
    expect((await request(port, '/metrics')).status).toBe(404);
  });

  it('makes one HEAD per URL however many requests wait, then answers from the cache (positive and negative)', async () => {
    const backend = await countingServer((path) => (path.endsWith(digest(10)) ? 200 : 404), 100);
    try {
      const custom = { ...table, mirrors: { aws: { 'eu-west-1': `${backend.url}/bucket` } } };
      const { port: customPort } = await startRedirector(custom);
      for (const [d, expectedBackend] of [
        [digest(10), `${backend.url}/bucket/containers/images/${digest(10)}`],
        [digest(11), `${AR}/pause/blobs/${digest(11)}`],
      ]) {
        const burst = await Promise.all(
          Array.from({ length: 20 }, () => request(customPort, `/v2/pause/blobs/${d}`, { xff: AWS_EU_WEST_1 })),
        );
        expect(new Set(burst.map((r) => r.headers.location))).toEqual(new Set([expectedBackend]));
        const again = await request(customPort, `/v2/pause/blobs/${d}`, { xff: AWS_EU_WEST_1 });
        expect(again.headers.location).toBe(expectedBackend);
        expect(backend.heads.get(`/bucket/containers/images/${d}`)).toBe(1);
      }
    } finally {
      await backend.close();
    }
  });

  it('sends clients of a dead mirror to the upstream fast: one timeout, then the breaker is open', async () => {
    let connections = 0;
    const blackHole = net.createServer((socket) => {
      connections++;
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
    const deadUrl = `http://127.0.0.1:${(blackHole.address() as net.AddressInfo).port}`;
    try {
      const custom = { ...table, mirrors: { aws: { 'eu-west-1': `${deadUrl}/bucket` } } };
      const {
        port: customPort,
        adminPort: customAdmin,
        lines: customLines,
      } = await startRedirector(custom, { HEAD_TIMEOUT_MS: '250' });
      const first = await request(customPort, `/v2/pause/blobs/${digest(20)}`, { xff: AWS_EU_WEST_1 });
      expect(first.headers.location).toBe(`${AR}/pause/blobs/${digest(20)}`);
      // No wall-clock bound here (CI machines are slow and shared): the breaker's count and the single connection
      // show that none of these requests waited on a HEAD.
      const next = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          request(customPort, `/v2/pause/blobs/${digest(21 + i)}`, { xff: AWS_EU_WEST_1 }),
        ),
      );
      expect(next.every((r) => r.headers.location?.startsWith(AR))).toBe(true);
      expect(connections).toBe(1);
      const metrics = await request(customAdmin, '/metrics');
      expect(metrics.body).toContain(`redirector_breaker_state{origin="${deadUrl}"} 1`);
      expect(metrics.body).toMatch(/redirector_existence_cache_total\{result="breaker-open"\} 10/);
      // The origin's first check reports it closed, then it opens: the line the breaker-opened log-based metric
      // counts, at WARNING.
      expect(customLines.filter((line) => line.message === 'breaker')).toEqual([
        expect.objectContaining({ severity: 'INFO', level: 30, state: 'closed', origin: deadUrl }),
        expect.objectContaining({ severity: 'WARNING', level: 40, state: 'open', origin: deadUrl }),
      ]);
    } finally {
      blackHole.close();
    }
  });

  describe('a gradual rollout of the AWS mirrors', () => {
    // The client's bucket decides: a share one bucket above it takes the client, a share at its bucket does not.
    const clientBucket = shareBucket(AWS_EU_WEST_1.split(',')[0]!);
    const start = (percent: number) => startRedirector({ ...table, mirrorShares: { aws: percent } });

    it.each([
      ['in the share: its mirror', (clientBucket + 1) / 100, true],
      ['outside the share: the region default', clientBucket / 100, false],
    ])('a client %s, said in the pull line and counted', async (_name, percent, inShare) => {
      const rollout = await start(percent);
      const res = await request(rollout.port, `/v2/pause/blobs/${present}`, { xff: AWS_EU_WEST_1 });
      const bucketOf = inShare ? 'small-registry-eu-west-1' : 'small-registry-us-east-2';
      // The default lacks the blob: it falls back to the upstream.
      expect(res.headers.location).toBe(
        inShare ? `${s3.endpoint}/${bucketOf}/containers/images/${present}` : `${AR}/pause/blobs/${present}`,
      );
      await request(rollout.port, '/v2/pause/manifests/3.9', { xff: AWS_EU_WEST_1 });
      await request(rollout.port, '/v2/pause/manifests/3.9', { xff: UNLISTED });
      expect(rollout.lines.filter((line) => line.message === 'image pull').map((line) => line.inShare)).toEqual([
        inShare,
        null,
      ]);
      const metrics = await request(rollout.adminPort, '/metrics');
      expect(metrics.body).toContain(`redirector_mirror_share_total{cloud="aws",in_share="${inShare}"} 1`);
      expect(metrics.body).toContain(`redirector_mirror_share_total{cloud="aws",in_share="${!inShare}"} 0`);
    });

    it('no share set: nothing counted', async () => {
      await request(port, `/v2/pause/blobs/${present}`, { xff: AWS_EU_WEST_1 });
      expect((await request(adminPort, '/metrics')).body).not.toMatch(/redirector_mirror_share_total\{/);
    });
  });

  it('at debug, logs one line per request with the decision and how the existence check was answered', async () => {
    const { port: debugPort, lines: debugLines } = await startRedirector(table, { LOG_LEVEL: 'debug' });
    const blob = `/v2/pause/blobs/${present}`;
    for (const path of [blob, blob, '/v2/']) await request(debugPort, path, { xff: AWS_EU_WEST_1 });
    const requests = debugLines.filter((line) => line.message === 'request');
    expect(
      requests.map(({ target, route, status, backend, cache }) => ({ target, route, status, backend, cache })),
    ).toEqual([
      { target: blob, route: 'blob', status: 307, backend: 'mirror', cache: 'miss' },
      { target: blob, route: 'blob', status: 307, backend: 'mirror', cache: 'hit' },
      { target: '/v2/', route: 'v2-base', status: 200, backend: 'registry-api', cache: null },
    ]);
    expect(requests[0]).toMatchObject({
      method: 'GET',
      location: `${s3.endpoint}/small-registry-eu-west-1/containers/images/${present}`,
      reason: 'mirror of the client region',
      cloud: 'aws',
      region: 'eu-west-1',
      durationMs: expect.any(Number),
    });
  });

  describe('log lines Cloud Logging understands', () => {
    let tracedPort: number;
    let tracedLines: Record<string, unknown>[];
    const pulls = () => tracedLines.filter((line) => line.message === 'image pull');

    beforeAll(async () => {
      ({ port: tracedPort, lines: tracedLines } = await startRedirector(table, { GOOGLE_CLOUD_PROJECT: PROJECT }));
    });
    beforeEach(() => tracedLines.splice(0));

    it('one pull line per manifest GET, with severity, message and the trace of the load balancer header', async () => {
      await request(tracedPort, '/v2/pause/manifests/3.9', { xff: AWS_EU_WEST_1, headers: TRACED });
      expect(pulls()).toEqual([
        {
          level: 30,
          severity: 'INFO',
          time: expect.any(Number),
          service: 'redirector',
          region: 'us-central1',
          repository: 'pause',
          reference: '3.9',
          clientCloud: 'aws',
          clientRegion: 'eu-west-1',
          upstreamRegion: 'us-central1',
          backend: 'upstream',
          status: 307,
          inShare: null,
          ...TRACE_FIELDS,
          message: 'image pull',
        },
      ]);
    });

    it('no trace without the header; null client fields for a client in no donor range', async () => {
      await request(tracedPort, `/v2/pause/manifests/${digest(3)}`, { xff: UNLISTED });
      expect(pulls()).toEqual([
        expect.objectContaining({ reference: digest(3), clientCloud: null, clientRegion: null, severity: 'INFO' }),
      ]);
      expect(Object.keys(pulls()[0]!).filter((key) => key.startsWith('logging.googleapis.com/'))).toEqual([]);
    });

    it('no pull line for a manifest HEAD, a blob or /v2/', async () => {
      await request(tracedPort, '/v2/pause/manifests/3.9', { method: 'HEAD', xff: AWS_EU_WEST_1, headers: TRACED });
      await request(tracedPort, `/v2/pause/blobs/${present}`, { xff: GCP_CLIENT, headers: TRACED });
      await request(tracedPort, '/v2/', { headers: TRACED });
      expect(tracedLines).toEqual([]);
    });

    it('no trace when no project is configured, even with the header', async () => {
      const before = lines.length;
      await request(port, '/v2/pause/manifests/3.9', { xff: AWS_EU_WEST_1, headers: TRACED });
      expect(lines.slice(before)).toEqual([expect.objectContaining({ message: 'image pull', severity: 'INFO' })]);
      expect(lines.slice(before)[0]).not.toHaveProperty(['logging.googleapis.com/trace']);
    });

    it('the debug line of a request carries its trace', async () => {
      const { port: debugPort, lines: debugLines } = await startRedirector(table, {
        LOG_LEVEL: 'debug',
        GOOGLE_CLOUD_PROJECT: PROJECT,
      });
      await request(debugPort, '/v2/', { headers: TRACED });
      expect(debugLines.filter((line) => line.message === 'request')).toEqual([
        expect.objectContaining({ severity: 'DEBUG', level: 20, route: 'v2-base', ...TRACE_FIELDS }),
      ]);
    });
  });

  describe('a failure inside the redirector', () => {
    let failing: Redirector;
    let failingPort: number;
    let failingAdmin: number;
    let failingLines: Record<string, unknown>[];
    const blob = `/v2/pause/blobs/${digest(50)}`;
    const errors = () => failingLines.filter((line) => line.message === 'request failed');

    beforeAll(async () => {
      ({
        redirector: failing,
        port: failingPort,
        adminPort: failingAdmin,
        lines: failingLines,
      } = await startRedirector(table, { GOOGLE_CLOUD_PROJECT: PROJECT }));
    });
    beforeEach(() => failingLines.splice(0));
    afterEach(() => jest.restoreAllMocks());

    it('answers 500 and logs an error line with the trace when the existence check fails', async () => {
      jest.spyOn(failing.existence, 'exists').mockRejectedValue(new Error('check exploded'));
      const res = await request(failingPort, blob, { xff: AWS_EU_WEST_1, headers: TRACED });
      expect({ status: res.status, type: res.headers['content-type'], body: res.body }).toEqual({
        status: 500,
        type: 'text/plain; charset=utf-8',
        body: 'internal error\n',
      });
      expect(errors()).toEqual([
        expect.objectContaining({
          level: 50,
          severity: 'ERROR',
          err: expect.objectContaining({ message: 'check exploded' }),
          ...TRACE_FIELDS,
        }),
      ]);
    });

    it('answers 500 when the request handling throws before answering', async () => {
      jest.spyOn(failing.existence, 'known').mockImplementation(() => {
        throw new Error('cache exploded');
      });
      const res = await request(failingPort, blob, { xff: AWS_EU_WEST_1 });
      expect(res.status).toBe(500);
      expect(errors()).toEqual([
        expect.objectContaining({ err: expect.objectContaining({ message: 'cache exploded' }) }),
      ]);
      expect(errors()[0]).not.toHaveProperty(['logging.googleapis.com/trace']);
    });

    it('cuts the connection when it throws after the answer was sent', async () => {
      jest.spyOn(failing.metrics, 'request').mockImplementation(() => {
        throw new Error('count exploded');
      });
      const outcome = await request(failingPort, '/v2/').then(
        (res) => `answered ${res.status}`,
        (err: NodeJS.ErrnoException) => err.code,
      );
      // The head and the empty body may reach the client before the socket is destroyed.
      expect(['answered 200', 'ECONNRESET']).toContain(outcome);
      expect(errors()).toEqual([
        expect.objectContaining({ err: expect.objectContaining({ message: 'count exploded' }) }),
      ]);
    });

    it('cuts the connection when it throws after an answer that waited for an existence check', async () => {
      jest.spyOn(failing.existence, 'exists').mockResolvedValue({ present: true, cache: 'miss' });
      jest.spyOn(failing.metrics, 'request').mockImplementation(() => {
        throw new Error('count exploded late');
      });
      const outcome = await request(failingPort, `/v2/pause/blobs/${digest(51)}`, { xff: AWS_EU_WEST_1 }).then(
        (res) => `answered ${res.status}`,
        (err: NodeJS.ErrnoException) => err.code,
      );
      expect(['answered 307', 'ECONNRESET']).toContain(outcome);
      // Not an unhandled rejection: the failure is logged, as on the synchronous path.
      expect(errors()).toEqual([
        expect.objectContaining({ err: expect.objectContaining({ message: 'count exploded late' }) }),
      ]);
    });

    it('answers 500 on the admin port when the metrics cannot be collected, 404 elsewhere', async () => {
      jest.spyOn(failing.metrics.registry, 'metrics').mockRejectedValue(new Error('collect exploded'));
      expect((await request(failingAdmin, '/metrics?x=1')).status).toBe(500);
      expect(errors()).toEqual([
        expect.objectContaining({ err: expect.objectContaining({ message: 'collect exploded' }) }),
      ]);
      const other = await request(failingAdmin, '/other');
      expect({ status: other.status, body: other.body }).toEqual({ status: 404, body: 'Not Found\n' });
      expect((await request(failingAdmin, '/metrics', { method: 'POST' })).status).toBe(404);
    });
  });

  it('drains gracefully: in-flight requests finish, then the port closes', async () => {
    const slow = await countingServer(() => 200, 300);
    try {
      const custom = { ...table, mirrors: { aws: { 'eu-west-1': `${slow.url}/bucket` } } };
      const { redirector, port: customPort } = await startRedirector(custom, { HEAD_TIMEOUT_MS: '2000' });
      const inFlight = request(customPort, `/v2/pause/blobs/${digest(40)}`, { xff: AWS_EU_WEST_1 });
      // Wait until the request reached the backend, so it is in flight when the drain starts.
      const deadline = Date.now() + 5000;
      while (!slow.heads.size && Date.now() < deadline) await new Promise((r) => setImmediate(r));
      const drained = redirector.drain();
      const res = await inFlight;
      expect(res.status).toBe(307);
      expect(res.headers.location).toContain(slow.url);
      expect(res.headers.connection).toBe('close');
      await drained;
      await expect(request(customPort, '/-/ready')).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      await slow.close();
    }
  });
});

describe('building a redirector', () => {
  const config = configFromEnv({
    ROUTING_TABLE: JSON.stringify(smallTable()),
    IP_RANGES,
    PORT: '0',
    LISTEN_ADDRESS: '127.0.0.1',
    ADMIN_PORT: '0',
    ADMIN_ADDRESS: '127.0.0.1',
  });

  it('without metrics given: its own, with the process metrics', async () => {
    const redirector = new Redirector({ config, index: fixtureIndex(), log: readableLog(config).log });
    const text = await redirector.metrics.registry.metrics();
    expect(text).toContain('redirector_requests_total');
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(await new RedirectorMetrics({ defaultMetrics: false }).registry.metrics()).not.toContain(
      'process_cpu_user_seconds_total',
    );
  });

  it('listen() rejects when the port is taken', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const redirector = new Redirector({
      config: { ...config, listen: { ...config.listen, port: (taken.address() as net.AddressInfo).port } },
      index: fixtureIndex(),
      log: readableLog(config).log,
      metrics: new RedirectorMetrics({ defaultMetrics: false }),
    });
    try {
      await expect(redirector.listen()).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await new Promise<void>((resolve) => redirector.adminServer.close(() => resolve()));
      await new Promise<void>((resolve) => taken.close(() => resolve()));
    }
  });
});
