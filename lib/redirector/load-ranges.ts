/**
 * Reading the range files named by IP_RANGES (or --ranges) into a RangeIndex. Each file is parsed by its donor's
 * parser (lib/clouds/donors.ts); any problem stops start-up with an error naming the file and the entry.
 */
import { readFileSync } from 'node:fs';
import { donorById } from '../clouds/donors';
import { RangeFileError } from '../clouds/ranges';
import type { RangeSource } from './config';
import { RangeIndex, type CloudRanges } from './range-index';

export function readCloudRanges(source: RangeSource): CloudRanges {
  const donor = donorById(source.cloud);
  let text: string;
  try {
    text = readFileSync(source.file, 'utf8');
  } catch (err) {
    throw new RangeFileError(source.file, undefined, `cannot read: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new RangeFileError(source.file, undefined, `not valid JSON: ${(err as Error).message}`);
  }
  return { cloud: donor.id, ranges: donor.parseRanges(json, source.file) };
}

export function loadRangeIndex(sources: readonly RangeSource[]): RangeIndex {
  return new RangeIndex(sources.map(readCloudRanges));
}
