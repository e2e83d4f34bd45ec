/**
 * The deploy plan: the ordered steps that take a topology from nothing to a running registry, as a pure function of
 * the topology. Each enabled donor's infrastructure half (lib/synth/donor-infra.ts) contributes its steps, each in a
 * phase (DEPLOY_PHASES); the plan puts them in phase order, donors in registry order within a phase, and wires the
 * values one step produces to the steps that consume them. `npm run deploy -- --plan` prints it; `npm run deploy`
 * runs it (run.ts) over the standard CLIs.
 *
 * The order needs no second pass on a first deploy: every producer comes before its consumers (the replicator's
 * service account before the writer role that trusts it, the CDN before the redirectors that route to it), and the
 * plan refuses an order where it would not. A later change to a produced value (a CDN replaced, a service account
 * recreated) means redeploying its consumers, which each step says, and which a full run does by itself.
 */
import type { Donor } from '../clouds/donor';
import { DONORS } from '../clouds/donors';
import {
  DEPLOY_PHASES,
  donorInfras,
  type DeployPhase,
  type DonorInfra,
  type DonorStep,
  type InfraApp,
} from '../synth/donor-infra';
import { DEPLOY_OUTPUTS, enabledDonors, type DeployOutputKey, type Topology } from '../topology';

/** The CLIs the steps run: the CDK's, CDKTF's, Google Cloud's, and this repository's replicator. */
export type Tool = 'cdk' | 'cdktf' | 'gcloud' | 'replicator';

export interface Command {
  readonly tool: Tool;
  readonly args: readonly string[];
  /** When this command succeeds, `args` is not run (what already exists is not created again). */
  readonly unless?: { readonly tool: Tool; readonly args: readonly string[] };
  /** The stacks a cdk/cdktf deploy writes outputs for (the runner adds `--outputs-file`). */
  readonly deploys?: readonly string[];
}

/** A value this step's stack outputs that a later step consumes. */
export interface Produced {
  readonly key: DeployOutputKey;
  readonly stack: string;
  /** The CloudFormation output ID or Terraform output name. */
  readonly output: string;
  /** The steps that consume it. */
  readonly consumers: readonly string[];
}

/** A value this step's stack takes from an earlier step. */
export interface Consumed {
  readonly key: DeployOutputKey;
  readonly from: string;
  /** The environment variable the app reads it from. */
  readonly env: string;
  /** What the stack is until the value exists. */
  readonly without: string;
  /**
   * The step comes before its producer and takes the value an earlier run produced (on a first run: none). For a
   * stack deployed in two steps, so that its first step does not take away what its second one added last time.
   */
  readonly fromEarlierRun?: boolean;
}

export interface Step {
  readonly id: string;
  readonly tool: Tool;
  /** What the step does, in a sentence. */
  readonly summary: string;
  readonly stacks: readonly string[];
  readonly commands: readonly Command[];
  readonly produces: readonly Produced[];
  readonly consumes: readonly Consumed[];
  /** Run only when named with --only (the backfill of a newly added mirror), never by a full run. */
  readonly onDemand: boolean;
}

export interface DeployPlan {
  readonly topology: string;
  /** What must hold before the first step. */
  readonly prerequisites: readonly string[];
  readonly steps: readonly Step[];
}

/** A donor's step and where it goes. */
export interface PhasedStep {
  readonly phase: DeployPhase;
  readonly step: DonorStep;
}

export const inPhase =
  (phase: DeployPhase) =>
  (step: DonorStep): PhasedStep => ({ phase, step });

/** A CDK deploy of exactly these stacks. */
export const cdkDeploy = (stacks: readonly string[]): Command => ({
  tool: 'cdk',
  // --exclusively: each step deploys its own stacks; the stacks they depend on are earlier steps.
  args: ['deploy', ...stacks, '--exclusively'],
  deploys: stacks,
});

/**
 * A CDK for Terraform deploy of one stack: of cdktf.json's app (the GCP one) unless another donor's app is given, whose
 * script and output directory the CLI is then told (it would otherwise run cdktf.json's app and find no such stack).
 */
export const cdktfDeploy = (stack: string, app?: Pick<InfraApp, 'script' | 'outdir'>): Command => ({
  tool: 'cdktf',
  args: ['deploy', stack, ...(app ? ['--app', `npx tsx ${app.script}`, '--output', app.outdir] : [])],
  deploys: [stack],
});

/** A plan the donors' steps cannot make: two steps with one id, a value nobody produces or produced too late. */
export class DeployPlanError extends Error {}

