/**
 * Idle collections and node's tick objects: `npm run bench:idle-collections` (options: BENCH_SECONDS=15,
 * BENCH_ROUNDS=2, BENCH_CONNECTIONS=800).
 *
 * The claim it measures (holdTickShapes, lib/redirector/memory.ts): a full collection in a quiet process that finds
 * none of node's tick objects alive puts every later request on a slower path, on the bare node:http server too, and
 * holding one tick object, as the memory release does, keeps requests on the fast one. Each variant is a fresh bare
 * server (bench/idle-collections-server.ts, bundled), warmed with `wrk -c50` for 3 s, then:
 * - reference: nothing more;
 * - collected: the release's full collections, no tick object held;
 * - held: the same collections, a tick object held from the start (holdTickShapes);
 * then loaded with `wrk -t1 -cBENCH_CONNECTIONS` for BENCH_SECONDS. The variants alternate, BENCH_ROUNDS times each;
 * of each variant the best req/s and the lowest server CPU per request, as ratios to the reference's.
 * Expected: collected clearly below 1x, held about 1x.
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DEFAULT_TOPOLOGY, parseTopology, routingTableFor } from '../lib/topology';
import { freePort } from '../test/support/ports';
import { bareServerLocation, bundleForNode, loadAverage, startAndTime, stop, wrk, type WrkResult } from './servers';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 800);
const WARM_UP = { connections: 50, seconds: 3 } as const;
const PATH = '/v2/pause/manifests/3.10';

interface Variant {
  readonly name: string;
  readonly collect: boolean;
  readonly hold: boolean;
}

const VARIANTS: readonly Variant[] = [
  { name: 'reference: no collection', collect: false, hold: false },
  { name: "collected: the release's collections, no tick object held", collect: true, hold: false },
  { name: 'held: the same collections, a tick object held', collect: true, hold: true },
];

interface Run {
  readonly result: WrkResult;
  /** What the server said of its collections, for a variant that collects. */
  readonly collections?: string;
}

/** Asks the server for its collections and waits for the line it writes once they are done. */
async function collect(server: ChildProcess): Promise<string> {
  const lines = createInterface({ input: server.stdout! });
  try {
    const line = once(lines, 'line') as Promise<[string]>;
    server.kill('SIGUSR2');
    return (await line)[0];
  } finally {
    lines.close();
  }
}

async function run(script: string, location: string, variant: Variant): Promise<Run> {
  const port = await freePort();
  const env = { PORT: String(port), LOCATION: location, HOLD_TICK_SHAPES: variant.hold ? '1' : '' };
  const { child } = await startAndTime(process.execPath, [script], env, port, '/', { stdout: 'pipe' });
  try {
    const url = `http://127.0.0.1:${port}${PATH}`;
    wrk(url, child.pid!, WARM_UP);
    const collections = variant.collect ? await collect(child) : undefined;
    const result = wrk(url, child.pid!, { connections: CONNECTIONS, seconds: SECONDS });
    if (result.non3xx > 0) throw new Error(`${variant.name}: ${result.non3xx} non-2xx/3xx answers`);
    return { result, collections };
  } finally {
    await stop(child);
  }
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'bench-idle-collections-'));
  try {
    const script = bundleForNode(join(__dirname, 'idle-collections-server.ts'), join(work, 'server.js'));
    const topology = parseTopology(DEFAULT_TOPOLOGY, 'bench');
    const location = bareServerLocation(routingTableFor(topology, topology.gcp.canonicalRegion));
    const runs = VARIANTS.map(() => [] as Run[]);
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, variant] of VARIANTS.entries()) runs[i]!.push(await run(script, location, variant));
    }
    const best = runs.map((variantRuns) => ({
      requestsPerSecond: Math.max(...variantRuns.map((r) => r.result.requestsPerSecond)),
      cpuMicrosPerRequest: Math.min(...variantRuns.map((r) => r.result.cpuMicrosPerRequest)),
      collections: variantRuns[0]!.collections,
    }));
    const reference = best[0]!;
    console.log(
      `node ${process.version}; bare node:http 307 servers, warmed with wrk -c${WARM_UP.connections} for ` +
        `${WARM_UP.seconds} s, then wrk -t1 -c${CONNECTIONS} -d${SECONDS}s on 127.0.0.1; best of ${ROUNDS} ` +
        'alternating runs each (req/s: the best run; CPU: the lowest)',
    );
    console.log('| variant | req/s | ratio | server CPU µs/request | ratio | collections |');
    console.log('| --- | --- | --- | --- | --- | --- |');
    for (const [i, variant] of VARIANTS.entries()) {
      const { requestsPerSecond, cpuMicrosPerRequest, collections } = best[i]!;
      console.log(
        `| ${variant.name} | ${Math.round(requestsPerSecond)} | ` +
          `${(requestsPerSecond / reference.requestsPerSecond).toFixed(2)}x | ${cpuMicrosPerRequest.toFixed(1)} | ` +
          `${(cpuMicrosPerRequest / reference.cpuMicrosPerRequest).toFixed(2)}x | ${collections ?? 'none'} |`,
      );
    }
    console.log(`load average: ${loadAverage()}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
