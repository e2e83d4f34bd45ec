/**
 * `npm run local` as its user runs it (bin/local.ts in its own process): the one JSON line once ready, every process
 * and temporary directory gone after SIGTERM, and one clear line for a taken port or a missing Debian package.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { REPO_ROOT } from '../../lib/local/jobs';

interface Run {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly exited: Promise<number | null>;
}

/** Starts `npm run local -- <args>` the way the script does (node --import tsx bin/local.ts). */
function startLocal(args: readonly string[], env: NodeJS.ProcessEnv): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bin/local.ts', ...args], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Every process below `pid`, from /proc (children, their children, ...). */
function descendants(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const name of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      // "pid (comm) state ppid ...": comm may hold spaces, so read after its closing parenthesis.
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parentOf.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const found: number[] = [];
  const visit = (parent: number) => {
    for (const [child, ppid] of parentOf) {
      if (ppid === parent) {
        found.push(child);
        visit(child);
      }
    }
  };
  visit(pid);
  return found;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z '); // a zombie has ended
  } catch {
    return false;
  }
}

describe('npm run local (the command)', () => {
  let tmp: string;
  let env: NodeJS.ProcessEnv;
  const started: Run[] = [];
  const run = (args: readonly string[], extraEnv: NodeJS.ProcessEnv = {}) => {
    const r = startLocal(args, { ...env, ...extraEnv });
    started.push(r);
    return r;
  };
  /** What the command left in its temporary directory (tsx's compile cache is tsx's own and stays). */
  const leftovers = () => readdirSync(tmp).filter((name) => !name.startsWith('tsx-'));

  beforeEach(() => {
    tmp = mkdtempSync(join(tmpdir(), 'e2e-local-'));
    env = { ...process.env, TMPDIR: tmp };
  });

  afterEach(async () => {
    // A failed test must not leave the command (or what it started) running.
    for (const r of started.splice(0)) {
      if (r.child.exitCode !== null || r.child.signalCode !== null) continue;
      const below = descendants(r.child.pid!);
      r.child.kill('SIGTERM');
      const timer = setTimeout(
        () => [r.child.pid!, ...below].forEach((pid) => isRunning(pid) && process.kill(pid, 'SIGKILL')),
        15_000,
      );
      await r.exited;
      clearTimeout(timer);
    }
    rmSync(tmp, { recursive: true, force: true });
  });

  it('prints one JSON line once ready, and after SIGTERM leaves no process and no temporary directory', async () => {
    const local = run(['--json']);
    const [line] = (await once(createInterface({ input: local.child.stdout! }), 'line')) as [string];
    const ready = JSON.parse(line) as Record<string, unknown>;
    expect(Object.keys(ready)).toEqual(['ready', 'registry', 's3', 'redirector', 'image', 'clients']);
    expect(ready).toEqual({
      ready: true,
      registry: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      s3: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      redirector: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      image: 'sample:v1',
      clients: {
        'gcp:us-central1': expect.stringMatching(/^127\.0\.0\.1:\d+$/),
        'aws:eu-west-1': expect.stringMatching(/^127\.0\.0\.1:\d+$/),
        'aws:ap-northeast-3': expect.stringMatching(/^127\.0\.0\.1:\d+$/),
        'azure:westeurope': expect.stringMatching(/^127\.0\.0\.1:\d+$/),
        other: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
      },
    });
    const clients = Object.values(ready.clients as Record<string, string>);
    // The image answers through every front-door port (the manifest is redirected to the registry, which has it).
    for (const host of clients) {
      const manifest = await fetch(`http://${host}/v2/sample/manifests/v1`, {
        method: 'HEAD',
        headers: { accept: 'application/vnd.oci.image.index.v1+json' },
      });
      expect(manifest.status).toBe(200);
    }
    const processes = descendants(local.child.pid!);
    expect(processes.length).toBeGreaterThanOrEqual(4); // two registries, Azurite and the redirector, at least
    expect(leftovers()).toEqual([expect.stringMatching(/^multicloud-local-/)]);

    local.child.kill('SIGTERM');
    expect(await local.exited).toBe(0);
    expect(processes.filter(isRunning)).toEqual([]);
    expect(leftovers()).toEqual([]);
    expect(local.stdout()).toBe(`${line}\n`);
    expect(local.stderr()).toContain('local: stopped');
    for (const url of [ready.registry, ready.redirector, ...clients.map((host) => `http://${host}`)]) {
      await expect(fetch(`${url as string}/v2/`)).rejects.toThrow();
    }
  });

  it('names a port that is taken, and starts nothing', async () => {
    const holder: Server = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const { port } = holder.address() as { port: number };
    try {
      const local = run(['--json', '--port-s3', String(port)]);
      expect(await local.exited).toBe(1);
      expect(local.stderr()).toContain(`port ${port} (--port-s3) is in use on 127.0.0.1`);
      expect(local.stdout()).toBe('');
      expect(leftovers()).toEqual([]);
    } finally {
      holder.close();
    }
  });

  it('names the apt-get install line for a missing Debian package', async () => {
    const local = run(['--json'], { PATH: join(tmp, 'empty-path') });
    expect(await local.exited).toBe(1);
    expect(local.stderr()).toContain(
      'npm run local needs the Debian package docker-registry: apt-get install -y docker-registry',
    );
    expect(local.stdout()).toBe('');
  });

  it('refuses a port that is not one, naming the flag', async () => {
    const local = run(['--port-clients', '70000']);
    expect(await local.exited).toBe(2);
    expect(local.stderr()).toContain('--port-clients "70000" is not a whole number from 1 to 65535');
  });
});
