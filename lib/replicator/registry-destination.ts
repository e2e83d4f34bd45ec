/**
 * A registry repository tree as a replication destination: image `<repo>` of the source goes to
 * `<host>/<path>/<repo>`. A blob is HEADed first; when absent it is mounted if the registry already holds it in another
 * repository (the source's, when source and destination are one registry, or one this run wrote it to), else streamed
 * from the source and verified on the way (and by the registry on the final PUT `?digest=`). Manifests are pushed by
 * digest, then tags moved: clients pull by tag, so a tag only ever names a complete image.
 *
 * Whether an image is here is answered, for a registry that lists a repository's manifests with its tags (Container
 * Registry's and Artifact Registry's `manifest` map), from one listing per repository and run instead of one HEAD
 * per image: forty destinations of ten thousand images each are then 40 x (repositories) requests, not 400,000.
 */
import { LRUCache } from 'lru-cache';
import { type Descriptor, fullRepositoryName, type RegistryClient, type RegistryLocation } from '../oci';
import type { BlobSource, ReplicationDestination } from './destination';
import type { ImageRef } from './images-file';
import type { BlobOutcome, ManifestOutcome } from './report';
import type { ManifestNode } from './tree';

/** `<host>@<digest>` -> a repository of that registry known to hold the blob: where to mount it from. */
type MountSources = Map<string, string>;

/**
 * Repositories whose listing is kept. Images come repository by repository (a few at once), so a handful would do;
 * a listing dropped is only listed again.
 */
const LISTINGS_KEPT = 64;

/** One destination per repository tree; those on the same registry mount from each other's repositories. */
export function registryDestinations(
  trees: ReadonlyArray<{ readonly client: RegistryClient; readonly location: RegistryLocation }>,
): RegistryDestination[] {
  const mountSources: MountSources = new Map();
  return trees.map(({ client, location }) => new RegistryDestination(client, location, mountSources));
}

export class RegistryDestination implements ReplicationDestination {
  readonly name: string;
  /**
   * Per repository (the most recently asked about), the manifests it held when first asked, and those this run
   * committed since; undefined: the registry does not list them.
   */
  private readonly listings = new LRUCache<string, Promise<Set<string> | undefined>>({ max: LISTINGS_KEPT });

  constructor(
    private readonly client: RegistryClient,
    private readonly location: RegistryLocation,
    private readonly mountSources: MountSources,
  ) {
    this.name = `destination ${location.host}`;
  }

  target(image: ImageRef): string {
    return `${this.client.host}/${this.repository(image)}`;
  }

  probe(): Promise<void> {
    return this.client.ping();
  }

  async holdsImage(image: ImageRef): Promise<boolean> {
    // Manifests are pushed children first, so a present root means the whole tree is present.
    const repository = this.repository(image);
    const listed = await this.listing(repository);
    if (listed) return listed.has(image.digest);
    return (await this.client.headManifest(repository, image.digest)) !== undefined;
  }

  async holdsBlob(image: ImageRef, blob: Descriptor): Promise<boolean> {
    const repository = this.repository(image);
    const held = (await this.client.blobSize(repository, blob.digest)) === blob.size;
    // A blob found is one the other repositories of this registry can mount.
    if (held) this.mountSources.set(`${this.client.host}@${blob.digest}`, repository);
    return held;
  }

  async ensureBlob(image: ImageRef, blob: Descriptor, source: BlobSource): Promise<BlobOutcome> {
    const repository = this.repository(image);
    const outcome = await this.pushUnlessPresent(repository, blob, source);
    this.mountSources.set(`${this.client.host}@${blob.digest}`, repository);
    return outcome;
  }

  async commitManifest(image: ImageRef, manifest: ManifestNode): Promise<ManifestOutcome> {
    const repository = this.repository(image);
    // The root was absent a moment ago (holdsImage); a child may be there already, shared with another image.
    if (manifest.digest !== image.digest && (await this.client.headManifest(repository, manifest.digest)))
      return 'skipped';
    await this.client.putManifest(repository, manifest.digest, manifest);
    (await this.listings.peek(repository))?.add(manifest.digest);
    return 'copied';
  }

  async commitTags(image: ImageRef, root: () => Promise<ManifestNode>): Promise<boolean> {
    const repository = this.repository(image);
    let moved = false;
    for (const tag of image.tags) {
      if ((await this.client.headManifest(repository, tag))?.digest === image.digest) continue;
      await this.client.putManifest(repository, tag, await root());
      moved = true;
    }
    return moved;
  }

  private async pushUnlessPresent(repository: string, blob: Descriptor, source: BlobSource): Promise<BlobOutcome> {
    if ((await this.client.blobSize(repository, blob.digest)) === blob.size) return 'skipped';
    const mountFrom =
      source.host === this.client.host
        ? source.repository
        : this.mountSources.get(`${this.client.host}@${blob.digest}`);
    const pushed = await this.client.pushBlob(repository, blob.digest, blob.size, () => source.open(), mountFrom);
    return pushed === 'mounted' ? 'mounted' : 'copied';
  }

  /** The repository's manifests, listed once per run; undefined when the registry does not list them. */
  private listing(repository: string): Promise<Set<string> | undefined> {
    let listed = this.listings.get(repository);
    if (!listed) {
      listed = this.client.listManifests(repository);
      listed.catch(() => this.listings.delete(repository));
      this.listings.set(repository, listed);
    }
    return listed;
  }

  private repository(image: ImageRef): string {
    return fullRepositoryName(this.location, image.repository);
  }
}
