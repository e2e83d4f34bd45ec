/**
 * The fuzz run: the redirector as the image runs it (npm run build:redirector's output, started with node, a real
 * node:http server on 127.0.0.1, its mirrors a local server), then `requests` hostile requests from inputs.ts,
 * `concurrency` at a time. Every answer is checked (no 5xx, no Location outside the configured hosts, an answer
 * within the deadline), the process must stay up and healthy, and its RSS is sampled: after the warm-up (the
 * reference), during the run, and once the service has had an idle moment to give memory back. Shared by the short
 * run in `npm test` (test/redirector/fuzz.test.ts) and the full one (`npm run fuzz:redirector`,
 * bench/fuzz-redirector.ts).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRedirector } from '../../../bin/build-redirector';
import { freePort, listenLocally } from '../../../lib/local/ports';
import { essentialEnvironment, ManagedChild, waitForHttp } from '../../../lib/local/processes';
import { redirectorEnvironment } from '../../../lib/local/redirector';
import type { RoutingTable } from '../../../lib/topology';
import { RANGE_SOURCES, smallTable } from '../fixtures';
import { describeRequest, fuzzRequest, type FuzzRequest, type RawRequest, type StructuredRequest } from './inputs';

/** An answer later than this is a hang. */
const ANSWER_DEADLINE_MS = 15_000;
/** RSS after the run may exceed the post-warm-up RSS by this much at most (the 10%). */
const RSS_GROWTH_ALLOWED = 0.1;
/**
 * How long the service may take, once the run is over, to give back what it grew into: it collects after 10 s
 * without traffic (lib/redirector/memory.ts).
 */
const IDLE_WAIT_MS = 30_000;

export interface FuzzOptions {
  readonly seed: number;
  readonly requests: number;
  /** @default 16 */
  readonly concurrency?: number;
  /** Called every `progressEvery` requests (and at the end) with the count done. */
  readonly onProgress?: (done: number) => void;
  /** @default 10,000 */
  readonly progressEvery?: number;
  /** How much RSS may grow from its post-warm-up value. @default 0.1 */
  readonly rssGrowthAllowed?: number;
}

export interface Failure {
  /** The request's number: `FUZZ_SEED=<seed>` and this number regenerate it (fuzzRequest). */
  readonly n: number;
  readonly request: string;
  readonly problem: string;
}

export interface FuzzReport {
  readonly seed: number;
  readonly requests: number;
  readonly structured: number;
  readonly raw: number;
  /** Raw requests per malformation family. */
  readonly families: Readonly<Record<string, number>>;
  /** Responses per status (`none`: the server closed the connection without an answer). */
  readonly statuses: Readonly<Record<string, number>>;
  /** Raw requests the server closed the connection on without an answer, per family. */
  readonly unanswered: Readonly<Record<string, number>>;
  readonly failures: readonly Failure[];
  readonly seconds: number;
  /**
   * MB: right after start-up, after the warm-up (the reference), the highest sample, right after the last answer,
   * and back at rest: the first sample within the allowed growth, or the last one IDLE_WAIT_MS after the run.
   */
  readonly rssMb: {
    readonly started: number;
    readonly warm: number;
    readonly peak: number;
    readonly end: number;
    readonly idle: number;
  };
  /** The growth from `warm` to `end` the run allowed (0.1: 10%). */
  readonly rssGrowthAllowed: number;
  /** `running` while it ran; how it ended if it stopped on its own. */
  readonly crashed: string | undefined;
  /** Whether /-/healthy answered 200 after the run. */
  readonly healthyAfter: boolean;
  /** How it stopped when asked (SIGTERM): a graceful drain exits 0. */
  readonly exitAfterDrain: string;
}

const rssLimitMb = (warm: number, growthAllowed: number) => warm * (1 + growthAllowed);

