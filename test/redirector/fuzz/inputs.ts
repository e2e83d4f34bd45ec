/**
 * Hostile requests for the redirector, generated from a seed: request number n of seed s is always the same bytes
 * (its own generator is seeded with both), whatever the concurrency, so one failing request replays alone.
 *
 * Two shapes: structured requests (well-formed HTTP with hostile content, sent by node's client over keep-alive
 * connections) and raw ones (bytes on a fresh socket: malformed request lines, huge and repeated headers, invalid
 * UTF-8 and percent-encoding, absolute-form targets, pipelining, smuggling-shaped framing).
 */

/** mulberry32: small, fast, seeded. */
export function prng(seed: number) {
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
  const chance = (p: number) => next() < p;
  return { next, int, pick, chance };
}

export type Random = ReturnType<typeof prng>;

/** The generator of request `n` of `seed`. */
export function requestRandom(seed: number, n: number): Random {
  return prng(Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(n + 1, 0xc2b2ae35));
}

export const HEX64 = 'ab'.repeat(32);
export const DIGEST = `sha256:${HEX64}`;

export function randomText(r: Random, alphabet: string, max: number): string {
  let out = '';
  for (let i = r.int(max); i > 0; i--) out += alphabet[r.int(alphabet.length)];
  return out;
}

const HEX = '0123456789abcdef';

/** A digest whose first hex digit the local mirror reads to pick its answer (present, absent, failing). */
function randomDigest(r: Random): string {
  return `sha256:${HEX[r.int(16)]!}${HEX[r.int(16)]!.repeat(63)}`;
}

export const PRINTABLE = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('');
/** Latin1 text as node hands it over in `req.url`: every byte one character. */
const HIGH = Array.from({ length: 128 }, (_, i) => String.fromCharCode(128 + i)).join('');

export const NASTY = [
  '..',
  '.',
  '%2e%2e',
  '%2E.',
  '.%2e',
  '%2F',
  '%2f..',
  '..%2f',
  '..;',
  '..\\',
  '//',
  '\\',
  '@',
  'http:',
  'evil.example',
  '#',
  '?',
  ';',
  '%00',
  '%',
  '%g1',
  '%c0%af',
  '%ff%fe',
  '%25%32%65',
  '\u00e9',
  '\u00c3\u00a9',
  '\u00ed\u00a0\u0080',
  '~',
  ':',
];
const NAME_PARTS = ['pause', 'kube-proxy', 'a', 'x.y', 'a__b', 'A', '-x', 'x-', ...NASTY];
const ENDPOINTS = ['manifests', 'blobs', 'tags', 'referrers', 'uploads', '_catalog', 'list', ''];
const REFERENCES = [
  '3.9',
  'latest',
  DIGEST,
  `sha256-${HEX64}.sig`,
  `sha256-${HEX64}.att`,
  `sha512:${'f'.repeat(128)}`,
  'sha256:xyz',
  'list',
  ...NASTY,
];

/** Requests a registry client really sends, the starting point of the mutations below. */
function validApiPath(r: Random): string {
  const name = r.pick(['pause', 'kube/proxy', 'a.b/c__d', 'sig-storage/csi-node-driver-registrar']);
  const endpoint = r.pick([
    `blobs/${randomDigest(r)}`,
    `blobs/${randomDigest(r)}`,
    'manifests/3.9',
    `manifests/${DIGEST}`,
    `manifests/sha256-${HEX64}.sig`,
    'tags/list',
    `referrers/${DIGEST}`,
    'blobs/uploads/',
  ]);
  return `/v2/${name}/${endpoint}`;
}

/** `..`, `.`, an empty segment (`//`) or an escaped dot segment, inserted or substituted at any position. */
function withDotsOrSlashes(r: Random, path: string): string {
  const segments = path.split('/');
  const odd = r.pick(['..', '.', '', '%2e%2e', '%2E.', '.%2e', '..%2f', '%2f..', '..;', '..\\', '%2e']);
  const at = r.int(segments.length + 1);
  if (r.chance(0.5)) segments.splice(at, 0, odd);
  else segments[Math.min(at, segments.length - 1)] = odd;
  const out = segments.join('/');
  return r.chance(0.1) ? `/${out}` : out; // a leading `//`
}

function randomQuery(r: Random, alphabet: string): string {
  switch (r.int(5)) {
    case 0:
      return '';
    case 1:
      return '?';
    case 2:
      return `?n=${r.int(1000)}&last=${r.pick(['3.8', 'v1', '%2e%2e', '..', ''])}`;
    default:
      return `?${randomText(r, alphabet, 40)}`;
  }
}

