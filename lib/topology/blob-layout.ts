/**
 * Where things live inside a blob mirror, whatever the cloud: the layout is GCR's (and production's), so existing
 * mirrors and tooling keep working. The routing table's mirror URLs are bases under which this layout holds; the
 * redirector, the replicator and every donor's storage policies take it from here.
 */

/** Prefix of blob objects: `containers/images/sha256:<hex>`. */
export const BLOB_PREFIX = 'containers/images/';
/** Prefix of the per-image markers the replicator writes once every blob of a manifest is in place. */
export const MARKER_PREFIX = 'geranos/uploaded-images/';

/** The object key of a blob, e.g. `containers/images/sha256:ab12...`. */
export function blobKey(digest: string): string {
  return `${BLOB_PREFIX}${digest}`;
}

/** The object key of the marker written after every blob of the manifest `digest` was uploaded. */
export function markerKey(manifestDigest: string): string {
  return `${MARKER_PREFIX}${manifestDigest}`;
}
