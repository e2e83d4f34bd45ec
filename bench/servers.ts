/**
 * What the redirector benchmarks share: the bare node:http server they measure against, wrk runs against a server
 * process (with that process's CPU time per request), and starting, timing and stopping server processes.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { buildSync } from 'esbuild';
import type { RoutingTable } from '../lib/topology';

/** The reference: a node:http server answering every request with a fixed 307 to LOCATION, on 127.0.0.1:PORT. */
export const BARE_SERVER = `
const http = require('node:http');
const location = process.env.LOCATION;
http.createServer((req, res) => { res.writeHead(307, { location, 'content-length': 0 }); res.end(); })
  .listen(Number(process.env.PORT), '127.0.0.1');
`;

/**
 * The AWS client's mirror: answers every request (the redirector's HEAD of a blob) with an empty 200, on
 * 127.0.0.1:PORT. A process of its own: a mirror inside the bench would go unanswered while wrk runs (the bench waits
 * for it synchronously), and the redirector's probe would open the mirror's breaker mid-load.
 */
export const MIRROR_SERVER = `
require('node:http').createServer((req, res) => res.end()).listen(Number(process.env.PORT), '127.0.0.1');
`;

/** The bare server's LOCATION under load: the upstream a redirector with `table` sends manifests to. */
export function bareServerLocation(table: RoutingTable): string {
  return `${table.upstream.endpoint}/v2/x`;
}

export interface WrkResult {
  readonly requestsPerSecond: number;
  readonly p99Ms: number;
  readonly non3xx: number;
  /** Socket errors wrk counted: connect, read, write and timeout (no answer within its 2 s). */
  readonly errors: number;
  readonly errorText: string;
  /** CPU time the server process spent per request (user + system): robust to other load on the machine. */
  readonly cpuMicrosPerRequest: number;
}

export interface WrkLoad {
  readonly connections: number;
  readonly seconds: number;
  /** Request headers, as `Name: value`. */
  readonly headers?: readonly string[];
  /** The CPU wrk runs on (taskset), away from the server's. @default any */
  readonly cpu?: number;
}

const CLOCK_TICKS_PER_SECOND = 100;

/** utime + stime of a process, in seconds. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

const WRK_UNITS_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

/** wrk's latency text (`812.00us`, `2.31ms`, `1.02s`) in milliseconds. */
function wrkMs(text: string | undefined): number {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(text ?? '');
  if (!match) throw new Error(`cannot read wrk latency ${JSON.stringify(text)}`);
  return Number(match[1]) * WRK_UNITS_MS[match[2]!]!;
}

/** `command args` run on one CPU only (`taskset -c cpu`), or anywhere when `cpu` is undefined. */
export function onCpu(
  cpu: number | undefined,
  command: string,
  args: readonly string[],
): { command: string; args: string[] } {
  return cpu === undefined
    ? { command, args: [...args] }
    : { command: 'taskset', args: ['-c', String(cpu), command, ...args] };
}

/** `wrk -t1` (a second process, one thread) against `url`, served by the process `serverPid`. */
export function wrk(url: string, serverPid: number, load: WrkLoad): WrkResult {
  const headers = (load.headers ?? []).flatMap((header) => ['-H', header]);
  const args = ['-t1', `-c${load.connections}`, `-d${load.seconds}s`, '--latency', ...headers, url];
  const cpuBefore = cpuSeconds(serverPid);
  const pinned = onCpu(load.cpu, 'wrk', args);
  const out = execFileSync(pinned.command, pinned.args, { encoding: 'utf8' });
  const cpu = cpuSeconds(serverPid) - cpuBefore;
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const total = Number(/(\d+) requests in/.exec(out)?.[1]);
  const non3xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const errors = socketErrors ? socketErrors.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0;
  if (!Number.isFinite(rps) || !Number.isFinite(total)) throw new Error(`cannot read wrk output:\n${out}`);
  return {
    requestsPerSecond: rps,
    // The latency distribution row, not a "...99%" in the thread stats columns above it.
    p99Ms: wrkMs(/^\s+99%\s+(\S+)/m.exec(out)?.[1]),
    non3xx,
    errors,
    errorText: socketErrors?.[0] ?? 'no socket errors',
    cpuMicrosPerRequest: (cpu * 1e6) / total,
  };
}

export function rssMb(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  return Math.round(kb / 102.4) / 10;
}

/** The machine's 1, 5 and 15 minute load averages, as /proc/loadavg has them. */
export function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

export function get(port: number, path: string, xff?: string): Promise<http.IncomingMessage> {
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

export interface StartOptions {
  /** The child's stdout: discarded, or a pipe for the caller to read. @default 'ignore' */
  readonly stdout?: 'ignore' | 'pipe';
}

/**
 * Starts a process with only `env` (and PATH) and polls until it answers; returns the time from spawn to the first
 * response.
 */
export async function startAndTime(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  port: number,
  path: string,
  options: StartOptions = {},
): Promise<{ child: ChildProcess; startupMs: number }> {
  const started = performance.now();
  const child = spawn(command, args, {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', options.stdout ?? 'ignore', 'inherit'],
  });
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

export function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolvePromise) => {
    if (child.exitCode !== null) return resolvePromise();
    child.once('exit', () => resolvePromise());
    child.kill('SIGTERM');
  });
}

/** `entry` and what it imports bundled by esbuild into one file: the code as the image runs it, not under tsx. */
export function bundleForNode(entry: string, outfile: string): string {
  buildSync({ entryPoints: [entry], bundle: true, platform: 'node', target: 'node20', outfile, logLevel: 'error' });
  return outfile;
}
