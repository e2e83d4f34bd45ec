/**
 * AzureBlobDestination on a real Azurite blob service, beyond the cases every destination kind shares
 * (test/replicator/destinations.test.ts): a process killed in the middle of a copy leaves only uncommitted blocks and
 * a rerun completes; corrupted bytes stay uncommitted; what it wrote is readable anonymously by name (the
 * container's `blob` access) but not listable; a refused request names the role; blocks are cut exactly.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ContainerClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { AzureAccessDenied, AzureBlobDestination, blockId, blocksOf } from '../../../lib/clouds/azure/destination';
import { ManagedChild } from '../../../lib/local/processes';
import { DigestMismatchError, sha256Digest, type Descriptor } from '../../../lib/oci';
import type { BlobSource } from '../../../lib/replicator';
import { blobKey } from '../../../lib/topology/blob-layout';
import { pollUntil } from '../../support/poll';
import { type LocalAzurite, startAzurite } from './azurite';

const ACCOUNT = 'mirrorweu';
const BLOCK = 64 * 1024;
const image = { repository: 'app', digest: `sha256:${'1'.repeat(64)}`, tags: [] };

function blobOf(bytes: Buffer): Descriptor {
  return { mediaType: 'application/octet-stream', digest: sha256Digest(bytes), size: bytes.length };
}

/** A source that serves `bytes` and counts how often it was opened. */
function sourceOf(bytes: Buffer): BlobSource & { opened: number } {
  const source = {
    host: 'source.invalid',
    repository: 'images/app',
    opened: 0,
    open: async () => {
      source.opened++;
      return Readable.from([bytes.subarray(0, 100_000), bytes.subarray(100_000)]);
    },
  };
  return source;
}

