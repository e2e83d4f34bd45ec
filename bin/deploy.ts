/**
 * `npm run deploy`: the ordered deploy of every enabled donor (lib/deploy/plan.ts) over the standard CLIs, handing
 * each produced value to the stacks that consume it; `--plan` prints the steps, `--preflight` runs each enabled
 * donor's checks of its account first.
 *
 * Exit codes: 0 done, 1 a step failed, preflight found a problem or the topology is invalid, 2 a bad command line.
 */
import { resolve } from 'node:path';
import { choiceFlag, commandLineOrExit, FlagError, type ParsedFlags } from '../lib/config/command-line';
import { deployPlan, enabledDonorInfras, type DeployPlan } from '../lib/deploy/plan';
import { preflightFindings } from '../lib/deploy/preflight/donors';
import { renderFindings } from '../lib/deploy/preflight/findings';
import { PLAN_FORMATS, renderPlan, type PlanFormat } from '../lib/deploy/render';
import { runDeploy } from '../lib/deploy/run';
import { selectSteps } from '../lib/deploy/select';
import { spawnExec } from '../lib/deploy/tools';
import { loadTopology, TOPOLOGY_FLAG, TOPOLOGY_FLAG_USAGE, TopologyError, type Topology } from '../lib/topology';

const REPO_ROOT = resolve(__dirname, '..');

const USAGE = `Usage: npm run deploy -- [--topology FILE] [--only STEP ... | --from STEP] [--auto-approve] [--outputs-dir DIR]
       npm run deploy -- --plan [--format text|json] [--topology FILE]
       npm run deploy -- --preflight [--topology FILE]
Deploys every donor cloud the topology enables, in order, with cdk and cdktf (from node_modules/.bin or PATH),
handing each stack output a later stack consumes to it (docs/deploy.md). A failed step stops the run and names the command that resumes it.
  --plan            print the ordered steps (a pure function of the topology) and deploy nothing
  --format FORMAT   with --plan: text (default) or json
  --preflight       run each enabled donor's checks, e.g. the AWS account (credentials, enabled regions, S3 Block
                    Public Access) and the Google projects (existence, billing, the deployer's permissions), saying
                    what to change; deploy nothing
  --only STEP       run only this step (repeatable; the only way to run a step on demand, e.g. mirror-backfill)
  --from STEP       run this step and every later one
  --auto-approve    no prompts: cdk --require-approval never, cdktf --auto-approve
  --outputs-dir DIR where each step's stack outputs and the produced values are kept
                    (default: .deploy/<topology name> in the repository; ignored by git)
${TOPOLOGY_FLAG_USAGE}
  -h, --help        this text`;

const FLAGS = {
  ...TOPOLOGY_FLAG,
  plan: { type: 'boolean' },
  format: { type: 'string' },
  preflight: { type: 'boolean' },
  only: { type: 'string', multiple: true },
  from: { type: 'string' },
  'auto-approve': { type: 'boolean' },
  'outputs-dir': { type: 'string' },
} as const;

type Mode =
  | { readonly kind: 'plan'; readonly format: PlanFormat }
  | { readonly kind: 'preflight' }
  | {
      readonly kind: 'deploy';
      readonly only?: readonly string[];
      readonly from?: string;
      readonly autoApprove: boolean;
      readonly outputsDir?: string;
    };

interface Options {
  readonly topology?: string;
  readonly mode: Mode;
}

/** The flags of one mode only: --plan and --preflight deploy nothing, so the run's flags make no sense with them. */
function options({ values }: ParsedFlags<typeof FLAGS>): Options {
  const runFlags = (['only', 'from', 'auto-approve', 'outputs-dir'] as const).filter((f) => values[f] !== undefined);
  const modes = (['plan', 'preflight'] as const).filter((f) => values[f]);
  if (modes.length > 1) throw new FlagError('--plan and --preflight cannot be combined');
  if (modes.length === 1 && runFlags.length > 0)
    throw new FlagError(`--${runFlags[0]} runs steps: it does not go with --${modes[0]}`);
  if (values.format !== undefined && !values.plan) throw new FlagError('--format goes with --plan');
  const topology = values.topology;
  if (values.plan)
    return { topology, mode: { kind: 'plan', format: choiceFlag('--format', values.format ?? 'text', PLAN_FORMATS) } };
  if (values.preflight) return { topology, mode: { kind: 'preflight' } };
  return {
    topology,
    mode: {
      kind: 'deploy',
      only: values.only,
      from: values.from,
      autoApprove: values['auto-approve'] ?? false,
      outputsDir: values['outputs-dir'],
    },
  };
}

function topologyOrExit(flag: string | undefined): Topology {
  try {
    return loadTopology({ flag, env: process.env }).topology;
  } catch (err) {
    if (err instanceof TopologyError) {
      process.stderr.write(`${err.message}\nnothing was deployed.\n`);
      process.exit(1);
    }
    throw err;
  }
}

/** How to run the remaining steps again: `--from` for a run in order, the same `--only` list for a chosen one. */
function resumeCommand(topologyFlag: string | undefined, mode: Mode & { kind: 'deploy' }) {
  return (remaining: readonly string[]) =>
    [
      'npm run deploy --',
      ...(mode.only ? remaining.map((id) => `--only ${id}`) : [`--from ${remaining[0]}`]),
      ...(topologyFlag ? [`--topology ${topologyFlag}`] : []),
      ...(mode.autoApprove ? ['--auto-approve'] : []),
      ...(mode.outputsDir ? [`--outputs-dir ${mode.outputsDir}`] : []),
    ].join(' ');
}

async function deploy(plan: DeployPlan, topologyFlag: string | undefined, mode: Mode & { kind: 'deploy' }) {
  let steps;
  try {
    steps = selectSteps(plan, mode);
  } catch (err) {
    if (err instanceof FlagError) {
      process.stderr.write(`deploy: ${err.message}\ndeploy: --help shows the usage\n`);
      return 2;
    }
    throw err;
  }
  const result = await runDeploy({
    plan,
    steps,
    outputsDir: resolve(mode.outputsDir ?? resolve(REPO_ROOT, '.deploy', plan.topology)),
    exec: spawnExec(REPO_ROOT, process.env),
    autoApprove: mode.autoApprove,
    // The CLIs run the apps, which read the topology from the same place as this command.
    env: topologyFlag ? { TOPOLOGY: resolve(topologyFlag) } : {},
    resumeCommand: resumeCommand(topologyFlag, mode),
    say: (line) => process.stdout.write(`${line}\n`),
    complain: (line) => process.stderr.write(`${line}\n`),
  });
  return result.ok ? 0 : 1;
}

async function preflight(topology: Topology): Promise<number> {
  const findings = await preflightFindings(topology, enabledDonorInfras(topology));
  process.stdout.write(renderFindings(findings));
  return findings.every((f) => f.ok) ? 0 : 1;
}

async function main(): Promise<number> {
  const { topology: flag, mode } = commandLineOrExit({ name: 'deploy', usage: USAGE, flags: FLAGS }, options);
  const topology = topologyOrExit(flag);
  switch (mode.kind) {
    case 'plan':
      process.stdout.write(renderPlan(deployPlan(topology), mode.format));
      return 0;
    case 'preflight':
      return preflight(topology);
    case 'deploy':
      return deploy(deployPlan(topology), flag, mode);
  }
}

// exitCode, not exit(): a long plan written to a pipe must be flushed whole before the process ends.
main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`deploy: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
