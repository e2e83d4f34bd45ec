/**
 * A memory cgroup for one server of a benchmark: the limit its Cloud Run container would have. Node hands the
 * container's limit to V8, which sizes its heap by it: under the redirector's default 512 MiB, a heap limit of 259 MB
 * and young-generation semi-spaces of 1 MiB; with this machine's 24 GiB, 4 GB and up to 16 MiB, a young generation
 * that grows to 32 MiB under a long load (measured, Node 20 and 22). Without the limit, a benchmark measures a heap the
 * service never has.
 *
 * Needs root and a cgroup file system with the memory controller (v2, or v1's /sys/fs/cgroup/memory).
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const CGROUP_ROOT = '/sys/fs/cgroup';

export interface MemoryCgroup {
  /** What a process started as `command args` runs as to start inside the cgroup (it joins, then execs). */
  wrap(command: string, args: readonly string[]): { command: string; args: string[] };
  /** Whether `pid` runs in it. */
  holds(pid: number): boolean;
  /** Removes it; its processes must have exited. */
  remove(): void;
}

/** Where the memory controller lives here, and the name of its limit file. */
function memoryController(): { base: string; limitFile: string } {
  const v2Controllers = join(CGROUP_ROOT, 'cgroup.controllers');
  if (existsSync(v2Controllers) && readFileSync(v2Controllers, 'utf8').split(/\s+/).includes('memory')) {
    return { base: CGROUP_ROOT, limitFile: 'memory.max' };
  }
  const v1 = join(CGROUP_ROOT, 'memory');
  if (existsSync(join(v1, 'memory.limit_in_bytes'))) return { base: v1, limitFile: 'memory.limit_in_bytes' };
  throw new Error(`no cgroup memory controller under ${CGROUP_ROOT} (neither v2 nor v1's memory/)`);
}

export function createMemoryCgroup(name: string, limitBytes: number): MemoryCgroup {
  const { base, limitFile } = memoryController();
  const dir = join(base, name);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, limitFile), String(limitBytes));
  } catch (err) {
    throw new Error(`cannot make the memory cgroup ${dir} (root is needed): ${(err as Error).message}`);
  }
  const procs = join(dir, 'cgroup.procs');
  return {
    // sh's own pid is the one exec keeps: the server is in the cgroup before V8 reads the limit.
    wrap: (command, args) => ({
      command: '/bin/sh',
      args: ['-c', 'echo $$ > "$0" && exec "$@"', procs, command, ...args],
    }),
    holds: (pid) => readFileSync(procs, 'utf8').split('\n').includes(String(pid)),
    remove: () => rmdirSync(dir),
  };
}
