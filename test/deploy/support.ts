import type { DeployPlan } from '../../lib/deploy/plan';

/** A value one step of a plan produces: producer step, key, the stack and output it is read from, its consumers. */
export type HandOff = [step: string, key: string, stack: string, output: string, consumers: readonly string[]];

/** Every value the plan hands from one step to later ones, in plan order. */
export function handOffs(plan: DeployPlan): HandOff[] {
  return plan.steps.flatMap((step) =>
    step.produces.map((p): HandOff => [step.id, p.key, p.stack, p.output, p.consumers]),
  );
}