/** Every requirement the report breaks, in words; empty when the run passed. */
export function verdict(report: FuzzReport): string[] {
  const problems: string[] = [];
  if (report.failures.length > 0) {
    problems.push(`${report.failures.length} bad answers, e.g.:`);
    for (const f of report.failures.slice(0, 10)) problems.push(`  #${f.n} ${f.problem}: ${f.request}`);
  }
  if (report.crashed) problems.push(`the redirector stopped during the run: ${report.crashed}`);
  if (!report.healthyAfter) problems.push('the redirector did not answer /-/healthy after the run');
  if (report.exitAfterDrain !== 'code 0') problems.push(`the drain after the run ended with ${report.exitAfterDrain}`);
  const limit = rssLimitMb(report.rssMb.warm, report.rssGrowthAllowed);
  if (report.rssMb.idle > limit) {
    const allowed = `warm + ${Math.round(report.rssGrowthAllowed * 100)}%`;
    const waited = `${IDLE_WAIT_MS / 1000} s after the run`;
    problems.push(`RSS ${report.rssMb.idle} MB ${waited}, more than ${limit.toFixed(1)} MB (${allowed})`);
  }
  return problems;
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

/** What is wrong with a Location header, or undefined: outside the configured hosts, a dot or empty segment, ... */
export function locationProblem(location: string, table: RoutingTable): string | undefined {
  if (location === table.infoUrl || location === table.privacyUrl) return undefined;
  if (!allowedPrefixes(table).some((prefix) => location.startsWith(prefix)))
    return 'Location outside the configured hosts';
  const path = location.split('?')[0]!.replace(/^https?:\/\/[^/]+/, '');
  if (path.split('/').some((segment) => segment === '..' || segment === '.' || /%2e/i.test(segment)))
    return 'Location with a dot segment';
  if (path.includes('//')) return 'Location with an empty segment';
  if (/[\s#\\]/.test(location)) return 'Location with an unsafe character';
  return undefined;
}

/** What is wrong with one answer (status 0: none), or undefined. */
export function answerProblem(status: number, location: string | undefined, table: RoutingTable): string | undefined {
  if (status >= 500) return `status ${status}`;
  if (location !== undefined) return locationProblem(location, table);
  if (status >= 300 && status < 400) return `status ${status} without a Location`;
  return undefined;
}

/** The process's resident set size in MB; 0 once it is gone. */
function rssMb(pid: number): number {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return 0;
  }
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 102.4) / 10;
}

/** The RSS once it is at most `limitMb`, or the last sample after `waitMs`. */
async function rssOnceBelow(pid: number, limitMb: number, waitMs: number): Promise<number> {
  const deadline = performance.now() + waitMs;
  let rss = rssMb(pid);
  while (rss > limitMb && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250)); // sampling pace; the RSS decides
    rss = rssMb(pid);
  }
  return rss;
}

/**
 * The local mirror behind every mirror and the default backend: its answer to a blob's HEAD is read from the
 * digest's first hex digit (0-b present, c-d absent, e a 503, f a dropped connection), so checks see every outcome.
 */
function startMirror(): Promise<{ server: http.Server; base: string }> {
  const server = http.createServer((req, res) => {
    const digit = /sha256:([0-9a-f])/.exec(req.url ?? '')?.[1] ?? '0';
    if (digit === 'f') {
      req.socket.destroy();
      return;
    }
    res.writeHead(digit === 'e' ? 503 : digit >= 'c' ? 404 : 200, { 'content-length': 0 });
    res.end();
  });
  return listenLocally(server, undefined, 'fuzz mirror').then((port) => ({ server, base: `http://127.0.0.1:${port}` }));
}

/** The small topology's table with every backend the redirector HEADs on loopback, and a signature upstream. */
function fuzzTable(mirror: string): RoutingTable {
  const table = smallTable('us-central1');
  return {
    ...table,
    // Redirect targets only: never contacted.
    upstream: { endpoint: 'http://127.0.0.1:9', path: table.upstream.path },
    signatureUpstream: { endpoint: 'http://127.0.0.1:10', path: 'sigs/images' },
    defaultBlobBaseUrl: `${mirror}/default`,
    mirrors: { aws: { 'eu-west-1': `${mirror}/eu-west-1`, 'us-east-2': `${mirror}/us-east-2` } },
  };
}

