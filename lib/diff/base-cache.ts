/**
 * The base side's synth output is a function of the base tree, the topology it was given, the installed
 * libraries and the apps that ran: those make the cache key, so a second diff against the same base synthesizes
 * only the working tree, and anything that could change the base's output misses the cache.
 */
import { createHash } from 'node:crypto';

export interface BaseCacheInputs {
  /** `git rev-parse <base>^{tree}`: the base's content, whatever commit carries it. */
  readonly tree: string;
  /** How the topology was chosen: `default`, `repo:<path in the base tree>` or `file:<sha256 of the file>`. */
  readonly topology: string;
  /** The installed dependency tree (node_modules/.package-lock.json), which the base synthesizes with. */
  readonly dependencies: string;
  /** The apps run, with their output directories (lib/synth/targets.ts). */
  readonly targets: string;
}

export function baseCacheKey(inputs: BaseCacheInputs): string {
  const hash = createHash('sha256');
  for (const part of [inputs.tree, inputs.topology, inputs.dependencies, inputs.targets]) hash.update(`${part}\0`);
  return hash.digest('hex').slice(0, 32);
}

/** How many base outputs are kept (each is a few MB for the default topology). */
export const BASE_CACHE_ENTRIES = 8;

/** The entries to delete so that the newest `keep` remain. */
export function staleEntries(
  entries: readonly { name: string; mtimeMs: number }[],
  keep = BASE_CACHE_ENTRIES,
): string[] {
  return [...entries]
    .sort((a, b) => b.mtimeMs - a.mtimeMs)
    .slice(keep)
    .map((entry) => entry.name);
}
