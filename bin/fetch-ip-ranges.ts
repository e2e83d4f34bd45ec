/**
 * Downloads the donors' official IP-range files (URLs in lib/clouds/donors.ts) into a directory, for the
 * redirector's image build. Each file is parsed with its donor's parser before it is written, so a broken
 * download fails the build instead of the start-up.
 *
 *   npm run fetch-ip-ranges -- --out ranges [--clouds aws,gcp,azure]
 * Prints the IP_RANGES value for the files written; --help for the flags.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DONORS, donorById, type Donor } from '../lib/clouds/donors';
import type { IpRange } from '../lib/clouds/ranges';
import { choiceFlag, commandLineOrExit, type ParsedFlags } from '../lib/config/command-line';

const TIMEOUT_MS = 60_000;

async function get(url: string): Promise<string> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS), redirect: 'follow' });
  } catch (err) {
    const cause = (err as Error & { cause?: Error }).cause;
    throw new Error(`GET ${url}: ${(err as Error).message}${cause ? ` (${cause.message})` : ''}`);
  }
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`);
  return response.text();
}

/** How a text is downloaded (tests stand in for the network). */
export type FetchText = (url: string) => Promise<string>;

/** The file's URL: fixed, or found on the donor's download page. */
export async function rangesUrl(donor: Donor, fetchText: FetchText = get): Promise<string> {
  const { url, linkPattern } = donor.download;
  if (!linkPattern) return url;
  const link = linkPattern.exec(await fetchText(url))?.[0];
  if (!link) throw new Error(`${donor.id}: no link matching ${linkPattern} on ${url}`);
  return link;
}

/** One donor's official file: where it was found, its text and its ranges. */
export interface OfficialRanges {
  readonly url: string;
  readonly text: string;
  readonly ranges: IpRange[];
}

/** Downloads one donor's official file and parses it with the donor's parser; refuses a file without ranges. */
export async function fetchOfficialRanges(donor: Donor, fetchText: FetchText = get): Promise<OfficialRanges> {
  const url = await rangesUrl(donor, fetchText);
  const text = await fetchText(url);
  const ranges = donor.parseRanges(JSON.parse(text), url);
  if (ranges.length === 0) throw new Error(`${donor.id}: ${url} holds no ranges`);
  return { url, text, ranges };
}

/** Downloads and validates one donor's file; returns its text. */
export async function downloadRanges(donor: Donor, fetchText: FetchText = get): Promise<string> {
  return (await fetchOfficialRanges(donor, fetchText)).text;
}

const DONOR_IDS = DONORS.map((d) => d.id);

const USAGE = `Usage: npm run fetch-ip-ranges -- [--out DIR] [--clouds ${DONOR_IDS.join(',')}]
Downloads and validates the donors' official IP-range files; prints the IP_RANGES value for them.
  --out DIR         where to write them (default: ranges)
  --clouds LIST     which donors, comma-separated (default: all)
  -h, --help        this text`;

const FLAGS = { out: { type: 'string' }, clouds: { type: 'string' } } as const;

function options({ values }: ParsedFlags<typeof FLAGS>): { out: string; clouds: Donor[] } {
  const ids = values.clouds?.split(',') ?? DONOR_IDS;
  return {
    out: resolve(values.out ?? 'ranges'),
    clouds: ids.map((id) => donorById(choiceFlag('--clouds', id, DONOR_IDS))),
  };
}

async function main({ out, clouds }: { out: string; clouds: Donor[] }): Promise<void> {
  mkdirSync(out, { recursive: true });
  const written: string[] = [];
  for (const donor of clouds) {
    const file = join(out, donor.fileName);
    writeFileSync(file, await downloadRanges(donor));
    process.stderr.write(`${donor.id}: ${file}\n`);
    written.push(`${donor.id}=${file}`);
  }
  process.stdout.write(`IP_RANGES=${written.join(',')}\n`);
}

if (require.main === module) {
  main(commandLineOrExit({ name: 'fetch-ip-ranges', usage: USAGE, flags: FLAGS }, options)).catch((err: unknown) => {
    process.stderr.write(`fetch-ip-ranges failed: ${(err as Error).message}\n`);
    process.exit(1);
  });
}
