/**
 * The donor registry: every cloud the registry knows, one line each. A donor is its folder under lib/clouds/<id>/,
 * whose donor.ts exports a Donor (lib/clouds/donor.ts: its ranges, its topology section, its mirrors, its replication
 * targets, and the path of its infrastructure part), plus its line here. The cloud id is what IP_RANGES
 * (`aws=FILE,gcp=FILE`), the topology (`aws:`) and the routing table (`mirrors.<cloud>`, `upstreamClouds`) use.
 *
 * Every consumer takes the donor list as a parameter that defaults to DONORS, so a test can add a donor of its own.
 */
import { awsDonor } from './aws/donor';
import { azureDonor } from './azure/donor';
import type { Donor } from './donor';
import { gcpDonor } from './gcp/donor';

export type { Donor, RangesDownload } from './donor';

export const DONORS = [awsDonor, gcpDonor, azureDonor] as const satisfies readonly Donor[];

/** The donor with this cloud id; throws naming the known ids. */
export function donorById(id: string, donors: readonly Donor[] = DONORS): Donor {
  const donor = donors.find((d) => d.id === id);
  if (!donor) throw new Error(`unknown cloud ${JSON.stringify(id)} (known: ${donors.map((d) => d.id).join(', ')})`);
  return donor;
}
