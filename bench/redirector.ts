/**
 * Redirector benchmark: `npm run bench:redirector` (options: BENCH_SECONDS=5, BENCH_ROUNDS=2,
 * IP_RANGES_DIR=<real range files>, default ../shared/data/ip-ranges).
 *
 * 1. Throughput: wrk (`wrk -t1 -c50 -d5s --latency`, a second process) on loopback against our server, bundled with
 *    esbuild as the image runs it, and in the same run against a bare node:http server answering a fixed 307
 *    (the reference): /v2/, a manifest, and a blob redirect of an AWS client whose mirror check is cached.
 * 2. In-process lookup cost per IP with the real AWS + GCP + Azure ranges loaded (CPU time per lookup).
 * 3. RSS of the server with those ranges (idle after start-up and after the load), start-up time to first response.
 * Targets: >= 80% of the bare server's req/s, lookup < 300 ns, RSS < 150 MB, start-up < 1 s.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildSync } from 'esbuild';
import { loadRangeIndex } from '../lib/redirector/load-ranges';
import { DEFAULT_TOPOLOGY, parseTopology, routingTableFor } from '../lib/topology';
import { freePort } from '../test/support/ports';

const ROOT = resolve(__dirname, '..');
const RANGES_DIR = resolve(process.env.IP_RANGES_DIR ?? join(ROOT, '../shared/data/ip-ranges'));
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const RANGE_FILES = {
  aws: join(RANGES_DIR, 'aws-ip-ranges.json'),
  gcp: join(RANGES_DIR, 'google-cloud-ip-ranges.json'),
  azure: join(RANGES_DIR, 'microsoft-azure-ip-ranges.json'),
};
const IP_RANGES = Object.entries(RANGE_FILES)
  .map(([cloud, file]) => `${cloud}=${file}`)
  .join(',');
const DIGEST = `sha256:${'5f'.repeat(32)}`;
/** An eu-west-1 address in the real AWS file, then the load balancer's address (Google LB form). */
const AWS_CLIENT_XFF = '3.248.0.10, 34.1.1.1';

const BARE_SERVER = `
const http = require('node:http');
const location = process.env.LOCATION;
http.createServer((req, res) => { res.writeHead(307, { location, 'content-length': 0 }); res.end(); })
  .listen(Number(process.env.PORT), '127.0.0.1');
`;

interface WrkResult {
  readonly requestsPerSecond: number;
  readonly p99: string;
  readonly non3xx: number;
  /** CPU time the server process spent per request (user + system): robust to other load on the machine. */
  readonly cpuMicrosPerRequest: number;
}

const CLOCK_TICKS_PER_SECOND = 100;