/** A path of the API's shape with hostile parts, or plain junk. `alphabet` limits the characters used. */
export function randomPath(r: Random, alphabet = `${PRINTABLE}${HIGH}`): string {
  switch (r.int(6)) {
    case 0:
      return `/${randomText(r, alphabet, 40)}`;
    case 1:
      return `/v2/${randomText(r, alphabet, 60)}`;
    case 2:
    case 3:
      return `${withDotsOrSlashes(r, validApiPath(r))}${randomQuery(r, alphabet)}`;
    default: {
      const name = Array.from({ length: 1 + r.int(3) }, () => r.pick(NAME_PARTS)).join(
        r.pick(['/', '/', '/', '//', '']),
      );
      const tail = r.chance(0.3) ? r.pick(REFERENCES) : `${r.pick(REFERENCES)}${randomText(r, alphabet, 4)}`;
      return `/v2/${name}/${r.pick(ENDPOINTS)}/${tail}${randomQuery(r, alphabet)}`;
    }
  }
}

/** A valid request with a hostile query string: exercises redirects end to end. */
export function wellFormedPath(r: Random, alphabet = `${PRINTABLE}${HIGH}`): string {
  return `${validApiPath(r)}?${randomText(r, alphabet, 30)}`;
}

export function randomMethod(r: Random): string {
  return r.pick(['GET', 'GET', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'get', 'PATCH', 'TRACE', 'PURGE']);
}

/** Addresses of the fixture ranges (located, mapped, unlisted), in their different spellings. */
export const IPS = [
  '3.5.140.9',
  '18.200.1.1',
  '34.1.208.5',
  '8.8.8.8',
  '20.42.0.1',
  '2600:1f16::1',
  '2600:1F16:0:0:0:0:0:1',
  '2600:1900:4000::5',
  '::ffff:18.200.1.1',
  '::ffff:3.5.140.9',
  '::FFFF:1290:0101',
  '::',
  '::1',
];

/** Entries a client or a broken proxy may put in X-Forwarded-For. */
const ODD_ENTRIES = [
  '',
  ' ',
  'unknown',
  '"3.5.140.9"',
  '3.5.140.9:443',
  '[2600:1f16::1]',
  '[2600:1f16::1]:443',
  'fe80::1%eth0',
  'fe80::1%25eth0',
  '2600:1f16::1%1',
  '0x03.5.140.9',
  '3.5.140.011',
  '052.0.0.1',
  '3.5.36873',
  '4294967295',
  '3.5.140.9.',
  '3.5.140',
  '256.1.1.1',
  '2600:1f16::3.5.140.9',
  '2600:1f16:::1',
  ':::',
  '1:2:3:4:5:6:7:8:9',
  'for=3.5.140.9',
  '_hidden',
  'a'.repeat(1000),
];

function xffEntry(r: Random): string {
  switch (r.int(4)) {
    case 0:
      return r.pick(ODD_ENTRIES);
    case 1:
      return randomText(r, '0123456789abcdefABCDEF:.[]%', 20);
    default:
      return r.pick(IPS);
  }
}

/** Every X-Forwarded-For form: absent, empty, one entry, the load balancer's two, many, padded, odd separators. */
export function randomXff(r: Random): string | undefined {
  switch (r.int(8)) {
    case 0:
      return undefined;
    case 1:
      return r.pick(['', ',', ',,,', ' , ', '\t']);
    case 2:
      return xffEntry(r);
    case 3:
      return `${r.pick(IPS)}, ${r.pick(IPS)}`;
    case 4:
      // Many entries: a long proxy chain, or a client padding the header.
      return Array.from({ length: 3 + r.int(300) }, () => r.pick(IPS)).join(', ');
    default:
      return Array.from({ length: 1 + r.int(4) }, () => {
        const pad = r.pick(['', ' ', '  ', '\t']);
        return `${pad}${xffEntry(r)}${r.pick(['', ' ', '\t'])}`;
      }).join(r.pick([',', ', ', ' ,', ',,']));
  }
}

export interface StructuredRequest {
  readonly shape: 'structured';
  readonly method: string;
  readonly path: string;
  /** Header lines in order; a name may repeat. */
  readonly headers: readonly (readonly [string, string])[];
}

export interface RawRequest {
  readonly shape: 'raw';
  /** Which family of malformation, for the report. */
  readonly family: string;
  /** latin1: every character is one byte on the wire. */
  readonly bytes: string;
}

export type FuzzRequest = StructuredRequest | RawRequest;

/** Printable latin1 only: node's client refuses other characters in a path or a header value. */
const CLIENT_SAFE = `${PRINTABLE.slice(1)}${HIGH.slice(32)}`;

