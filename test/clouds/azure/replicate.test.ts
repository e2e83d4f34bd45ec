/**
 * `replicate azure` end to end: a real registry as the source, Azurite as the two mirror regions' storage accounts,
 * the command line built from the Azure donor's own replication target. Then the pieces it is made of: container
 * URLs as the flag takes them, and credentials from the environment (the federated assertion is the Google ID token
 * for Entra ID's exchange audience, from the metadata server).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ClientAssertionCredential } from '@azure/identity';
import { StorageSharedKeyCredential } from '@azure/storage-blob';
import { azureCredential, federatedAssertion } from '../../../lib/clouds/azure/credentials';
import { azureDonor } from '../../../lib/clouds/azure/donor';
import { containerLocation } from '../../../lib/clouds/azure/urls';
import { RegistryClient, sha256Digest } from '../../../lib/oci';
import { UsageError } from '../../../lib/replicator';
import { blobKey, markerKey } from '../../../lib/topology/blob-layout';
import { pushSampleImages, type SampleImages } from '../../support/images';
import { type LocalRegistry, startRegistry } from '../../support/registry';
import { replicate, summaryOf } from '../../replicator/helpers';
import { type LocalAzurite, startAzurite } from './azurite';
import { azureSection } from './support';

describe('replicate azure (registry -> every Azure container)', () => {
  let source: LocalRegistry;
  let azurite: LocalAzurite;
  let sample: SampleImages;
  let argv: string[];

  beforeAll(async () => {
    [source, azurite] = await Promise.all([startRegistry(), startAzurite(['smallregweu', 'smallregeus2'])]);
    const client = new RegistryClient({ host: source.host, insecure: true });
    try {
      sample = await pushSampleImages(client, 'prod/images');
    } finally {
      client.close();
    }
    const azure = azureSection((raw) => void (raw.blobEndpointTemplate = azurite.endpointTemplate));
    const [target] = azureDonor.topology.replicationTargets(azure);
    argv = [
      target!.kind,
      '--source',
      `${source.host}/prod/images`,
      ...target!.args,
      '--insecure-registry',
      source.host,
    ];
    for (const account of ['smallregweu', 'smallregeus2'])
      await azurite.container(account, 'images').create({ access: 'blob' });
  });

  afterAll(async () => {
    await Promise.all([source?.stop(), azurite?.stop()]);
  });

  it('copies every blob into each region once, markers after; a rerun sends nothing', async () => {
    expect(argv.filter((arg) => arg.startsWith('http'))).toEqual([
      `${azurite.endpointTemplate.replace('{account}', 'smallregweu')}/images`,
      `${azurite.endpointTemplate.replace('{account}', 'smallregeus2')}/images`,
    ]);
    const env = { AZURE_STORAGE_KEY: azurite.key };
    const first = await replicate(argv, env);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(summaryOf(first)).toMatchObject({ ok: true, blobs: { copied: 2 * sample.blobs.size, failed: 0 } });
    for (const account of ['smallregweu', 'smallregeus2']) {
      const container = azurite.anonymous(account, 'images');
      for (const blob of sample.blobs.values()) {
        const response = await fetch(`${container.url}/${blobKey(blob.digest)}`);
        expect(sha256Digest(Buffer.from(await response.arrayBuffer()))).toBe(blob.digest);
      }
      for (const root of sample.roots)
        expect((await fetch(`${container.url}/${markerKey(root.digest)}`)).status).toBe(200);
    }

    const rerun = await replicate(argv, env);
    expect(summaryOf(rerun)).toMatchObject({ ok: true, blobs: { copied: 0 }, images: { copied: 0 } });
  });

  it.each([
    [[], '--container-url is required'],
    [['--container-url', 'https://k8sregweu.blob.core.windows.net'], 'must be a container URL'],
    [['--container-url', 'ftp://k8sregweu.blob.core.windows.net/images'], 'is not an http(s) URL'],
    [
      [
        '--container-url',
        'https://abc.blob.core.windows.net/images',
        '--container-url',
        'https://abc.blob.core.windows.net/images',
      ],
      'is given twice',
    ],
  ])('refuses %j: %s (exit 2)', async (flags, message) => {
    const result = await replicate(['azure', '--source', `${source.host}/prod/images`, ...flags], {});
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });

  it('says which variables a job without credentials lacks (exit 2)', async () => {
    const result = await replicate(argv, {});
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('AZURE_TENANT_ID and AZURE_CLIENT_ID');
  });
});

describe('container URLs', () => {
  it.each([
    [
      'https://k8sregweu.blob.core.windows.net/images',
      { account: 'k8sregweu', serviceUrl: 'https://k8sregweu.blob.core.windows.net', container: 'images' },
    ],
    [
      'http://127.0.0.1:10000/k8sregweu/images',
      { account: 'k8sregweu', serviceUrl: 'http://127.0.0.1:10000/k8sregweu', container: 'images' },
    ],
    [
      'http://localhost:10000/devstoreaccount1/images/',
      { account: 'devstoreaccount1', serviceUrl: 'http://localhost:10000/devstoreaccount1', container: 'images' },
    ],
  ])('%s', (url, location) => {
    expect(containerLocation(url)).toEqual(location);
  });

  it.each([
    ['not a url', 'is not a URL'],
    ['https://k8sregweu.blob.core.windows.net/images/extra', 'must be a container URL'],
    ['http://127.0.0.1:10000/k8sregweu', 'must be a container URL'],
    ['https://K8S_reg.blob.core.windows.net/images', 'names no valid account'],
    ['https://k8sregweu.blob.core.windows.net/Images', 'names no valid container'],
    ['https://k8sregweu.blob.core.windows.net/images?sv=2024&sig=x', 'must have no query'],
  ])('refuses %s: %s', (url, message) => {
    expect(() => containerLocation(url)).toThrow(message);
  });
});

describe('Azure credentials from the environment', () => {
  let server: http.Server;
  let host: string;
  const requested: string[] = [];

  beforeAll(async () => {
    server = http.createServer((request, response) => {
      requested.push(request.url!);
      response.setHeader('metadata-flavor', 'Google');
      response.end('eyJ.google.id-token');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it.each([
    [{}, 'api%3A%2F%2FAzureADTokenExchange'],
    [{ AZURE_TOKEN_AUDIENCE: 'api://other' }, 'api%3A%2F%2Fother'],
  ])('asserts with the Google ID token for the exchange audience (%j)', async (env, audience) => {
    expect(await federatedAssertion({ ...env, GCE_METADATA_HOST: host })()).toBe('eyJ.google.id-token');
    expect(requested.at(-1)).toBe(
      `/computeMetadata/v1/instance/service-accounts/default/identity?audience=${audience}&format=full`,
    );
  });

  it('federates with a tenant and a client ID; signs with a key only when an emulator key is given', () => {
    expect(azureCredential({ AZURE_TENANT_ID: 't', AZURE_CLIENT_ID: 'c' }, 'a')).toBeInstanceOf(
      ClientAssertionCredential,
    );
    expect(azureCredential({ AZURE_STORAGE_KEY: 'a2V5' }, 'a')).toBeInstanceOf(StorageSharedKeyCredential);
    expect(() => azureCredential({ AZURE_TENANT_ID: 't' }, 'a')).toThrow(UsageError);
  });
});
