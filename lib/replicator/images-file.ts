/**
 * The promoter-style image list (`--images FILE`): YAML or JSON, a list of `{name, dmap: {"sha256:...": [tags]}}`,
 * names relative to the source path. Validated with zod; every problem is reported with its place in the file.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import * as z from 'zod';
import { isDigest, isRepositoryName, isTag } from '../oci';
import { UsageError } from './errors';
import { formatPath } from '../config/paths';

const ImageEntrySchema = z
  .object({
    name: z.string().refine(isRepositoryName, { message: 'not a valid repository name' }),
    dmap: z.record(
      z.string().refine(isDigest, { message: 'not a valid digest' }),
      z.array(z.string().refine(isTag, { message: 'not a valid tag' })).nullable(),
    ),
  })
  .strict();

const ImagesFileSchema = z.array(ImageEntrySchema);

/** One image to copy: a manifest (often an index) by digest in a repository relative to the source path. */
export interface ImageRef {
  readonly repository: string;
  readonly digest: string;
  readonly tags: readonly string[];
}

/** Parses the text of an images file; `origin` names it in errors. */
export function parseImagesFile(text: string, origin: string): ImageRef[] {
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw new UsageError(`${origin}: not YAML or JSON: ${(error as Error).message}`);
  }
  const result = ImagesFileSchema.safeParse(document);
  if (!result.success) {
    // zod reports a bad record key generically; in a dmap, keys are digests.
    const problems = result.error.issues.map(
      (issue) =>
        `  ${formatPath(issue.path, 'images')}: ${issue.code === 'invalid_key' ? 'not a valid digest' : issue.message}`,
    );
    throw new UsageError(`${origin}: invalid images file:\n${problems.join('\n')}`);
  }
  return result.data.flatMap((entry) =>
    Object.entries(entry.dmap).map(([digest, tags]) => ({
      repository: entry.name,
      digest,
      tags: [...new Set(tags ?? [])],
    })),
  );
}

export function readImagesFile(path: string): ImageRef[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`--images ${path}: ${(error as Error).message}`);
  }
  return parseImagesFile(text, path);
}