function structured(r: Random): StructuredRequest {
  const method = r.chance(0.15) ? randomMethod(r) : r.pick(['GET', 'GET', 'HEAD']);
  // Enough well-formed requests that about half the answers are redirects, whose Location is checked.
  const path = r.chance(0.5) ? wellFormedPath(r, CLIENT_SAFE) : randomPath(r, CLIENT_SAFE).replace(/[ \t]/g, '+');
  const headers: [string, string][] = [];
  const xffCount = r.chance(0.1) ? 2 + r.int(5) : 1;
  for (let i = 0; i < xffCount; i++) {
    const xff = r.chance(0.7) ? `${r.pick(IPS)}, 34.1.1.1` : randomXff(r);
    if (xff !== undefined) headers.push([r.pick(['X-Forwarded-For', 'x-forwarded-for', 'X-FORWARDED-FOR']), xff]);
  }
  if (r.chance(0.1)) headers.push(['Forwarded', `for=${r.pick(IPS)};proto=https`]);
  if (r.chance(0.1)) headers.push(['X-Cloud-Trace-Context', `${randomText(r, PRINTABLE.slice(1), 60)}`]);
  if (r.chance(0.1)) headers.push(['traceparent', `00-${randomText(r, '0123456789abcdefz-', 60)}`]);
  if (r.chance(0.05)) headers.push(['X-Junk', randomText(r, CLIENT_SAFE, 4000)]);
  return { shape: 'structured', method, path, headers };
}

/** A complete request's bytes, closing the connection after it. */
function requestBytes(requestLine: string, headerLines: readonly string[], eol = '\r\n'): string {
  return `${requestLine}${eol}${['Host: registry.example.com', ...headerLines, 'Connection: close'].join(eol)}${eol}${eol}`;
}

type RawFamily = (r: Random) => string;

