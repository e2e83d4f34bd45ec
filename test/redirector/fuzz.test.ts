/**
 * Randomized bad input (seeded, so a failure reproduces): malformed methods, paths, queries and X-Forwarded-For
 * values must never produce a 5xx, and a Location must always start with a configured backend and carry no
 * dot segments. 12,000 cases through the pure pipeline, 600 through a real socket (raw bytes, no client library).
 */
import http from 'node:http';
import net from 'node:net';
import pino from 'pino';
import { ClientResolver } from '../../lib/redirector/client';
import { configFromEnv } from '../../lib/redirector/config';
import { CLIENT_NOT_NEEDED, decide, settle } from '../../lib/redirector/decide';
import { RedirectorMetrics } from '../../lib/redirector/metrics';
import { needsClient, parseRequest } from '../../lib/redirector/route';
import { Redirector } from '../../lib/redirector/server';
import type { RoutingTable } from '../../lib/topology';
import { fixtureIndex, HEX64, IP_RANGES, smallTable } from './fixtures';

/** mulberry32: small, fast, seeded. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  return { next, int, pick };
}

type Random = ReturnType<typeof prng>;

const NASTY = [
  '..',
  '.',
  '%2e%2e',
  '%2F',
  '//',
  '\\',
  '@',
  'http:',
  'evil.example',
  '#',
  '?',
  ';',
  '%00',
  '\u00e9',
  '~',
  ':',
  ' ',
  '\t',
];
const NAME_PARTS = ['pause', 'kube-proxy', 'a', 'x.y', 'a__b', 'A', '-x', 'x-', ...NASTY];
const ENDPOINTS = ['manifests', 'blobs', 'tags', 'referrers', 'uploads', '_catalog', 'list', ''];
const REFERENCES = [
  '3.9',
  'latest',
  `sha256:${HEX64}`,
  `sha256-${HEX64}.sig`,
  `sha512:${'f'.repeat(128)}`,
  'sha256:xyz',
  'list',
  ...NASTY,
];

function randomText(r: Random, alphabet: string, max: number): string {
  let out = '';
  for (let i = r.int(max); i > 0; i--) out += alphabet[r.int(alphabet.length)];
  return out;
}

const PRINTABLE = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('');

function randomPath(r: Random): string {
  switch (r.int(4)) {
    case 0:
      return `/${randomText(r, PRINTABLE, 40)}`;
    case 1:
      return `/v2/${randomText(r, PRINTABLE, 60)}`;
    default: {
      const name = Array.from({ length: 1 + r.int(3) }, () => r.pick(NAME_PARTS)).join(
        r.pick(['/', '/', '/', '//', '']),
      );
      const tail = r.int(3) === 0 ? r.pick(REFERENCES) : `${r.pick(REFERENCES)}${randomText(r, PRINTABLE, 4)}`;
      const query = r.int(3) === 0 ? `?${randomText(r, `${PRINTABLE}\u00e9\u00ff`, 30)}` : '';
      return `/v2/${name}/${r.pick(ENDPOINTS)}/${tail}${query}`;
    }
  }
}

const IPS = [
  '3.5.140.9',
  '18.200.1.1',
  '34.1.208.5',
  '8.8.8.8',
  '2600:1f16::1',
  '::ffff:18.200.1.1',
  '20.42.0.1',
  '::',
];

function randomXff(r: Random): string | undefined {
  switch (r.int(5)) {
    case 0:
      return undefined;
    case 1:
      return randomText(r, `${PRINTABLE}`, 40);
    default:
      return Array.from({ length: r.int(4) }, () =>
        r.int(4) === 0 ? randomText(r, '0123456789abcdef:.[]% ', 20) : r.pick(IPS),
      ).join(r.pick([',', ', ', ' ,', ',,']));
  }
}

/** A valid request with a hostile query string: exercises redirects end to end. */
function wellFormedPath(r: Random): string {
  const endpoint = r.pick([`blobs/sha256:${HEX64}`, 'manifests/3.9', 'tags/list', `manifests/sha256-${HEX64}.sig`]);
  return `/v2/${r.pick(['pause', 'kube/proxy', 'a.b/c__d'])}/${endpoint}?${randomText(r, `${PRINTABLE}\u00e9\u00ff`, 30)}`;
}

function randomMethod(r: Random): string {
  return r.pick(['GET', 'GET', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'get', 'PATCH', 'CONNECT', 'TRACE']);
}

/** Every prefix a Location may start with: the configured backends, each followed by "/" (or exact info/privacy). */
function allowedPrefixes(table: RoutingTable): string[] {
  return [
    `${table.upstream.endpoint}/`,
    ...(table.signatureUpstream ? [`${table.signatureUpstream.endpoint}/`] : []),
    `${table.defaultBlobBaseUrl}/`,
    ...Object.values(table.mirrors).flatMap((byRegion) => Object.values(byRegion).map((base) => `${base}/`)),
  ];
}

