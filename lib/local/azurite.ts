/**
 * Microsoft's Azurite blob service (the npm package) on 127.0.0.1, standing for the storage accounts of every Azure
 * mirror region: `const azurite = await startAzurite(['localregweu']); ... await azurite.stop();`. Path-style URLs
 * (`http://127.0.0.1:<port>/<account>/<container>`), one shared key for all accounts (emulator only: the deployed
 * accounts refuse shared keys), data in a temporary directory removed on stop. Its access log is read into a
 * RequestLog, so callers can see which blobs it served.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContainerClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { portFor } from './ports';
import { essentialEnvironment, ManagedChild } from './processes';
import { parseAccessLogLine, RequestLog } from './request-log';

export interface LocalAzurite {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** For the topology's `azure.blobEndpointTemplate`: `http://127.0.0.1:<port>/{account}`. */
  readonly endpointTemplate: string;
  /** The accounts' key, for `AZURE_STORAGE_KEY`. */
  readonly key: string;
  /** Every request it answered, from its own access log. */
  readonly requests: RequestLog;
  /** Resolves once every request answered so far is in `requests` (the access log is written after the answer). */
  settle(): Promise<void>;
  /** A client of a container, signed with the account key. */
  container(account: string, container: string): ContainerClient;
  /** A client of a container without any credential, as a registry client fetches blobs. */
  anonymous(account: string, container: string): ContainerClient;
  /** The process, while it runs. */
  readonly process: ManagedChild;
  stop(): Promise<void>;
}

export interface AzuriteOptions {
  /** @default a port Azurite picks */
  readonly port?: number;
  /** Where its workspace directory goes. @default the system's temporary directory */
  readonly parentDir?: string;
  /** Every line it writes. */
  readonly onLine?: (line: string) => void;
}

const LISTENING = /successfully listens on (http:\/\/127\.0\.0\.1:\d+)/;

/** Azurite's blob service entry point; a missing package is named with what installs it. */
function azuriteBlobMain(): string {
  try {
    return require.resolve('azurite/dist/src/blob/main.js');
  } catch {
    throw new Error('Azure needs the npm package azurite (a devDependency of this repository): npm install');
  }
}

/** Azurite's command line: blob service only, on 127.0.0.1, its workspace in `location`. */
export function azuriteArgs(port: number, location: string): string[] {
  return [
    azuriteBlobMain(),
    '--blobHost',
    '127.0.0.1',
    '--blobPort',
    String(port),
    '--location',
    location,
    // Azurite 3.35 refuses the newer service version the SDK speaks without this.
    '--skipApiVersionCheck',
    // Otherwise it reports to Application Insights: a request off the machine.
    '--disableTelemetry',
  ];
}

export async function startAzurite(accounts: readonly string[], options: AzuriteOptions = {}): Promise<LocalAzurite> {
  // Port 0: Azurite binds a free port itself and names it, so no other process can take it in between.
  const port = options.port === undefined ? 0 : await portFor(options.port, 'Azurite');
  const location = mkdtempSync(join(options.parentDir ?? tmpdir(), 'azurite-'));
  const key = randomBytes(32).toString('base64');
  const requests = new RequestLog();
  let listening!: (url: string) => void;
  const ready = new Promise<string>((resolve) => (listening = resolve));
  const child = new ManagedChild({
    name: 'azurite-blob',
    command: process.execPath,
    args: azuriteArgs(port, location),
    env: {
      ...essentialEnvironment(process.env),
      AZURITE_ACCOUNTS: accounts.map((account) => `${account}:${key}`).join(';'),
    },
    onLine: (line) => {
      const entry = parseAccessLogLine(line);
      if (entry) requests.record(entry);
      const started = LISTENING.exec(line);
      if (started) listening(started[1]!);
      options.onLine?.(line);
    },
  });
  const stop = async () => {
    await child.stop();
    rmSync(location, { recursive: true, force: true });
  };
  const exited = child.exited.then((exit) => Promise.reject(new Error(child.describeExit(exit))));
  let url: string;
  try {
    url = await Promise.race([ready, exited]);
  } catch (error) {
    await stop();
    throw error;
  }
  exited.catch(() => undefined);
  const endpointTemplate = `${url}/{account}`;
  const containerUrl = (account: string, container: string) => `${url}/${account}/${container}`;
  return {
    url,
    endpointTemplate,
    key,
    requests,
    settle: () =>
      requests.barrier(async (query) => {
        // Any answer will do (the service root refuses an anonymous request): it is logged in order.
        await (await fetch(`${url}/${query}`)).arrayBuffer();
      }),
    container: (account, container) =>
      new ContainerClient(containerUrl(account, container), new StorageSharedKeyCredential(account, key)),
    anonymous: (account, container) => new ContainerClient(containerUrl(account, container)),
    process: child,
    stop,
  };
}
