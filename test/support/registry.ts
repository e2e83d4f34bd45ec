/**
 * A real CNCF distribution registry (Debian package `docker-registry`) on 127.0.0.1 for integration tests.
 * `const registry = await startRegistry(); ... await registry.stop();` (stop it in afterAll / finally).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { freePort } from './ports';

export const REGISTRY_BINARY = '/usr/bin/docker-registry';

export interface LocalRegistry {
  /** `127.0.0.1:<port>` (as in image references). */
  readonly host: string;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** The filesystem storage root (tests reach into it to corrupt blobs). */
  readonly storageDir: string;
  stop(): Promise<void>;
}

/** Where the registry stores a blob's bytes under its filesystem root. */
export function blobDataPath(storageDir: string, digest: string): string {
  const [algorithm, hex] = digest.split(':') as [string, string];
  return join(storageDir, 'docker/registry/v2/blobs', algorithm, hex.slice(0, 2), hex, 'data');
}

export async function startRegistry(): Promise<LocalRegistry> {
  const workDir = mkdtempSync(join(tmpdir(), 'registry-'));
  const storageDir = join(workDir, 'storage');
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const configPath = join(workDir, 'config.yml');
  writeFileSync(
    configPath,
    [
      'version: 0.1',
      'log:',
      '  level: error',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${storageDir}`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: ${host}`,
      '',
    ].join('\n'),
  );
  const child = spawn(REGISTRY_BINARY, ['serve', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const url = `http://${host}`;
  const stop = async () => {
    await kill(child);
    rmSync(workDir, { recursive: true, force: true });
  };
  try {
    await waitUntilReady(`${url}/v2/`, child, () => stderr);
  } catch (error) {
    await stop();
    throw error;
  }
  return { host, url, storageDir, stop };
}

async function waitUntilReady(url: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited with ${child.exitCode}: ${stderr()}`);
    try {
      const response = await fetch(url);
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await delay(50); // polling interval, bounded by the deadline above
  }
  throw new Error(`docker-registry did not answer ${url} within 15 s: ${stderr()}`);
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}