/** The infrastructure halves of the donors the topology enables, in registry order. */
export function enabledDonorInfras(topology: Topology, donors: readonly Donor[] = DONORS): DonorInfra[] {
  return donorInfras(enabledDonors(topology, donors)).map(({ infra }) => infra);
}

/**
 * Every donor's steps in phase order; within a phase, donors in the given order, each donor's steps in its own order
 * (the sort is stable). Throws DeployPlanError for two steps with one id.
 */
function inPhaseOrder(phased: readonly PhasedStep[]): PhasedStep[] {
  const ordered = [...phased].sort((a, b) => DEPLOY_PHASES.indexOf(a.phase) - DEPLOY_PHASES.indexOf(b.phase));
  const ids = ordered.map(({ step }) => step.id);
  const twice = ids.find((id, i) => ids.indexOf(id) !== i);
  if (twice !== undefined) throw new DeployPlanError(`two deploy steps are named ${JSON.stringify(twice)}`);
  return ordered;
}

/** Key -> the step producing it; throws DeployPlanError when two steps produce one value. */
function producers(steps: readonly DonorStep[]): Map<DeployOutputKey, string> {
  const producerOf = new Map<DeployOutputKey, string>();
  for (const step of steps) {
    for (const { key } of step.produces ?? []) {
      const other = producerOf.get(key);
      if (other !== undefined) throw new DeployPlanError(`${key} is produced by both ${other} and ${step.id}`);
      producerOf.set(key, step.id);
    }
  }
  return producerOf;
}

/**
 * Each consumer gets its producer and the variable that carries the value; each producer the steps it feeds (a value
 * nobody consumes is not handed on). Throws DeployPlanError for a value that no step produces, or only a later one.
 */
function wired(steps: readonly DonorStep[]): Step[] {
  const producerOf = producers(steps);
  const position = new Map(steps.map((step, i) => [step.id, i]));
  const consumersOf = (key: DeployOutputKey) =>
    steps.filter((step) => (step.consumes ?? []).some((c) => c.key === key)).map((step) => step.id);
  return steps.map((step, i) => ({
    ...step,
    produces: (step.produces ?? [])
      .map((produced) => ({ ...produced, consumers: consumersOf(produced.key) }))
      .filter((produced) => produced.consumers.length > 0),
    consumes: (step.consumes ?? []).map(({ key, without, fromEarlierRun }): Consumed => {
      const from = producerOf.get(key);
      if (from === undefined)
        throw new DeployPlanError(`${step.id} consumes ${key}, which no step of the enabled donors produces`);
      if (position.get(from)! > i && !fromEarlierRun)
        throw new DeployPlanError(`${step.id} consumes ${key}, which ${from} produces later`);
      return { key, from, env: DEPLOY_OUTPUTS[key].env, without, ...(fromEarlierRun ? { fromEarlierRun } : {}) };
    }),
    onDemand: step.onDemand ?? false,
  }));
}

/** `deliveryEnd`: the last step of the delivery phase, after which the images can be built and pushed. */
function prerequisites(deliveryEnd: string | undefined): string[] {
  return [
    'npm run deploy -- --preflight passes: the AWS regions are enabled, S3 Block Public Access lets the mirrors be ' +
      "public, the Google projects exist with billing, and the deployer's roles suffice (docs/deploy.md)",
    'the images of images.redirector and images.replicator are in the services repository (Cloud Run pulls them ' +
      'when gcp-replication and gcp-redirector deploy): on a first deploy, run the steps up to ' +
      `${deliveryEnd ?? 'the delivery steps'}, then .github/workflows/images.yml, and put the digests it prints into ` +
      'the topology (README, "Continuous delivery")',
  ];
}

/** The deploy plan of a topology, from the steps of the donors it enables (or of `infras`, in that order). */
export function deployPlan(
  topology: Topology,
  infras: readonly DonorInfra[] = enabledDonorInfras(topology),
): DeployPlan {
  const ordered = inPhaseOrder(infras.flatMap((infra) => infra.deploySteps?.(topology) ?? []));
  const deliveryEnd = ordered.filter(({ phase }) => phase === 'delivery').at(-1)?.step.id;
  return {
    topology: topology.name,
    prerequisites: prerequisites(deliveryEnd),
    steps: wired(ordered.map(({ step }) => step)),
  };
}

/** The step ids, in order. */
export function stepIds(plan: DeployPlan): string[] {
  return plan.steps.map((step) => step.id);
}