function locationProblem(location: string, table: RoutingTable): string | undefined {
  if (location === table.infoUrl || location === table.privacyUrl) return undefined;
  if (!allowedPrefixes(table).some((prefix) => location.startsWith(prefix))) return 'outside the configured hosts';
  const path = location.split('?')[0]!.replace(/^https?:\/\/[^/]+/, '');
  if (path.split('/').some((segment) => segment === '..' || segment === '.' || /%2e/i.test(segment)))
    return 'dot segment';
  if (path.includes('//')) return 'empty segment';
  if (/[\s#\\]/.test(location)) return 'unsafe character';
  return undefined;
}

const table: RoutingTable = {
  ...smallTable('us-central1'),
  signatureUpstream: { endpoint: 'https://sigs.example.com', path: 'sigs/images' },
};

describe('randomized bad input', () => {
  it('12,000 cases through parseRequest, the client resolver and decide: no 5xx, no escaping Location', () => {
    const r = prng(20250724);
    const resolver = new ClientResolver(fixtureIndex(), 1);
    const failures: string[] = [];
    for (let n = 0; n < 12_000; n++) {
      const method = randomMethod(r);
      const target = randomPath(r);
      const xff = randomXff(r);
      const route = parseRequest(method, target);
      const client = needsClient(route) ? resolver.resolve(xff, '10.0.0.1') : CLIENT_NOT_NEEDED;
      const decision = decide(route, client, table);
      for (const final of [settle(decision, true), settle(decision, false)]) {
        const problem =
          final.status >= 500
            ? `status ${final.status}`
            : final.location
              ? locationProblem(final.location, table)
              : undefined;
        if (problem)
          failures.push(
            `${method} ${JSON.stringify(target)} xff=${JSON.stringify(xff)}: ${problem} (${final.location})`,
          );
      }
    }
    expect(failures.slice(0, 10)).toEqual([]);
  });

  describe('through a real socket', () => {
    let redirector: Redirector;
    let port: number;
    let backend: http.Server;
    let localTable: RoutingTable;

    beforeAll(async () => {
      // Every existence check answers 200, so blob Locations point at the mirrors and the default backend.
      backend = http.createServer((_req, res) => res.end());
      await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
      const base = `http://127.0.0.1:${(backend.address() as net.AddressInfo).port}`;
      const local: RoutingTable = {
        ...table,
        defaultBlobBaseUrl: `${base}/default`,
        mirrors: { aws: { 'eu-west-1': `${base}/eu` } },
      };
      const config = configFromEnv({
        ROUTING_TABLE: JSON.stringify(local),
        IP_RANGES,
        PORT: '0',
        LISTEN_ADDRESS: '127.0.0.1',
        ADMIN_PORT: '0',
        ADMIN_ADDRESS: '127.0.0.1',
      });
      redirector = new Redirector({
        config,
        index: fixtureIndex(),
        logger: pino({ level: 'silent' }),
        metrics: new RedirectorMetrics({ defaultMetrics: false }),
      });
      ({ port } = await redirector.listen());
      localTable = local;
    });

    afterAll(async () => {
      await redirector.drain();
      await new Promise<void>((resolve) => backend.close(() => resolve()));
    });

    function raw(bytes: string): Promise<string> {
      return new Promise((resolve, reject) => {
        const socket = net.connect(port, '127.0.0.1');
        let data = '';
        socket.setEncoding('latin1');
        socket.on('data', (chunk: string) => (data += chunk));
        socket.on('end', () => resolve(data));
        socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? resolve(data) : reject(err)));
        socket.end(Buffer.from(bytes, 'latin1'));
      });
    }

    it('600 malformed requests: no 5xx, no escaping Location', async () => {
      const local = localTable;
      const r = prng(7);
      const failures: string[] = [];
      const statuses = new Map<number, number>();
      for (let n = 0; n < 600; n++) {
        // Mostly GET here: the pure test covers methods; this one needs requests that reach the routing.
        const method = r.int(4) === 0 ? randomMethod(r) : 'GET';
        const target = r.int(3) === 0 ? wellFormedPath(r) : randomPath(r);
        const xff = r.int(3) === 0 ? `${r.pick(IPS)}, 34.1.1.1` : randomXff(r);
        const extra = r.int(10) === 0 ? `X-Junk: ${randomText(r, PRINTABLE, 200)}\r\n` : '';
        const headers = `Host: registry.example.com\r\n${xff === undefined ? '' : `X-Forwarded-For: ${xff}\r\n`}${extra}Connection: close\r\n`;
        const response = await raw(`${method} ${target} HTTP/1.1\r\n${headers}\r\n`);
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 0);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        const location = /\r\nlocation: ([^\r]*)\r\n/i.exec(response)?.[1];
        const problem =
          status === 0 && response !== ''
            ? 'unparsable response'
            : status >= 500
              ? `status ${status}`
              : location
                ? locationProblem(location, local)
                : undefined;
        if (problem)
          failures.push(`${method} ${JSON.stringify(target)} xff=${JSON.stringify(xff)}: ${problem} (${location})`);
      }
      expect(failures.slice(0, 10)).toEqual([]);
      // The sample really exercised redirects and refusals.
      expect(statuses.get(307)).toBeGreaterThan(20);
      expect(statuses.get(400)).toBeGreaterThan(30);
    });
  });
});
