/**
 * An image as a tree of manifests: an index points at manifests (one per platform, possibly nested indexes), an
 * image manifest at blobs (config and layers). Fetched from the source and verified against its digest.
 */
import type { Descriptor, RegistryClient } from '../oci';

export interface ManifestNode {
  readonly digest: string;
  readonly mediaType: string;
  readonly bytes: Buffer;
  readonly children: readonly ManifestNode[];
  /** Blobs of this manifest itself (empty for an index). */
  readonly blobs: readonly Descriptor[];
}

/** Nested indexes deeper than this are refused (a cycle of digests is impossible, but a hostile registry may try depth). */
const MAX_DEPTH = 8;

/** Fetches the manifest tree under `digest`; `cache` shares manifests between images and destinations. */
export async function fetchTree(
  source: Pick<RegistryClient, 'getManifest'>,
  repository: string,
  digest: string,
  cache: Map<string, Promise<ManifestNode>> = new Map(),
  depth = 0,
): Promise<ManifestNode> {
  if (depth > MAX_DEPTH) throw new Error(`${repository}@${digest}: indexes nested deeper than ${MAX_DEPTH}`);
  const key = `${repository}@${digest}`;
  let node = cache.get(key);
  if (!node) {
    node = (async () => {
      const manifest = await source.getManifest(repository, digest);
      const children =
        manifest.parsed.kind === 'index'
          ? await Promise.all(
              manifest.parsed.manifests.map((child) => fetchTree(source, repository, child.digest, cache, depth + 1)),
            )
          : [];
      const blobs = manifest.parsed.kind === 'image' ? manifest.parsed.blobs : [];
      return { digest: manifest.digest, mediaType: manifest.mediaType, bytes: manifest.bytes, children, blobs };
    })();
    cache.set(key, node);
    node.catch(() => cache.delete(key));
  }
  return node;
}

/** Every manifest of the tree, children before their parents, each once: the order to push them in. */
export function childrenFirst(root: ManifestNode): ManifestNode[] {
  const ordered: ManifestNode[] = [];
  const seen = new Set<string>();
  const visit = (node: ManifestNode) => {
    if (seen.has(node.digest)) return;
    seen.add(node.digest);
    node.children.forEach(visit);
    ordered.push(node);
  };
  visit(root);
  return ordered;
}

/** Every distinct blob of the tree. */
export function blobsOfTree(root: ManifestNode): Descriptor[] {
  const byDigest = new Map<string, Descriptor>();
  for (const node of childrenFirst(root)) for (const blob of node.blobs) byDigest.set(blob.digest, blob);
  return [...byDigest.values()];
}

/** The bytes of some blobs together. */
export function totalSize(blobs: readonly Descriptor[]): number {
  return blobs.reduce((total, blob) => total + blob.size, 0);
}
