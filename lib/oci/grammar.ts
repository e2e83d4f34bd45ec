/**
 * The OCI distribution grammar for repository names, tags and digests (distribution-spec, "Pulling manifests"),
 * shared by the redirector (to refuse bad requests) and the replicator (to refuse bad data).
 */

/** `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*` */
const REPOSITORY_NAME = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
const DIGEST = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

/** Longest repository name registries are required to accept (the spec's practical limit). */
const MAX_REPOSITORY_NAME_LENGTH = 255;

export function isRepositoryName(name: string): boolean {
  return name.length <= MAX_REPOSITORY_NAME_LENGTH && REPOSITORY_NAME.test(name);
}

export function isTag(tag: string): boolean {
  return TAG.test(tag);
}

/** A digest we can serve and verify: sha256 (64 lowercase hex) or sha512 (128 lowercase hex). */
export function isDigest(digest: string): boolean {
  return DIGEST.test(digest);
}

/**
 * The suffixes of the tags cosign attaches to a manifest, named after its digest (`sha256-<hex>.sig`): the
 * signature, the attestation and the attached SBOM. All three live together: a registry holding signatures apart
 * from the images (the redirector's signature upstream) holds all three, and the replicator copies all three.
 */
const COSIGN_TAG_SUFFIXES = ['sig', 'att', 'sbom'] as const;
const COSIGN_TAG = new RegExp(`^sha256-[a-f0-9]{64}\\.(?:${COSIGN_TAG_SUFFIXES.join('|')})$`);

/** Is this tag one of cosign's signature, attestation or SBOM tags? */
export function isCosignTag(tag: string): boolean {
  return COSIGN_TAG.test(tag);
}

/** The cosign tags a manifest `digest` may have: `sha256-<hex>.sig`, `.att`, `.sbom`. */
export function cosignTags(digest: string): string[] {
  const tagBase = digest.replace(':', '-');
  return COSIGN_TAG_SUFFIXES.map((suffix) => `${tagBase}.${suffix}`);
}

export type DigestAlgorithm = 'sha256' | 'sha512';

/** Splits a valid digest; throws on an invalid one (call isDigest first on untrusted input). */
export function parseDigest(digest: string): { algorithm: DigestAlgorithm; hex: string } {
  if (!isDigest(digest)) throw new Error(`invalid digest ${JSON.stringify(digest)}`);
  const [algorithm, hex] = digest.split(':') as [DigestAlgorithm, string];
  return { algorithm, hex };
}