describe('AzureBlobDestination on Azurite', () => {
  let azurite: LocalAzurite;
  let container: ContainerClient;
  let destination: AzureBlobDestination;
  let scratch: string;

  beforeAll(async () => {
    azurite = await startAzurite([ACCOUNT]);
    container = azurite.container(ACCOUNT, 'images');
    await container.create({ access: 'blob' });
    destination = new AzureBlobDestination({ container, blockSize: BLOCK });
    scratch = mkdtempSync(join(tmpdir(), 'azure-destination-'));
  });

  afterAll(async () => {
    await azurite?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  /** The blob's staged blocks; none while no block was staged (the service answers 404 then). */
  const uncommittedBlocks = async (digest: string) => {
    const list = container.getBlockBlobClient(blobKey(digest)).getBlockList('uncommitted');
    return ((await list.catch(() => undefined))?.uncommittedBlocks ?? []).length;
  };

  it('killed in the middle of a copy, shows nothing; a rerun copies the blob, and another sends nothing', async () => {
    const bytes = randomBytes(10 * BLOCK + 123);
    const blob = blobOf(bytes);
    const file = join(scratch, 'blob');
    writeFileSync(file, bytes);
    const child = new ManagedChild({
      name: 'stalled upload',
      command: process.execPath,
      args: ['--import', 'tsx', join(__dirname, 'stalled-upload.ts'), container.url, ACCOUNT, azurite.key, file].concat(
        [blob.digest, String(BLOCK)],
      ),
    });
    try {
      // Half the bytes are five blocks: once they are all staged, the upload waits for bytes that never come.
      await pollUntil(async () => (await uncommittedBlocks(blob.digest)) === 5, 60_000, 'five staged blocks').catch(
        (error: Error) => Promise.reject(new Error(`${error.message}; the child's output: ${child.tail()}`)),
      );
    } finally {
      await child.stop(0); // SIGKILL at once: no handler runs
    }
    expect(await destination.holdsBlob(image, blob)).toBe(false);
    const anonymous = await fetch(`${container.url}/${blobKey(blob.digest)}`);
    expect(anonymous.status).toBe(404);

    const source = sourceOf(bytes);
    expect(await destination.ensureBlob(image, blob, source)).toBe('copied');
    expect(await container.getBlobClient(blobKey(blob.digest)).downloadToBuffer()).toEqual(bytes);
    expect(await destination.ensureBlob(image, blob, source)).toBe('skipped');
    expect(source.opened).toBe(1);
  });

  it('stages corrupted bytes but never commits them; the right bytes then replace the staged blocks', async () => {
    const bytes = randomBytes(3 * BLOCK + 7);
    const blob = blobOf(bytes);
    const corrupted = Buffer.from(bytes);
    corrupted[corrupted.length - 1]! ^= 0xff;
    await expect(destination.ensureBlob(image, blob, sourceOf(corrupted))).rejects.toThrow(DigestMismatchError);
    expect(await uncommittedBlocks(blob.digest)).toBeGreaterThan(0); // the bytes went up, and stayed invisible
    expect(await destination.holdsBlob(image, blob)).toBe(false);

    expect(await destination.ensureBlob(image, blob, sourceOf(bytes))).toBe('copied');
    expect(await container.getBlobClient(blobKey(blob.digest)).downloadToBuffer()).toEqual(bytes);
  });

  it('writes what anyone may read by name, and no one may list', async () => {
    const bytes = randomBytes(1000);
    const blob = blobOf(bytes);
    await destination.ensureBlob(image, blob, sourceOf(bytes));
    const response = await fetch(`${container.url}/${blobKey(blob.digest)}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/octet-stream');
    expect(Buffer.from(await response.arrayBuffer())).toEqual(bytes);
    const listing = await fetch(`${container.url}?restype=container&comp=list`);
    expect(listing.ok).toBe(false);
  });

  it('names the role the identity lacks when the service refuses it', async () => {
    // A private container: Azurite serves a public one's blobs to anyone, whatever the signature says.
    await azurite.container(ACCOUNT, 'private').create();
    const stranger = new ContainerClient(
      azurite.container(ACCOUNT, 'private').url,
      new StorageSharedKeyCredential(ACCOUNT, randomBytes(32).toString('base64')),
    );
    const refused = new AzureBlobDestination({ container: stranger });
    const error = await refused.probe().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AzureAccessDenied);
    expect((error as Error).message).toContain('403 Forbidden');
    expect((error as Error).message).toContain('"Storage Blob Data Contributor" on the container');
  });
});

describe('blocks', () => {
  const collect = async (chunks: number[], size: number) => {
    const stream = Readable.from(chunks.map((length) => Buffer.alloc(length, 1)));
    const lengths: number[] = [];
    for await (const block of blocksOf(stream, size)) lengths.push(block.length);
    return lengths;
  };

  it.each([
    [[], []],
    [[1], [1]],
    [[9], [9]],
    [[10], [10]],
    [[11], [10, 1]],
    [
      [3, 3, 3, 3],
      [10, 2],
    ],
    [
      [25, 5],
      [10, 10, 10],
    ],
    [
      [4, 30, 1],
      [10, 10, 10, 5],
    ],
  ])('chunks %j are blocks %j of at most 10 bytes', async (chunks, blocks) => {
    expect(await collect(chunks, 10)).toEqual(blocks);
  });

  it('have IDs of one length, whatever the block size and index, and other IDs for another block size', () => {
    expect(Buffer.from(blockId(4096, 7), 'base64').toString()).toBe('0000004096-00007');
    const largest = blockId(4000 * 1024 * 1024, 49_999);
    expect(blockId(1, 0)).toHaveLength(largest.length);
    expect(blockId(8 * 1024 * 1024, 3)).not.toBe(blockId(4 * 1024 * 1024, 3));
  });

  it.each([0, 4001 * 1024 * 1024])('refuses a block size of %d', (blockSize) => {
    expect(
      () => new AzureBlobDestination({ container: new ContainerClient('http://127.0.0.1:1/a/b'), blockSize }),
    ).toThrow('Azure blocks must be 1 byte to 4000 MiB');
  });
});
