/**
 * Writes the small range files npm run local gives its redirector (and takes its simulated clients' addresses from):
 * for every region of AWS, Google Cloud and Azure, one IPv4 prefix of the published file, verbatim, chosen so that
 * the client address taken in it (clientAddressIn) belongs to that region in the whole published files too.
 *
 *   npx tsx lib/local/ranges/generate.ts [DIR]    # DIR holds the published files named in LOCAL_RANGE_FILES
 *                                                 # (default ../shared/data/ip-ranges; npm run fetch-ip-ranges)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCidr } from '../../clouds/ranges';
import { readCloudRanges } from '../../redirector/load-ranges';
import { RangeIndex } from '../../redirector/range-index';
import { clientAddressIn, LOCAL_RANGE_FILES, locationOf } from '../clients';

/** A prefix an entry publishes, and the region it names. */
interface Candidate {
  readonly prefix: string;
  readonly region: string;
}

interface Published {
  readonly cloud: string;
  /** The published file's name in DIR, and ours in this folder. */
  readonly file: string;
  /** The array of prefix entries. */
  readonly entriesField: string;
  /** The prefixes of an entry, each with its region (regions that are no place left out). */
  readonly candidates: (entry: Record<string, unknown>) => Candidate[];
  /** The entry as our file holds it when `prefix` is the one chosen. */
  readonly sampled: (entry: Record<string, unknown>, prefix: string) => Record<string, unknown>;
}

/** One prefix per entry, in a field of its own (AWS, Google): the entry is kept as it is. */
function prefixPerEntry(
  prefixField: string,
  regionField: string,
  notARegion: string,
): Omit<Published, 'cloud' | 'file'> {
  return {
    entriesField: 'prefixes',
    candidates: (entry) => {
      const [prefix, region] = [entry[prefixField], entry[regionField]];
      return typeof prefix === 'string' && typeof region === 'string' && region !== notARegion
        ? [{ prefix, region }]
        : [];
    },
    sampled: (entry) => entry,
  };
}

/** Azure's `AzureCloud.<region>` tags, each listing every prefix of its region: the tag is kept with the one chosen. */
const AZURE_REGION_TAG = /^AzureCloud\.([a-z0-9]+)$/;
const azureTags: Omit<Published, 'cloud' | 'file'> = {
  entriesField: 'values',
  candidates: (entry) => {
    const region = typeof entry.name === 'string' ? AZURE_REGION_TAG.exec(entry.name)?.[1] : undefined;
    const prefixes = (entry.properties as { addressPrefixes?: unknown } | undefined)?.addressPrefixes;
    if (region === undefined || !Array.isArray(prefixes)) return [];
    return prefixes
      .filter((prefix): prefix is string => typeof prefix === 'string')
      .map((prefix) => ({ prefix, region }));
  },
  sampled: (entry, prefix) => ({
    ...entry,
    properties: { ...(entry.properties as Record<string, unknown>), addressPrefixes: [prefix] },
  }),
};

export const PUBLISHED: readonly Published[] = [
  { cloud: 'aws', file: LOCAL_RANGE_FILES.aws, ...prefixPerEntry('ip_prefix', 'region', 'GLOBAL') },
  { cloud: 'gcp', file: LOCAL_RANGE_FILES.gcp, ...prefixPerEntry('ipv4Prefix', 'scope', 'global') },
  { cloud: 'azure', file: LOCAL_RANGE_FILES.azure, ...azureTags },
];

/** One entry per region: the first whose client address the whole file places in that region. */
export function sampleEntries(
  published: Published,
  json: Record<string, unknown>,
  index: RangeIndex,
): Record<string, unknown>[] {
  const chosen = new Map<string, Record<string, unknown>>();
  for (const entry of json[published.entriesField] as Record<string, unknown>[]) {
    for (const { prefix, region } of published.candidates(entry)) {
      if (chosen.has(region)) continue;
      const parsed = parseCidr(prefix);
      if (parsed.family !== 4) continue;
      const where = locationOf(index, clientAddressIn({ ...parsed, region }));
      if (where?.cloud === published.cloud && where.region === region)
        chosen.set(region, published.sampled(entry, prefix));
    }
  }
  return [...chosen.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, entry]) => entry);
}

async function main(dir: string): Promise<void> {
  // Loaded here, not above: the tests import this module's functions without prettier's ES module loading.
  const { format, resolveConfig } = await import('prettier');
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
