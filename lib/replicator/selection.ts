/**
 * Which images a run copies: a promoter-style list, the tags of some repositories, or a walk of everything under the
 * source path (`_catalog` + `tags/list`). Each becomes a list of ImageRef (repository relative to the source path,
 * manifest digest, tags), one per distinct manifest.
 */
import { isCosignTag, type RegistryClient, type RegistryLocation, fullRepositoryName, cosignTags } from '../oci';
import { mapConcurrent } from './concurrent';
import { type ImageRef, readImagesFile } from './images-file';
import type { Selection } from './options';

export async function selectImages(
  source: RegistryClient,
  location: RegistryLocation,
  selection: Selection,
  concurrency: number,
): Promise<ImageRef[]> {
  switch (selection.kind) {
    case 'images':
      return withSignatures(source, location, readImagesFile(selection.file), concurrency);
    case 'repos':
      return nonEmpty(
        await imagesOfRepositories(source, location, selection.repositories, concurrency),
        `none of the repositories ${selection.repositories.join(', ')} under ${location.path}/ has a tag`,
      );
    case 'walk':
      return walk(source, location, concurrency);
  }
}

/**
 * Every tagged image under the source path. Finding none is an error, not a run that copied nothing: a registry
 * that refuses to list may answer an empty `_catalog` (a refusal by status is an HttpError), and the path may be wrong.
 */
async function walk(source: RegistryClient, location: RegistryLocation, concurrency: number): Promise<ImageRef[]> {
  const repositories = await repositoriesUnder(source, location);
  if (repositories.length === 0) {
    throw new Error(
      `_catalog lists no repository under ${location.path}/ (a wrong path, or a registry that does not list for these credentials)`,
    );
  }
  return nonEmpty(
    await imagesOfRepositories(source, location, repositories, concurrency),
    `none of the ${repositories.length} repositories under ${location.path}/ has a tag`,
  );
}

/** A selection that finds no image is a mistake (a wrong name or path), not a run with nothing to do. */
function nonEmpty(images: ImageRef[], problem: string): ImageRef[] {
  if (images.length === 0) throw new Error(problem);
  return images;
}

/** Repositories under the source path, relative to it (from `_catalog`). */
async function repositoriesUnder(source: RegistryClient, location: RegistryLocation): Promise<string[]> {
  const prefix = `${location.path}/`;
  const found: string[] = [];
  for await (const name of source.catalog()) if (name.startsWith(prefix)) found.push(name.slice(prefix.length));
  return found.sort();
}

/** Every tag of each repository, resolved to its manifest digest and grouped by digest. */
async function imagesOfRepositories(
  source: RegistryClient,
  location: RegistryLocation,
  repositories: readonly string[],
  concurrency: number,
): Promise<ImageRef[]> {
  const perRepository = await mapConcurrent(repositories, concurrency, async (repository) => {
    const fullName = fullRepositoryName(location, repository);
    const tags = (await source.listTags(fullName)).sort();
    const heads = await mapConcurrent(tags, concurrency, async (tag) => ({
      tag,
      head: await source.headManifest(fullName, tag),
    }));
    return groupByDigest(
      repository,
      heads
        .filter((entry) => entry.head !== undefined)
        .map((entry) => ({ tag: entry.tag, digest: entry.head!.digest })),
    );
  });
  return perRepository.flat();
}

/** One ImageRef per digest, tags gathered, in first-seen order. */
function groupByDigest(repository: string, tagged: ReadonlyArray<{ tag: string; digest: string }>): ImageRef[] {
  const tagsByDigest = new Map<string, string[]>();
  for (const { tag, digest } of tagged) {
    const tags = tagsByDigest.get(digest) ?? [];
    tags.push(tag);
    tagsByDigest.set(digest, tags);
  }
  return [...tagsByDigest].map(([digest, tags]) => ({ repository, digest, tags }));
}

/**
 * Adds the cosign signature/attestation/SBOM tags (`sha256-<hex>.sig` ...) of listed images that exist in the source,
 * as the promoter copies them along: one `tags/list` per repository, not one request per possible tag.
 */
async function withSignatures(
  source: RegistryClient,
  location: RegistryLocation,
  images: readonly ImageRef[],
  concurrency: number,
): Promise<ImageRef[]> {
  const repositories = [...new Set(images.map((image) => image.repository))];
  const cosignTagsByRepository = new Map(
    await mapConcurrent(repositories, concurrency, async (repository) => {
      const tags = await source.listTags(fullRepositoryName(location, repository));
      return [repository, new Set(tags.filter(isCosignTag))] as const;
    }),
  );
  const signatures = images.flatMap((image) =>
    cosignTags(image.digest)
      .filter((tag) => cosignTagsByRepository.get(image.repository)?.has(tag))
      .map((tag) => ({ repository: image.repository, tag })),
  );
  const resolved = await mapConcurrent(signatures, concurrency, async ({ repository, tag }) => {
    const head = await source.headManifest(fullRepositoryName(location, repository), tag);
    return head ? [{ repository, digest: head.digest, tags: [tag] }] : [];
  });
  return [...images, ...resolved.flat()];
}
