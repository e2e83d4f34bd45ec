/**
 * Which donors' apps one side of a diff runs: those its topology enables. Each side's topology is judged by each
 * donor's own section schema (the working tree's), on the raw input, so a base whose topology the working tree's
 * full schema would refuse still says which apps it had. An app whose script the side does not have (a donor
 * onboarded since the base) does not run there: its stacks are all added.
 */
import type { Donor } from '../clouds/donor';
import { donorById, DONORS } from '../clouds/donors';
import type { SynthTarget } from '../synth/targets';

/** Whether a raw topology turns a donor on: its section parses under the donor's schema and is enabled. */
export function enabledInInput(raw: unknown, donor: Donor): boolean {
  if (!donor.topology) return false;
  const section = (raw as Record<string, unknown> | undefined)?.[donor.id];
  const parsed = donor.topology.schema.safeParse(section);
  // A section the schema refuses is run anyway: its app says what is wrong with it, rather than the diff hiding it.
  return parsed.success ? parsed.data?.enabled === true : section !== undefined;
}

/** The targets one side runs, in the given order. */
export function sideTargets(
  raw: unknown,
  targets: readonly SynthTarget[],
  hasScript: (script: string) => boolean,
  donors: readonly Donor[] = DONORS,
): SynthTarget[] {
  return targets.filter((target) => hasScript(target.script) && enabledInInput(raw, donorById(target.donor, donors)));
}
