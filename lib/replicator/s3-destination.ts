/**
 * The upload bucket as a replication destination (S3BlobStore does the S3 work): every blob under its digest, and a
 * marker per manifest once everything the manifest covers is in place; a root's marker means the image is complete.
 * S3 has no tags: Cross-Region Replication and the redirector need blobs only.
 */
import type { Descriptor } from '../oci';
import { type BlobSource, PROBE_MARKER, type ReplicationDestination } from './destination';
import type { ImageRef } from './images-file';
import type { BlobOutcome, ManifestOutcome } from './report';
import type { S3BlobStore } from './s3-store';
import type { ManifestNode } from './tree';

export class S3Destination implements ReplicationDestination {
  readonly name: string;
  private readonly url: string;

  constructor(private readonly store: S3BlobStore) {
    this.name = `bucket ${store.bucket}`;
    this.url = `s3://${store.bucket}`;
  }

  target(): string {
    return this.url;
  }

  async probe(): Promise<void> {
    await this.store.hasMarker(PROBE_MARKER);
  }

  holdsImage(image: ImageRef): Promise<boolean> {
    return this.store.hasMarker(image.digest);
  }

  holdsBlob(_image: ImageRef, blob: Descriptor): Promise<boolean> {
    return this.store.hasBlob(blob.digest, blob.size);
  }

  async ensureBlob(_image: ImageRef, blob: Descriptor, source: BlobSource): Promise<BlobOutcome> {
    if (await this.store.hasBlob(blob.digest, blob.size)) return 'skipped';
    await this.store.putBlob(blob.digest, blob.size, await source.open());
    return 'copied';
  }

  async commitManifest(_image: ImageRef, manifest: ManifestNode): Promise<ManifestOutcome> {
    await this.store.putMarker(manifest.digest);
    return 'copied';
  }
}