interface Answer {
  /** One per response received (several for pipelined requests); 0 when none came. */
  readonly statuses: number[];
  readonly locations: (string | undefined)[];
  /** Set when the exchange itself went wrong (no answer in time, a client-side error). */
  readonly error?: string;
}

function sendStructured(port: number, agent: http.Agent, request: StructuredRequest): Promise<Answer> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of request.headers) {
    const existing = headers[name];
    headers[name] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  return new Promise((resolve) => {
    let req: http.ClientRequest;
    try {
      req = http.request({ host: '127.0.0.1', port, method: request.method, path: request.path, headers, agent });
    } catch (err) {
      resolve({ statuses: [], locations: [], error: `node's client refused the request: ${(err as Error).message}` });
      return;
    }
    req.setTimeout(ANSWER_DEADLINE_MS, () => req.destroy(new Error(`no answer within ${ANSWER_DEADLINE_MS} ms`)));
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve({ statuses: [res.statusCode ?? 0], locations: [res.headers.location] }));
      res.on('error', (err) => resolve({ statuses: [res.statusCode ?? 0], locations: [], error: err.message }));
    });
    req.on('error', (err) => resolve({ statuses: [], locations: [], error: err.message }));
    req.end();
  });
}

/** Bytes on a fresh connection, half-closed after them; the answer is whatever comes back until the server closes. */
function sendRaw(port: number, request: RawRequest): Promise<Answer> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    let error: string | undefined;
    socket.setEncoding('latin1');
    socket.setTimeout(ANSWER_DEADLINE_MS, () => {
      error = `connection still open after ${ANSWER_DEADLINE_MS} ms`;
      socket.destroy();
    });
    socket.on('data', (chunk: string) => (data += chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // The server may reset a connection whose request it refused before reading all of it (431, 400).
      if (err.code !== 'ECONNRESET' && err.code !== 'EPIPE') error = err.message;
    });
    socket.on('close', () => {
      const responses = splitResponses(data);
      if (responses.length === 0 && data !== '') error = `unparsable answer ${JSON.stringify(data.slice(0, 200))}`;
      resolve({
        statuses: responses.map((r) => r.status),
        locations: responses.map((r) => r.location),
        ...(error ? { error } : {}),
      });
    });
    socket.end(Buffer.from(request.bytes, 'latin1'));
  });
}

/** The responses in what a connection received, in order: each one's status and Location header. */
function splitResponses(data: string): { status: number; location: string | undefined }[] {
  const starts = [...data.matchAll(/(?:^|\n)(HTTP\/1\.[01] (\d{3}))/g)];
  return starts.map((match, i) => {
    const text = data.slice(match.index, starts[i + 1]?.index ?? data.length);
    const headEnd = text.indexOf('\r\n\r\n');
    const head = headEnd < 0 ? text : text.slice(0, headEnd);
    return { status: Number(match[2]), location: /\r\nlocation: ([^\r\n]*)/i.exec(head)?.[1] };
  });
}

