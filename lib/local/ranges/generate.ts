/**
 * Writes the small range files npm run local gives its redirector (and takes its simulated clients' addresses from):
 * for every region of AWS and Google Cloud, one IPv4 prefix of the published file, verbatim, chosen so that the
 * client address taken in it (clientAddressIn) belongs to that region in the whole published file too.
 *
 *   npx tsx lib/local/ranges/generate.ts [DIR]    # DIR holds aws-ip-ranges.json and google-cloud-ip-ranges.json
 *                                                 # (default ../shared/data/ip-ranges; npm run fetch-ip-ranges)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { parseCidr } from '../../clouds/ranges';
import { readCloudRanges } from '../../redirector/load-ranges';
import { RangeIndex } from '../../redirector/range-index';
import { clientAddressIn, LOCAL_RANGE_FILES, locationOf } from '../clients';

interface Published {
  readonly cloud: string;
  /** The published file's name in DIR, and ours in this folder. */
  readonly file: string;
  /** The array of prefix entries, the IPv4 prefix and the region of an entry. */
  readonly entriesField: string;
  readonly prefixOf: (entry: Record<string, unknown>) => unknown;
  readonly regionOf: (entry: Record<string, unknown>) => unknown;
  /** Regions that are no place (AWS `GLOBAL`, Google `global`). */
  readonly notARegion: string;
}

export const PUBLISHED: readonly Published[] = [
  {
    cloud: 'aws',
    file: LOCAL_RANGE_FILES.aws,
    entriesField: 'prefixes',
    prefixOf: (entry) => entry.ip_prefix,
    regionOf: (entry) => entry.region,
    notARegion: 'GLOBAL',
  },
  {
    cloud: 'gcp',
    file: LOCAL_RANGE_FILES.gcp,
    entriesField: 'prefixes',
    prefixOf: (entry) => entry.ipv4Prefix,
    regionOf: (entry) => entry.scope,
    notARegion: 'global',
  },
];

/** One entry per region: the first whose client address the whole file places in that region. */
export function sampleEntries(
  published: Published,
  json: Record<string, unknown>,
  index: RangeIndex,
): Record<string, unknown>[] {
  const chosen = new Map<string, Record<string, unknown>>();
  for (const entry of json[published.entriesField] as Record<string, unknown>[]) {
    const region = published.regionOf(entry);
    const prefix = published.prefixOf(entry);
    if (typeof region !== 'string' || typeof prefix !== 'string' || region === published.notARegion) continue;
    if (chosen.has(region)) continue;
    const parsed = parseCidr(prefix);
    if (parsed.family !== 4) continue;
    const where = locationOf(index, clientAddressIn({ ...parsed, region }));
    if (where?.cloud === published.cloud && where.region === region) chosen.set(region, entry);
  }
  return [...chosen.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, entry]) => entry);
}

async function main(dir: string): Promise<void> {
  const index = new RangeIndex(PUBLISHED.map(({ cloud, file }) => readCloudRanges({ cloud, file: join(dir, file) })));
  for (const published of PUBLISHED) {
    const json = JSON.parse(readFileSync(join(dir, published.file), 'utf8')) as Record<string, unknown>;
    const entries = sampleEntries(published, json, index);
    // Every other field of the published file is kept (syncToken, dates: which snapshot this is), other lists empty.
    const sample = Object.fromEntries(
      Object.entries(json).map(([key, value]) => [
        key,
        key === published.entriesField ? entries : Array.isArray(value) ? [] : value,
      ]),
    );
    const out = join(__dirname, published.file);
    const text = JSON.stringify(sample);
    // Formatted as the repository's prettier check wants it (one entry per line where it fits).
    writeFileSync(out, await format(text, { ...(await resolveConfig(out)), filepath: out }));
    process.stderr.write(`${out}: ${entries.length} regions\n`);
  }
}

if (require.main === module) {
  main(process.argv[2] ?? join(__dirname, '../../../../shared/data/ip-ranges')).catch((error: unknown) => {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  });
}
