/**
 * Where the replicator copies images to: THE extension point for a new kind of destination. The copy loop
 * (replication.ts) is the same for every kind; a kind is one implementation of ReplicationDestination and nothing
 * else (registry-destination.ts, s3-destination.ts; the next donor's blob storage is one more). Dry runs, retries,
 * concurrency, "each blob once per run", sharing the work between tasks, progress and the report lines all belong
 * to the loop.
 *
 * What the loop does with a destination, per image:
 *   1. `holdsImage`: when true, no blob or manifest of the image is touched;
 *   2. otherwise, for each manifest of the image's tree, children before the indexes that list them: `ensureBlob` for
 *      each of its blobs (concurrently; each digest once per target and run, and for a digest already ensured at
 *      another target of the destination only once that first call settled), then, once all of them succeeded,
 *      `commitManifest`;
 *   3. `commitTags`, when the kind has tags, for every image, held or not.
 * A failed call may be repeated as a whole (transient failures are retried), and a run may be killed at any moment,
 * within a call or between two, and run again.
 *
 * The guarantees every implementation keeps:
 * - Verified before visible. `ensureBlob` makes a blob visible under its digest only once its bytes matched the
 *   digest and size (`verifying()` from lib/oci holds the last chunk back until they did). A mismatch rejects with
 *   DigestMismatchError and leaves nothing a later `ensureBlob` would take for the blob.
 * - After what it covers. `commitManifest` writes the manifest (or its marker) when it is called, which the loop does
 *   only after everything the manifest covers is in place; a destination never writes one earlier. So a present root
 *   means a complete tree, and `holdsImage` may answer from the root alone.
 * - Idempotent and resumable. Every method may be called again for what is already done, also after a kill at any
 *   point: the end state is the same, and nothing partial is ever visible (an interrupted upload stays invisible).
 * - Nothing re-sent. `ensureBlob` answers 'skipped' for a blob that is present with its size, without opening the
 *   source, and 'mounted' when the destination obtained it without our bytes.
 */
import type { Readable } from 'node:stream';
import type { Descriptor } from '../oci';
import type { ImageRef } from './images-file';
import type { BlobOutcome, ManifestOutcome } from './report';
import type { ManifestNode } from './tree';

/**
 * The digest of a marker nobody writes: a store's probe reads it, proving the store answers and the identity may
 * read it.
 */
export const PROBE_MARKER = `sha256:${'0'.repeat(64)}`;

/** Where a blob's bytes come from: the image's repository in the source registry. */
export interface BlobSource {
  /** The source registry (`host[:port]`): a destination on the same registry can mount instead of copying. */
  readonly host: string;
  /** The image's full repository name in the source registry. */
  readonly repository: string;
  /** Opens the blob's bytes as the source sends them (not verified yet); called only when they must be sent. */
  open(): Promise<Readable>;
}

export interface ReplicationDestination {
  /** Names the destination in start-up errors: `destination <host>`, `bucket <name>`. */
  readonly name: string;
  /**
   * Where `image` goes, as the report names it (`<host>/<repository>`, `s3://<bucket>`). Also the scope of blob
   * sharing: blobs of images with the same target are ensured once per run.
   */
  target(image: ImageRef): string;
  /** Checked before any copy: reachable, and the credentials are accepted. Its failure stops the run (exit code 3). */
  probe(): Promise<void>;
  /** Whether the image's whole tree is here already (its root manifest, or the root's marker). Reads only. */
  holdsImage(image: ImageRef): Promise<boolean>;
  /**
   * Whether `blob` is present, with its size, where `image` goes. Reads only (a kind may remember where it saw the
   * blob, e.g. to mount it from there). Asked about a blob another task of the job copies, until it is there.
   */
  holdsBlob(image: ImageRef, blob: Descriptor): Promise<boolean>;
  /** Makes one blob of `image` present at its target, its bytes read from `source` only when they must be sent. */
  ensureBlob(image: ImageRef, blob: Descriptor, source: BlobSource): Promise<BlobOutcome>;
  /** Makes one manifest of `image` (or its marker) visible; called once its blobs and child manifests are in place. */
  commitManifest(image: ImageRef, manifest: ManifestNode): Promise<ManifestOutcome>;
  /**
   * For kinds that serve pulls by tag: points each of `image.tags` at the image (its manifests are all in place).
   * `root` fetches the image's root manifest from the source when a tag needs it. True when a tag moved.
   */
  commitTags?(image: ImageRef, root: () => Promise<ManifestNode>): Promise<boolean>;
}
