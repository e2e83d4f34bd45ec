/** Which steps of a plan a run takes: all (but those on demand), `--only` some, or `--from` one on. */
import { FlagError } from '../config/command-line';
import type { DeployPlan, Step } from './plan';

export interface Selection {
  /** `--only STEP`, repeatable: exactly these, in plan order (steps on demand included). */
  readonly only?: readonly string[];
  /** `--from STEP`: this step and every later one that is not on demand. */
  readonly from?: string;
}

function checkedId(plan: DeployPlan, flag: string, id: string): string {
  if (plan.steps.some((step) => step.id === id)) return id;
  throw new FlagError(`${flag} ${JSON.stringify(id)} is not a step (steps: ${plan.steps.map((s) => s.id).join(', ')})`);
}

/** The steps to run, in plan order; throws FlagError naming an unknown step or a contradictory choice. */
export function selectSteps(plan: DeployPlan, selection: Selection): Step[] {
  const { only, from } = selection;
  if (only !== undefined && from !== undefined) throw new FlagError('--only and --from cannot be combined');
  if (only !== undefined) {
    const ids = new Set(only.map((id) => checkedId(plan, '--only', id)));
    return plan.steps.filter((step) => ids.has(step.id));
  }
  const start = from === undefined ? 0 : plan.steps.findIndex((step) => step.id === checkedId(plan, '--from', from));
  return plan.steps.filter((step, i) => i >= start && (!step.onDemand || step.id === from));
}
