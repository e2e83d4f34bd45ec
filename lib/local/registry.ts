/**
 * A real CNCF distribution registry (Debian package `docker-registry`) on 127.0.0.1, standing for one Artifact
 * Registry region: `const registry = await startRegistry(); ... await registry.stop();`. Its access log is read
 * into a RequestLog, so callers can see what it served.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { portFor } from './ports';
import { ManagedChild, waitForHttp } from './processes';
import { parseAccessLogLine, RequestLog } from './request-log';

/** The executable of the Debian package `docker-registry`, found on PATH. */
export const REGISTRY_COMMAND = 'docker-registry';

export interface LocalRegistry {
  /** `127.0.0.1:<port>` (as in image references). */
  readonly host: string;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** The filesystem storage root (tests reach into it to corrupt blobs). */
  readonly storageDir: string;
  /** Every request it answered, from its own access log. */
  readonly requests: RequestLog;
  /** Resolves once every request answered so far is in `requests` (the access log is written after the answer). */
  settle(): Promise<void>;
  /** The process, while it runs. */
  readonly process: ManagedChild;
  stop(): Promise<void>;
}

export interface RegistryOptions {
  /** @default a free port */
  readonly port?: number;
  /** Names it in messages. @default 'docker-registry' */
  readonly name?: string;
  /** Where its temporary directory goes. @default the system's */
  readonly parentDir?: string;
}

/** Where the registry stores a blob's bytes under its filesystem root. */
export function blobDataPath(storageDir: string, digest: string): string {
  const [algorithm, hex] = digest.split(':') as [string, string];
  return join(storageDir, 'docker/registry/v2/blobs', algorithm, hex.slice(0, 2), hex, 'data');
}

/** The registry's configuration: filesystem storage, deletes allowed, access log on, errors only otherwise. */
export function registryConfig(storageDir: string, host: string): string {
  return [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    '    disabled: false',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${storageDir}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: ${host}`,
    '',
  ].join('\n');
}

export async function startRegistry(options: RegistryOptions = {}): Promise<LocalRegistry> {
  const name = options.name ?? REGISTRY_COMMAND;
  const port = await portFor(options.port, name);
  const workDir = mkdtempSync(join(options.parentDir ?? tmpdir(), 'registry-'));
  const storageDir = join(workDir, 'storage');
  const host = `127.0.0.1:${port}`;
  const url = `http://${host}`;
  const configPath = join(workDir, 'config.yml');
  writeFileSync(configPath, registryConfig(storageDir, host));
  const requests = new RequestLog();
  const child = new ManagedChild({
    name,
    command: REGISTRY_COMMAND,
    args: ['serve', configPath],
    onLine: (line, stream) => {
      const entry = stream === 'stdout' ? parseAccessLogLine(line) : undefined;
      if (entry) requests.record(entry);
    },
  });
  const stop = async () => {
    await child.stop();
    rmSync(workDir, { recursive: true, force: true });
  };
  try {
    await waitForHttp(`${url}/v2/`, child);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    host,
    url,
    storageDir,
    requests,
    process: child,
    settle: () =>
      requests.barrier(async (query) => {
        await (await fetch(`${url}/v2/${query}`)).arrayBuffer();
      }),
    stop,
  };
}