/** utime + stime of a process, in seconds. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

function wrk(url: string, xff: string | undefined, serverPid: number): WrkResult {
  const args = ['-t1', '-c50', `-d${SECONDS}s`, '--latency', ...(xff ? ['-H', `X-Forwarded-For: ${xff}`] : []), url];
  const cpuBefore = cpuSeconds(serverPid);
  const out = execFileSync('wrk', args, { encoding: 'utf8' });
  const cpu = cpuSeconds(serverPid) - cpuBefore;
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const total = Number(/(\d+) requests in/.exec(out)?.[1]);
  const p99 = /99%\s+(\S+)/.exec(out)?.[1] ?? '?';
  const non3xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  if (!Number.isFinite(rps) || !Number.isFinite(total)) throw new Error(`cannot read wrk output:\n${out}`);
  return { requestsPerSecond: rps, p99, non3xx, cpuMicrosPerRequest: (cpu * 1e6) / total };
}

function rssMb(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  return Math.round(kb / 102.4) / 10;
}

function get(port: number, path: string, xff?: string): Promise<http.IncomingMessage> {
  return new Promise((resolvePromise, reject) => {
    const req = http.get(
      { host: '127.0.0.1', port, path, agent: false, headers: xff ? { 'x-forwarded-for': xff } : {} },
      (res) => {
        res.resume();
        resolvePromise(res);
      },
    );
    req.on('error', reject);
  });
}

/** Starts a process and polls until it answers; returns the time from spawn to the first response. */
async function startAndTime(command: string, args: string[], env: NodeJS.ProcessEnv, port: number, path: string) {
  const started = performance.now();
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  const deadline = started + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited with ${child.exitCode}`);
    try {
      await get(port, path);
      return { child, startupMs: performance.now() - started };
    } catch {
      if (performance.now() > deadline) throw new Error(`${args.join(' ')} did not answer within 15 s`);
      await new Promise((r) => setTimeout(r, 2));
    }
  }
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolvePromise) => {
    if (child.exitCode !== null) return resolvePromise();
    child.once('exit', () => resolvePromise());
    child.kill('SIGTERM');
  });
}

/** CPU nanoseconds per lookup over a fixed mix of addresses (IPv4 inside published prefixes, random IPv4, IPv6). */
function lookupCost(): { ns: number; v4ns: number; v6ns: number; intervals: number; loadMs: number } {
  const t0 = performance.now();
  const index = loadRangeIndex(Object.entries(RANGE_FILES).map(([cloud, file]) => ({ cloud, file })));
  const loadMs = performance.now() - t0;
  let seed = 12345;
  const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
  const aws = JSON.parse(readFileSync(RANGE_FILES.aws, 'utf8')) as { prefixes: { ip_prefix: string }[] };
  const v4: string[] = [];
  const v6: string[] = [];
  for (let i = 0; i < 8192; i++) {
    const [a, b, c] = aws.prefixes[random() % aws.prefixes.length]!.ip_prefix.split('.');
    v4.push(
      i % 2
        ? `${a}.${b}.${c}.${random() & 255}`
        : `${random() >>> 24}.${random() & 255}.${random() & 255}.${random() & 255}`,
    );
    const h = () => (random() & 0xffff).toString(16);
    v6.push(i % 2 ? `2600:1f${(random() & 0xff).toString(16)}:${h()}:${h()}::${h()}` : `2a01:${h()}:${h()}::1`);
  }
  // CPU time, not wall time, and the best of nine rounds: other processes on the shared machine only add noise.
  const measure = (ips: string[], perRound: number) => {
    let sink = 0;
    let best = Infinity;
    for (let i = 0; i < 200_000; i++) sink += index.lookup(ips[i & 8191]!); // warm-up
    for (let round = 0; round < 9; round++) {
      const before = process.cpuUsage();
      for (let i = 0; i < perRound; i++) sink += index.lookup(ips[i & 8191]!);
      const used = process.cpuUsage(before);
      best = Math.min(best, ((used.user + used.system) * 1000) / perRound);
    }
    if (sink === 0.5) console.log(sink);
    return best;
  };
  const v4ns = measure(v4, 500_000);
  const v6ns = measure(v6, 500_000);
  const mixed = [...v4.slice(0, 6144), ...v6.slice(0, 2048)];
  return { ns: measure(mixed, 500_000), v4ns, v6ns, intervals: index.intervalCount, loadMs };
}

function bundle(dir: string): string {
  const outfile = join(dir, 'redirector.js');
  buildSync({
    entryPoints: [join(ROOT, 'bin/redirector.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    outfile,
    logLevel: 'error',
  });
  return outfile;
}

async function main(): Promise<void> {
  if (!Object.values(RANGE_FILES).every((f) => existsSync(f))) {
    throw new Error(`real range files not found in ${RANGES_DIR} (set IP_RANGES_DIR)`);
  }
  const work = mkdtempSync(join(tmpdir(), 'bench-redirector-'));
  const children: ChildProcess[] = [];
  const mirror = http.createServer((_req, res) => res.end());
  try {
    const script = bundle(work);
    const bareScript = join(work, 'bare.js');
    writeFileSync(bareScript, BARE_SERVER);
    await new Promise<void>((r) => mirror.listen(0, '127.0.0.1', r));
    const mirrorPort = (mirror.address() as { port: number }).port;
    const topology = parseTopology(
      {
        ...DEFAULT_TOPOLOGY,
        aws: { ...DEFAULT_TOPOLOGY.aws, blobEndpointTemplate: `http://127.0.0.1:${mirrorPort}/{bucket}` },
      },
      'bench',
    );
    const table = routingTableFor(topology, 'us-central1');

    const [port, adminPort, barePort] = await Promise.all([freePort(), freePort(), freePort()]);
    const env = { ROUTING_TABLE: JSON.stringify(table), IP_RANGES, PORT: String(port), ADMIN_PORT: String(adminPort) };
    // e.g. BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile our server under load.
    const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
    // Start-up: spawn to first /v2/ answer, three times; the last instance stays up for the load.
    const startups: number[] = [];
    let ours: ChildProcess | undefined;
    for (let i = 0; i < 3; i++) {
      if (ours) await stop(ours);
      const started = await startAndTime(process.execPath, [...nodeArgs, script], env, port, '/v2/');
      ours = started.child;
      startups.push(started.startupMs);
    }
    children.push(ours!);
    const bare = await startAndTime(
      process.execPath,
      [bareScript],
      { PORT: String(barePort), LOCATION: `${table.upstream.endpoint}/v2/x` },
      barePort,
      '/',
    );
    children.push(bare.child);
    const idleRss = rssMb(ours!.pid!);

    // Warm the existence cache for the blob scenario and check each scenario answers as expected.
    const blobPath = `/v2/pause/blobs/${DIGEST}`;
    const warm = await get(port, blobPath, AWS_CLIENT_XFF);
    if (warm.statusCode !== 307 || !String(warm.headers.location).startsWith(`http://127.0.0.1:${mirrorPort}/`)) {
      throw new Error(`blob scenario is not a mirror redirect: ${warm.statusCode} ${warm.headers.location}`);
    }
    const scenarios = [
      { name: '/v2/', path: '/v2/', xff: undefined },
      { name: 'manifest GET (info log line each)', path: '/v2/pause/manifests/3.10', xff: AWS_CLIENT_XFF },
      { name: 'blob, AWS client, cached mirror check', path: blobPath, xff: AWS_CLIENT_XFF },
    ];
    const rows: string[] = [];
    let worst = Infinity;
    let worstCpu = Infinity;
    for (const scenario of scenarios) {
      // Alternate reference and ours, ROUNDS times, and keep the best of each: the machine is shared, and the best
      // run is the one least disturbed by other load.
      const references: WrkResult[] = [];
      const results: WrkResult[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        references.push(wrk(`http://127.0.0.1:${barePort}${scenario.path}`, scenario.xff, bare.child.pid!));
        results.push(wrk(`http://127.0.0.1:${port}${scenario.path}`, scenario.xff, ours!.pid!));
      }
      const best = (runs: WrkResult[]) => runs.reduce((a, b) => (b.requestsPerSecond > a.requestsPerSecond ? b : a));
      const reference = best(references);
      const result = best(results);
      if (result.non3xx > 0) throw new Error(`${scenario.name}: ${result.non3xx} non-2xx/3xx answers`);
      const ratio = result.requestsPerSecond / reference.requestsPerSecond;
      const cheapest = (runs: WrkResult[]) => Math.min(...runs.map((r) => r.cpuMicrosPerRequest));
      const cpuRatio = cheapest(references) / cheapest(results);
      worst = Math.min(worst, ratio);
      worstCpu = Math.min(worstCpu, cpuRatio);
      rows.push(
        `| ${scenario.name} | ${Math.round(reference.requestsPerSecond)} (p99 ${reference.p99}) | ` +
          `${Math.round(result.requestsPerSecond)} (p99 ${result.p99}) | ${(ratio * 100).toFixed(0)}% | ` +
          `${cheapest(references).toFixed(1)} / ${cheapest(results).toFixed(1)} | ${(cpuRatio * 100).toFixed(0)}% |`,
      );
    }
    const loadedRss = rssMb(ours!.pid!);
    const bareRss = rssMb(bare.child.pid!);
    const lookup = lookupCost();
    const startup = [...startups].sort((a, b) => a - b)[1]!;

    console.log(
      `wrk -t1 -c50 -d${SECONDS}s --latency on 127.0.0.1, best of ${ROUNDS} alternating runs each; ` +
        'server: esbuild bundle of bin/redirector.ts, LOG_LEVEL=info, stdout to /dev/null',
    );
    console.log(
      '| scenario | bare node:http 307 req/s | redirector req/s | req/s ratio | CPU µs/request bare / ours | capacity ratio (bare CPU / ours) |',
    );
    console.log('| --- | --- | --- | --- | --- | --- |');
    for (const row of rows) console.log(row);
    console.log('');
    console.log(
      `worst req/s ratio: ${(worst * 100).toFixed(0)}%; worst capacity ratio (server CPU per request, best run): ` +
        `${(worstCpu * 100).toFixed(0)}% (target >= 80%)`,
    );
    console.log(
      `lookup (AWS + GCP + Azure, ${lookup.intervals} intervals): ${lookup.ns.toFixed(0)} ns/IP CPU time ` +
        `(IPv4 ${lookup.v4ns.toFixed(0)} ns, IPv6 ${lookup.v6ns.toFixed(0)} ns; target < 300 ns); index built in ${lookup.loadMs.toFixed(0)} ms`,
    );
    console.log(
      `RSS: ${idleRss} MB idle, ${loadedRss} MB after the load (bare server: ${bareRss} MB; target < 150 MB)`,
    );
    console.log(
      `start-up to first response: ${startup.toFixed(0)} ms median of ${startups.map((s) => s.toFixed(0)).join('/')} ` +
        `(bare server: ${bare.startupMs.toFixed(0)} ms; target < 1000 ms)`,
    );
    console.log(`load average: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
  } finally {
    for (const child of children) await stop(child);
    mirror.close();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