/** Each family of malformed bytes, by name. */
const RAW_FAMILIES: Record<string, RawFamily> = {
  'any path, any method': (r) => {
    const xff = r.chance(0.5) ? `${r.pick(IPS)}, 34.1.1.1` : randomXff(r);
    return requestBytes(
      `${randomMethod(r)} ${randomPath(r)} HTTP/1.1`,
      xff === undefined ? [] : [`X-Forwarded-For: ${xff}`],
    );
  },
  'malformed request line': (r) =>
    r.pick([
      `GET ${validApiPath(r)}\r\n\r\n`,
      `GET ${validApiPath(r)} HTTP/2.0\r\n\r\n`,
      `GET ${validApiPath(r)} HTTP/1.1 extra\r\nHost: x\r\n\r\n`,
      `GET  ${validApiPath(r)}  HTTP/1.1\r\nHost: x\r\n\r\n`,
      `GET\t${validApiPath(r)}\tHTTP/1.1\r\nHost: x\r\n\r\n`,
      `${randomText(r, PRINTABLE, 20)}\r\n\r\n`,
      `\r\n\r\n\r\n`,
      `GET ${validApiPath(r)} HTTP/1.1`,
      `GET ${validApiPath(r)} HTTP/1.1\r\nHost: x\r\n`,
      `G\u0000ET / HTTP/1.1\r\n\r\n`,
      `GET /${'a'.repeat(20_000 + r.int(20_000))} HTTP/1.1\r\nHost: x\r\n\r\n`,
      `GET ${validApiPath(r)} HTTP/0.9\r\n\r\n`,
      `GET ${validApiPath(r)} http/1.1\r\n\r\n`,
      `${'G'.repeat(100)} / HTTP/1.1\r\n\r\n`,
      randomText(r, `${PRINTABLE}\r\n\u0000${HIGH}`, 200),
    ]),
  'absolute-form and other targets': (r) =>
    requestBytes(
      `${r.pick(['GET', 'HEAD', 'OPTIONS', 'CONNECT'])} ${r.pick([
        `http://evil.example${validApiPath(r)}`,
        `https://registry.example.com${validApiPath(r)}`,
        `http://127.0.0.1:1${validApiPath(r)}`,
        `//evil.example${validApiPath(r)}`,
        `///v2/${validApiPath(r).slice(4)}`,
        'evil.example:443',
        '*',
        `http://evil.example`,
        `http://user:pass@evil.example/v2/`,
        `v2/pause/manifests/3.9`,
        `/v2/pause/manifests/3.9#fragment`,
        `http:${validApiPath(r)}`,
      ])} HTTP/1.1`,
      [`X-Forwarded-For: ${r.pick(IPS)}, 34.1.1.1`],
    ),
  'invalid UTF-8 and percent-encoding': (r) => {
    const bad = r.pick([
      '\u00c0\u00af',
      '\u00ed\u00a0\u0080',
      '\u00ff\u00fe',
      '\u0080',
      '\u00f8\u0088\u0080\u0080\u0080',
      '%',
      '%g1',
      '%2',
      '%c0%ae%c0%ae',
      '%ff',
      '%00',
      '%%32%65',
      '%u002e',
    ]);
    const path = validApiPath(r).split('/');
    path.splice(1 + r.int(path.length - 1), 0, bad);
    const headers = r.chance(0.5) ? [`X-Forwarded-For: ${bad}3.5.140.9, 34.1.1.1`] : [`User-Agent: ${bad}`];
    return requestBytes(`GET ${path.join('/')}${r.chance(0.5) ? `?${bad}` : ''} HTTP/1.1`, headers);
  },
  'huge headers': (r) =>
    requestBytes(`GET ${validApiPath(r)} HTTP/1.1`, [
      r.pick([
        `X-Junk: ${'x'.repeat(8_000 + r.int(24_000))}`,
        `X-Forwarded-For: ${Array.from({ length: 1000 + r.int(3000) }, () => r.pick(IPS)).join(', ')}`,
        `${'X'.repeat(10_000 + r.int(10_000))}: y`,
        `Cookie: ${'c=1; '.repeat(3000)}`,
      ]),
    ]),
  'many and repeated headers': (r) => {
    const count = r.pick([10, 100, 1000, 2500]);
    const name = r.pick(['X-Forwarded-For', 'Host', 'X-A', 'Content-Length', 'Transfer-Encoding']);
    const value = r.pick([`${r.pick(IPS)}, 34.1.1.1`, r.pick(IPS), '0', 'chunked', '']);
    return requestBytes(
      `GET ${validApiPath(r)} HTTP/1.1`,
      Array.from({ length: count }, (_, i) => `${r.chance(0.5) ? name : `${name}-${i}`}: ${value}`),
    );
  },
  'header syntax': (r) =>
    requestBytes(`GET ${validApiPath(r)} HTTP/1.1`, [
      r.pick([
        'X-Forwarded-For 3.5.140.9',
        'X-Forwarded-For : 3.5.140.9, 34.1.1.1',
        'X-Forwarded-For: 3.5.140.9,\r\n 34.1.1.1',
        'X-Forwarded-For: 3.5.140.9\u0000, 34.1.1.1',
        'X-Forwarded-For: 3.5.140.9\r34.1.1.1',
        'X-Forw@rded-For: 3.5.140.9',
        ': no-name',
        'X-Forwarded-For:3.5.140.9,34.1.1.1',
        `X-Forwarded-For: ${randomText(r, `${PRINTABLE}${HIGH}\u0000\u0001\u007f`, 60)}`,
        `\u00e9: \u00e9`,
      ]),
    ]),
  'bare LF line endings': (r) =>
    requestBytes(
      `GET ${validApiPath(r)} HTTP/1.1`,
      [`X-Forwarded-For: ${r.pick(IPS)}, 34.1.1.1`],
      r.pick(['\n', '\r']),
    ),
  'framing: bodies on GET, chunked, smuggling shapes': (r) =>
    r.pick([
      `GET ${validApiPath(r)} HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello`,
      `GET ${validApiPath(r)} HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\nConnection: close\r\n\r\n`,
      `GET ${validApiPath(r)} HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\nConnection: close\r\n\r\nxx`,
      `GET ${validApiPath(r)} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\nConnection: close\r\n\r\n0\r\n\r\n`,
      `GET ${validApiPath(r)} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n`,
      `GET ${validApiPath(r)} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\nConnection: close\r\n\r\n0\r\n\r\n`,
      `GET ${validApiPath(r)} HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\nConnection: close\r\n\r\n`,
    ]),
  pipelined: (r) => {
    const count = 2 + r.int(8);
    let out = '';
    for (let i = 0; i < count; i++) {
      out += `${r.pick(['GET', 'HEAD'])} ${r.chance(0.5) ? validApiPath(r) : randomPath(r, CLIENT_SAFE)} HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: ${r.pick(IPS)}, 34.1.1.1\r\n\r\n`;
    }
    return out;
  },
};

export const RAW_FAMILY_NAMES = Object.keys(RAW_FAMILIES);

function raw(r: Random): RawRequest {
  const family = r.pick(RAW_FAMILY_NAMES);
  return { shape: 'raw', family, bytes: RAW_FAMILIES[family]!(r) };
}

/** Request `n` of the run seeded with `seed`: about half structured, half raw. */
export function fuzzRequest(seed: number, n: number): FuzzRequest {
  const r = requestRandom(seed, n);
  return r.chance(0.5) ? structured(r) : raw(r);
}

/** One line naming a request, for failure reports (long parts shortened). */
export function describeRequest(request: FuzzRequest): string {
  const text =
    request.shape === 'structured'
      ? `${request.method} ${request.path} ${JSON.stringify(request.headers)}`
      : `raw (${request.family}) ${JSON.stringify(request.bytes)}`;
  return text.length > 300 ? `${text.slice(0, 300)}... (${text.length} chars)` : text;
}
