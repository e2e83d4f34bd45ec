/**
 * `npm run deploy -- --preflight`: every enabled donor's own checks (its infrastructure half's `preflight`), side by
 * side. A donor without checks says so; one whose checks fail to run is a problem, not a crash that hides the others.
 */
import type { DonorInfra } from '../../synth/donor-infra';
import type { Topology } from '../../topology';
import { callFailed, ok, type Finding } from './findings';

async function donorFindings(topology: Topology, infra: DonorInfra): Promise<Finding[]> {
  if (!infra.preflight) return [ok(infra.id, 'no checks before a first deploy')];
  try {
    return await infra.preflight(topology);
  } catch (err) {
    return [callFailed(`${infra.id} preflight`, err, `fix what stopped the ${infra.id} checks, then run them again`)];
  }
}

/** The findings of every donor, in the donors' order. */
export async function preflightFindings(topology: Topology, infras: readonly DonorInfra[]): Promise<Finding[]> {
  return (await Promise.all(infras.map((infra) => donorFindings(topology, infra)))).flat();
}
