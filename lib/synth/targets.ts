/**
 * The infrastructure apps `npm run synth` runs: one per donor with an infrastructure half (lib/synth/donor-infra.ts),
 * for the donors a topology enables. A new donor's app joins by its donor's registration, nothing here.
 */
import type { Donor } from '../clouds/donor';
import { DONORS } from '../clouds/donors';
import { enabledDonors, type Topology } from '../topology';
import { donorInfras, type InfraApp } from './donor-infra';

export interface SynthTarget extends InfraApp {
  /** The donor's id: what `--only` takes. */
  readonly donor: string;
  /** Shown in the summary. */
  readonly cloud: string;
}

/** Every donor's app, whatever a topology enables, in registry order. */
export function synthTargets(donors: readonly Donor[] = DONORS, root?: string): SynthTarget[] {
  return donorInfras(donors, root).map(({ donor, infra }) => ({
    ...infra.app,
    donor: donor.id,
    cloud: donor.displayName,
  }));
}

/** The apps of the donors the topology enables. */
export function topologySynthTargets(
  topology: Topology,
  donors: readonly Donor[] = DONORS,
  root?: string,
): SynthTarget[] {
  return synthTargets(enabledDonors(topology, donors), root);
}

/** Every registered donor's app (what npm run diff and the synth benchmark run). */
export const SYNTH_TARGETS: readonly SynthTarget[] = synthTargets();