function getStatus(port: number, path: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.setTimeout(5000, () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

interface RunningBuild {
  readonly child: ManagedChild;
  readonly port: number;
  /** Stops the process and removes the build. */
  stop(): Promise<void>;
}

/**
 * What the image runs: npm run build:redirector's output (built here from the fixture ranges, so the index beside
 * the bundle, no IP_RANGES) started with node and the image's environment, on 127.0.0.1.
 */
async function startBuild(table: RoutingTable): Promise<RunningBuild> {
  const dir = mkdtempSync(join(tmpdir(), 'fuzz-redirector-'));
  let child: ManagedChild | undefined;
  const stop = async () => {
    await child?.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const built = await buildRedirector({ out: dir, ranges: RANGE_SOURCES });
    const port = await freePort();
    const { IP_RANGES: _unused, ...service } = redirectorEnvironment(
      { table, upstreamEndpoint: table.upstream.endpoint, ranges: [] },
      port,
    );
    child = new ManagedChild({
      name: 'redirector (build)',
      command: process.execPath,
      args: [built.entry],
      // NODE_ENV as the image's ENV sets it (docker/redirector.Dockerfile).
      env: { ...essentialEnvironment(process.env), NODE_ENV: 'production', ...service },
    });
    await waitForHttp(`http://127.0.0.1:${port}/-/ready`, child, 30_000);
    return { child, port, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

export async function fuzzRedirector(options: FuzzOptions): Promise<FuzzReport> {
  const { seed, requests } = options;
  const concurrency = options.concurrency ?? 16;
  const progressEvery = options.progressEvery ?? 10_000;
  const mirror = await startMirror();
  let redirector: RunningBuild | undefined;
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  try {
    const table = fuzzTable(mirror.base);
    redirector = await startBuild(table);
    const { child, port } = redirector;
    const pid = child.pid!;
    let crashed: string | undefined;
    void child.exited.then((exit) => {
      if (!child.isStopping) crashed = child.describeExit(exit);
    });

    const started = rssMb(pid);
    let warm = started;
    let peak = started;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 250);

    const statuses: Record<string, number> = {};
    const families: Record<string, number> = {};
    const unanswered: Record<string, number> = {};
    const failures: Failure[] = [];
    let structured = 0;
    let raw = 0;
    let next = 0;
    let done = 0;
    const warmUp = Math.min(requests, Math.max(200, Math.floor(requests * 0.05)));
    const begin = performance.now();

    const exchange = async (n: number) => {
      const request: FuzzRequest = fuzzRequest(seed, n);
      let answer: Answer;
      if (request.shape === 'structured') {
        structured++;
        answer = await sendStructured(port, agent, request);
      } else {
        raw++;
        families[request.family] = (families[request.family] ?? 0) + 1;
        answer = await sendRaw(port, request);
      }
      if (answer.statuses.length === 0) {
        statuses.none = (statuses.none ?? 0) + 1;
        if (request.shape === 'raw') unanswered[request.family] = (unanswered[request.family] ?? 0) + 1;
      }
      for (const status of answer.statuses) statuses[status] = (statuses[status] ?? 0) + 1;
      const problems = answer.statuses
        .map((status, i) => answerProblem(status, answer.locations[i], table))
        .filter((p): p is string => p !== undefined);
      if (answer.error !== undefined) problems.push(answer.error);
      for (const problem of problems) failures.push({ n, request: describeRequest(request), problem });
    };

    const worker = async (limit: number) => {
      while (next < limit && !crashed) {
        const n = next++;
        await exchange(n);
        done++;
        if (done % progressEvery === 0) options.onProgress?.(done);
      }
    };
    const runUpTo = (limit: number) => Promise.all(Array.from({ length: concurrency }, () => worker(limit)));

    await runUpTo(warmUp);
    warm = rssMb(pid);
    await runUpTo(requests);
    const seconds = (performance.now() - begin) / 1000;
    if (done % progressEvery !== 0) options.onProgress?.(done);
    agent.destroy();
    clearInterval(sampler);
    const healthyAfter = !crashed && (await getStatus(port, '/-/healthy')) === 200;
    const end = crashed ? 0 : rssMb(pid);
    const rssGrowthAllowed = options.rssGrowthAllowed ?? RSS_GROWTH_ALLOWED;
    const idle = crashed ? 0 : await rssOnceBelow(pid, rssLimitMb(warm, rssGrowthAllowed), IDLE_WAIT_MS);
    const exit = await child.stop();
    return {
      seed,
      requests: done,
      structured,
      raw,
      families,
      statuses,
      unanswered,
      failures,
      seconds: Math.round(seconds * 10) / 10,
      rssMb: { started, warm, peak: Math.max(peak, end), end, idle },
      rssGrowthAllowed,
      crashed,
      healthyAfter,
      exitAfterDrain: exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`,
    };
  } finally {
    agent.destroy();
    await redirector?.stop();
    await new Promise<void>((resolve) => mirror.server.close(() => resolve()));
    mirror.server.closeAllConnections();
  }
}
