/**
 * The donor registry: every cloud whose published IP ranges the redirector can load, with the parser for its
 * file format and where the official file is downloaded. Onboarding a donor = its folder under lib/clouds/ with an
 * ip-ranges.ts, plus one line here. The cloud id is what IP_RANGES (`aws=FILE,gcp=FILE`) and the routing
 * table (`mirrors.<cloud>`, `upstreamClouds`) use.
 */
import { AWS_IP_RANGES_URL, parseAwsRanges } from './aws/ip-ranges';
import { AZURE_IP_RANGES_LINK, AZURE_IP_RANGES_PAGE, parseAzureRanges } from './azure/ip-ranges';
import { GCP_IP_RANGES_URL, parseGcpRanges } from './gcp/ip-ranges';
import type { RangeParser } from './ranges';

/** Where the official file is: a fixed URL, or a page holding a link that matches `linkPattern`. */
export interface RangesDownload {
  readonly url: string;
  readonly linkPattern?: RegExp;
}

export interface Donor {
  /** Cloud id, e.g. `aws`. */
  readonly id: string;
  readonly parseRanges: RangeParser;
  readonly download: RangesDownload;
  /** File name fetch-ip-ranges writes. */
  readonly fileName: string;
}

export const DONORS: readonly Donor[] = [
  { id: 'aws', parseRanges: parseAwsRanges, download: { url: AWS_IP_RANGES_URL }, fileName: 'aws.json' },
  { id: 'gcp', parseRanges: parseGcpRanges, download: { url: GCP_IP_RANGES_URL }, fileName: 'gcp.json' },
  {
    id: 'azure',
    parseRanges: parseAzureRanges,
    download: { url: AZURE_IP_RANGES_PAGE, linkPattern: AZURE_IP_RANGES_LINK },
    fileName: 'azure.json',
  },
];

/** The donor with this cloud id; throws naming the known ids. */
export function donorById(id: string): Donor {
  const donor = DONORS.find((d) => d.id === id);
  if (!donor) throw new Error(`unknown cloud ${JSON.stringify(id)} (known: ${DONORS.map((d) => d.id).join(', ')})`);
  return donor;
}
