/**
 * The infrastructure half of a donor (lib/clouds/<id>/infra/donor.ts exports one as `donorInfra`): its app, which
 * `npm run synth` runs as one target, and its deploy-time parts. The runtime half (lib/clouds/<id>/donor.ts) names
 * the module by path; only the tooling loads it, here, and a module that does not answer for its donor is refused.
 */
import { resolve } from 'node:path';
import type { Donor } from '../clouds/donor';
import type { Consumed, Produced, Step } from '../deploy/plan';
import type { Finding } from '../deploy/preflight/findings';
import type { Topology } from '../topology';
import type { StackSummary } from './summary';

/** One infrastructure app: a CDK or CDK for Terraform program run as its own process. */
export interface InfraApp {
  /** The app's entry point, relative to the repository root; run with `--topology FILE` (none: the embedded default). */
  readonly script: string;
  /** Where `npm run synth` keeps its output, relative to the working directory, e.g. `cdk.out`. */
  readonly outdir: string;
  /** The environment variable through which the app takes its output directory. */
  readonly outdirEnv: string;
  /** Reads the app's output into stack summaries. */
  readonly readOutput: (outdir: string) => StackSummary[];
  /** What the app writes, so `npm run diff` compares it with the right engine. */
  readonly outputKind: OutputKind;
}

/** A CDK cloud assembly (CloudFormation templates) or a CDK for Terraform output (Terraform JSON). */
export type OutputKind = 'cloudformation-assembly' | 'terraform-json';

/**
 * Where a donor's step goes in the one ordered deploy (lib/deploy/plan.ts): by phase, then by donor order. A phase
 * comes after every phase whose outputs it may consume.
 */
export const DEPLOY_PHASES = [
  /** State buckets, `cdk bootstrap`. */
  'bootstrap',
  /** The identities deploy.yml and images.yml use. */
  'delivery',
  /** Blob and image storage that replication writes to. */
  'storage',
  /** The replication jobs and their identities. */
  'replication',
  /** What trusts the replication identities (writer roles, federated credentials). */
  'writers',
  /** CDNs in front of the storage. */
  'edge',
  /** The redirector and the load balancer. */
  'serving',
  'observability',
  /** On demand only: backfilling a newly added region. */
  'backfill',
] as const;

export type DeployPhase = (typeof DEPLOY_PHASES)[number];

/**
 * A deploy step as a donor contributes it. The plan wires the values: producers learn their consumers, consumers
 * their producer (a donor names what it needs, not which donor makes it) and the variable that carries it.
 */
export type DonorStep = Omit<Step, 'produces' | 'consumes' | 'onDemand'> & {
  readonly produces?: readonly Omit<Produced, 'consumers'>[];
  readonly consumes?: readonly Omit<Consumed, 'from' | 'env'>[];
  readonly onDemand?: boolean;
};

export interface DonorInfra {
  /** The donor it belongs to (checked against the runtime half when loaded). */
  readonly id: string;
  /** The app `npm run synth` runs for this donor. */
  readonly app: InfraApp;
  /** Checks of the donor's account before a first deploy, each with the fix (`npm run deploy -- --preflight`). */
  preflight?(topology: Topology): Promise<Finding[]>;
  /** Its steps of the ordered deploy, each in its phase. */
  deploySteps?(topology: Topology): readonly { readonly phase: DeployPhase; readonly step: DonorStep }[];
}

/** Why a donor's infrastructure module cannot be used. */
export class DonorInfraError extends Error {}

/** Loads the infrastructure half a donor names; throws DonorInfraError naming the module and what is wrong. */
export function loadDonorInfra(donor: Donor, root: string = resolve(__dirname, '../..')): DonorInfra {
  if (donor.infra === undefined) throw new DonorInfraError(`donor ${donor.id} names no infrastructure module`);
  let loaded: { donorInfra?: DonorInfra };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a path the donor names, known at run time only
    loaded = require(resolve(root, donor.infra)) as { donorInfra?: DonorInfra };
  } catch (err) {
    throw new DonorInfraError(`donor ${donor.id}: cannot load ${donor.infra}: ${(err as Error).message}`);
  }
  const infra = loaded.donorInfra;
  if (infra?.id !== donor.id) {
    throw new DonorInfraError(
      `donor ${donor.id}: ${donor.infra} must export donorInfra with id ${JSON.stringify(donor.id)}` +
        (infra ? ` (its id is ${JSON.stringify(infra.id)})` : ' (it exports none)'),
    );
  }
  return infra;
}

/** The infrastructure halves of the donors that have one, in registry order. */
export function donorInfras(donors: readonly Donor[], root?: string): { donor: Donor; infra: DonorInfra }[] {
  return donors
    .filter((donor) => donor.infra !== undefined)
    .map((donor) => ({ donor, infra: loadDonorInfra(donor, root) }));
}
