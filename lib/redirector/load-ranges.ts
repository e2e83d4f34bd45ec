/**
 * Reading the range files named by IP_RANGES (or --ranges) into a RangeIndex: either the donors' published files,
 * each parsed by its donor's parser (lib/clouds/donors.ts), or one index file built from them by
 * npm run build:redirector (range-index-file.ts), which needs no parsing. Any problem stops start-up with an error
 * naming the file (and the entry, for a published file).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RangeFileError } from '../clouds/ranges';
import type { Env } from '../config/env';
import { INDEX_SOURCE, type RangeSource } from './config/range-sources';
import { RangeIndex, type CloudRanges } from './range-index';
import { IMAGE_FILES } from './image-files';
import { donorsModule } from './on-demand';
import { decodeRangeIndex } from './range-index-file';

/**
 * The environment with IP_RANGES defaulting to the index file in `dir` when there is one: npm run build:redirector
 * puts it beside the bundle, so the image (and `node DIR/redirector.js`) needs no IP_RANGES.
 */
export function withBundledRangeIndex(env: Env, dir: string): Env {
  if (env.IP_RANGES) return env;
  const file = join(dir, IMAGE_FILES.rangeIndex);
  return existsSync(file) ? { ...env, IP_RANGES: `${INDEX_SOURCE}=${file}` } : env;
}

function readBytes(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new RangeFileError(file, undefined, `cannot read: ${(err as Error).message}`);
  }
}

/** A donor's published file, parsed by its donor's parser. */
export function readCloudRanges(source: RangeSource): CloudRanges {
  const donor = donorsModule().donorById(source.cloud);
  const text = readBytes(source.file).toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new RangeFileError(source.file, undefined, `not valid JSON: ${(err as Error).message}`);
  }
  return { cloud: donor.id, ranges: donor.parseRanges(json, source.file) };
}

/** An index file written by npm run build:redirector. */
export function readRangeIndexFile(file: string): RangeIndex {
  return new RangeIndex(decodeRangeIndex(readBytes(file), file).tables);
}

/** The index over the given files: one index file, or the donors' published files. */
export function loadRangeIndex(sources: readonly RangeSource[]): RangeIndex {
  const index = sources.find((s) => s.cloud === INDEX_SOURCE);
  if (index) return readRangeIndexFile(index.file);
  return new RangeIndex(sources.map(readCloudRanges));
}
