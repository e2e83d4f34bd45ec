/**
 * Microsoft's Azurite blob service on 127.0.0.1, standing for the storage accounts of every Azure mirror region:
 * `const azurite = await startAzurite(['testweu']); ... await azurite.stop();`. Path-style URLs
 * (`http://127.0.0.1:<port>/<account>/<container>`), one shared key for all accounts (emulator only: the deployed
 * accounts refuse shared keys), data in a temporary directory removed on stop.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContainerClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { freePort } from '../../../lib/local/ports';
import { essentialEnvironment, ManagedChild } from '../../../lib/local/processes';

export interface LocalAzurite {
  /** For the topology's `azure.blobEndpointTemplate`. */
  readonly endpointTemplate: string;
  /** The accounts' key, for `AZURE_STORAGE_KEY`. */
  readonly key: string;
  /** A client of a container, signed with the account key. */
  container(account: string, container: string): ContainerClient;
  /** A client of a container without any credential, as a registry client fetches blobs. */
  anonymous(account: string, container: string): ContainerClient;
  stop(): Promise<void>;
}

const AZURITE_BLOB = require.resolve('azurite/dist/src/blob/main.js');

export async function startAzurite(accounts: readonly string[]): Promise<LocalAzurite> {
  const port = await freePort();
  const location = mkdtempSync(join(tmpdir(), 'azurite-'));
  const key = randomBytes(32).toString('base64');
  let listening!: () => void;
  const ready = new Promise<void>((resolve) => (listening = resolve));
  const child = new ManagedChild({
    name: 'azurite-blob',
    command: process.execPath,
    args: [
      AZURITE_BLOB,
      '--blobHost',
      '127.0.0.1',
      '--blobPort',
      String(port),
      '--location',
      location,
      '--skipApiVersionCheck',
      '--disableTelemetry',
    ],
    // Without --skipApiVersionCheck Azurite 3.35 refuses the newer service version the SDK speaks; without
    // --disableTelemetry it reports to Application Insights (a request off the machine).
    env: {
      ...essentialEnvironment(process.env),
      AZURITE_ACCOUNTS: accounts.map((account) => `${account}:${key}`).join(';'),
    },
    onLine: (line) => /successfully listens on/.test(line) && listening(),
  });
  const stop = async () => {
    await child.stop();
    rmSync(location, { recursive: true, force: true });
  };
  const exited = child.exited.then((exit) => Promise.reject(new Error(child.describeExit(exit))));
  try {
    await Promise.race([ready, exited]);
  } catch (error) {
    await stop();
    throw error;
  }
  exited.catch(() => undefined);
  const endpointTemplate = `http://127.0.0.1:${port}/{account}`;
  const url = (account: string, container: string) => `${endpointTemplate.replace('{account}', account)}/${container}`;
  return {
    endpointTemplate,
    key,
    container: (account, container) =>
      new ContainerClient(url(account, container), new StorageSharedKeyCredential(account, key)),
    anonymous: (account, container) => new ContainerClient(url(account, container)),
    stop,
  };
}
