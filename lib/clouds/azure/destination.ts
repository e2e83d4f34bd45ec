/**
 * A mirror region's blob container as a replication destination: every blob at `containers/images/<digest>`, a
 * marker per manifest at `geranos/uploaded-images/<digest>` once everything the manifest covers is in place (the
 * layout of lib/topology/blob-layout.ts, as in S3). Like S3, a container has no tags.
 *
 * Verified before visible, with Azure's own primitive: a block blob's content is its committed block list, and staged
 * blocks are invisible until a Put Block List commits them. The bytes are staged block by block (each block checked
 * by the service against its MD5 in transit) while the digest is computed, and the list is committed only once the
 * stream ended with the digest and size matching. A mismatch, a dead source or a kill leaves uncommitted blocks,
 * which no reader sees and Azure discards after a week. (The other way, uploading under a temporary name and copying,
 * would leave temporaries after a kill, and a copy of a large blob is asynchronous: no single moment of visibility.)
 *
 * A block's ID is its block size and index, of one length for every blob (as Azure requires): a rerun after a kill
 * restages the same IDs, and two tasks that upload the same digest at once stage the same bytes under the same IDs,
 * so whichever commits last commits the same content (a task with another block size uses other IDs).
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { ContainerClient } from '@azure/storage-blob';
import { type Descriptor, verifying } from '../../oci';
import { type BlobSource, PROBE_MARKER, type ReplicationDestination } from '../../replicator/destination';
import type { ImageRef } from '../../replicator/images-file';
import type { BlobOutcome, ManifestOutcome } from '../../replicator/report';
import type { ManifestNode } from '../../replicator/tree';
import { blobKey, markerKey } from '../../topology/blob-layout';

export interface AzureBlobDestinationOptions {
  readonly container: ContainerClient;
  /** Bytes per staged block: the most a blob's upload holds in memory. @default 8 MiB */
  readonly blockSize?: number;
}

const MiB = 1024 * 1024;
/** Azure's limits: at most 50,000 blocks per blob, each at most 4000 MiB. */
const MAX_BLOCKS = 50_000;
const MAX_BLOCK_SIZE = 4000 * MiB;

export class AzureBlobDestination implements ReplicationDestination {
  readonly name: string;
  private readonly url: string;
  private readonly container: ContainerClient;
  private readonly blockSize: number;

  constructor(options: AzureBlobDestinationOptions) {
    this.container = options.container;
    this.url = options.container.url;
    this.name = `container ${this.url}`;
    this.blockSize = options.blockSize ?? 8 * MiB;
    if (!(this.blockSize >= 1 && this.blockSize <= MAX_BLOCK_SIZE))
      throw new Error(`Azure blocks must be 1 byte to 4000 MiB, got ${this.blockSize}`);
  }

  target(): string {
    return this.url;
  }

  async probe(): Promise<void> {
    await this.sizeOf(markerKey(PROBE_MARKER));
  }

  async holdsImage(image: ImageRef): Promise<boolean> {
    return (await this.sizeOf(markerKey(image.digest))) !== undefined;
  }

  /** A blob of another size is treated as missing, and replaced. */
  async holdsBlob(_image: ImageRef, blob: Descriptor): Promise<boolean> {
    return (await this.sizeOf(blobKey(blob.digest))) === blob.size;
  }

  async ensureBlob(image: ImageRef, blob: Descriptor, source: BlobSource): Promise<BlobOutcome> {
    if (await this.holdsBlob(image, blob)) return 'skipped';
    await this.putBlob(blob, await source.open());
    return 'copied';
  }

  /** Called by the loop only once everything the manifest covers is in place. */
  async commitManifest(_image: ImageRef, manifest: ManifestNode): Promise<ManifestOutcome> {
    const name = markerKey(manifest.digest);
    await this.container
      .getBlockBlobClient(name)
      .upload(Buffer.alloc(0), 0, { blobHTTPHeaders: { blobContentType: 'text/plain' } })
      .catch(this.namingRole('write', name));
    return 'copied';
  }

  private async putBlob(blob: Descriptor, source: Readable): Promise<void> {
    const name = blobKey(blob.digest);
    if (Math.ceil(blob.size / this.blockSize) > MAX_BLOCKS)
      throw new Error(
        `${this.url}/${name}: ${blob.size} bytes need more than ${MAX_BLOCKS} blocks of ${this.blockSize}`,
      );
    const client = this.container.getBlockBlobClient(name);
    const verified = verifying(source, blob.digest, blob.size);
    const staged: string[] = [];
    try {
      for await (const block of blocksOf(verified, this.blockSize)) {
        const id = blockId(this.blockSize, staged.length);
        await client.stageBlock(id, block, block.length, {
          transactionalContentMD5: createHash('md5').update(block).digest(),
        });
        staged.push(id);
      }
      // The stream ended, so its digest and size were verified: only now may the blob become visible.
      await client.commitBlockList(staged, { blobHTTPHeaders: { blobContentType: 'application/octet-stream' } });
    } catch (error) {
      source.destroy();
      verified.destroy();
      this.namingRole('write', name)(error);
    }
    const stored = await this.sizeOf(name);
    if (stored !== blob.size) throw new Error(`${this.url}/${name}: stored ${stored} bytes, expected ${blob.size}`);
  }

  /** The blob's size, or undefined when there is none under that name. */
  private async sizeOf(name: string): Promise<number | undefined> {
    try {
      return (await this.container.getBlobClient(name).getProperties()).contentLength ?? 0;
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      return this.namingRole('read', name)(error);
    }
  }

  /** Rethrows an error, as an AzureAccessDenied naming the missing role when the service answered 403. */
  private namingRole(access: 'read' | 'write', name: string): (error: unknown) => never {
    return (error) => {
      if (statusOf(error) === 403)
        throw new AzureAccessDenied(accessDeniedMessage(access, this.url, name), { cause: error });
      throw error;
    };
  }
}

/** Splits a stream into blocks of exactly `size` bytes, the last one shorter; holds at most one block. */
export async function* blocksOf(stream: AsyncIterable<Buffer>, size: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let length = 0;
  for await (const chunk of stream) {
    pending.push(chunk);
    length += chunk.length;
    while (length >= size) {
      const joined = Buffer.concat(pending, length);
      yield joined.subarray(0, size);
      pending = [joined.subarray(size)];
      length -= size;
    }
  }
  if (length > 0) yield Buffer.concat(pending, length);
}

/** A block's ID: base64 of its block size and index, zero-padded to the largest of each (one length for all). */
export function blockId(blockSize: number, index: number): string {
  return Buffer.from(`${String(blockSize).padStart(10, '0')}-${String(index).padStart(5, '0')}`).toString('base64');
}

function statusOf(error: unknown): number | undefined {
  return (error as { statusCode?: number } | undefined)?.statusCode;
}

/** The service refused a request (403): the message names the role the identity lacks. */
export class AzureAccessDenied extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AzureAccessDenied';
  }
}

export function accessDeniedMessage(access: 'read' | 'write', containerUrl: string, name: string): string {
  return (
    `${containerUrl}/${name}: 403 Forbidden: the identity may not ${access} blobs of this container; it needs the ` +
    `role "Storage Blob Data Contributor" on the container (the Azure stack grants it to the replicator's managed ` +
    `identity, whose federated credential must trust the job's service account)`
  );
}
