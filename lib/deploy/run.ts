/**
 * The runner: the selected steps of a plan, one command after another, through an injected `exec` (the real one
 * spawns the CLIs: tools.ts). After each producing step it reads the stack outputs the CLI wrote and keeps the
 * produced values (outputs.ts); each consuming step gets the values it consumes in its environment. A failed
 * command stops the run and says which step failed and how to resume; everything done before it stays done.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { DEPLOY_OUTPUTS, deployOutputsEnv, type DeployOutputKey, type DeployOutputs } from '../topology';
import { outputsFileOf, readStore, stackOutput, writeStore } from './outputs';
import type { Command, DeployPlan, Step, Tool } from './plan';
import { typedCommand } from './render';

/** One command as the runner starts it. */
export interface CommandRun {
  readonly tool: Tool;
  readonly args: readonly string[];
  /** Added to the runner's environment. */
  readonly env: Readonly<Record<string, string>>;
  /** A probe (`unless`): its output is not shown. */
  readonly quiet: boolean;
}

/** Runs a command to its end; resolves with its exit code (a command that could not start is not 0). */
export type Exec = (command: CommandRun) => Promise<number>;

export interface RunOptions {
  readonly plan: DeployPlan;
  readonly steps: readonly Step[];
  /** Where the outputs files and the produced values are kept. */
  readonly outputsDir: string;
  readonly exec: Exec;
  /** Pass the CLIs' own flags for running without prompts (cdk --require-approval never, cdktf --auto-approve). */
  readonly autoApprove: boolean;
  /** Added to every command's environment (e.g. TOPOLOGY). */
  readonly env: Readonly<Record<string, string>>;
  /**
   * The command that runs the failed step and the selected steps after it, e.g.
   * `npm run deploy -- --from gcp-frontend --topology t.yaml`.
   */
  readonly resumeCommand: (remaining: readonly string[]) => string;
  /** Progress (stdout). */
  readonly say: (line: string) => void;
  /** Failures (stderr). */
  readonly complain: (line: string) => void;
}

export type RunResult = { readonly ok: true } | { readonly ok: false; readonly failedStep: string };

class StepFailure extends Error {}

/** The command line with what only a run adds: where to write outputs, and the approval flags when asked. */
export function runArgs(command: Command, outputsFile: string, autoApprove: boolean): string[] {
  if (!command.deploys) return [...command.args];
  const approve = autoApprove ? (command.tool === 'cdk' ? ['--require-approval', 'never'] : ['--auto-approve']) : [];
  return [...command.args, '--outputs-file', outputsFile, ...approve];
}

function readJson(path: string): unknown {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

/** The values a producing step's outputs file holds; throws StepFailure naming what is missing or malformed. */
function producedValues(step: Step, outputsFile: string): DeployOutputs {
  const json = readJson(outputsFile);
  const values: DeployOutputs = {};
  for (const { key, stack, output } of step.produces) {
    const value = stackOutput(json, stack, output);
    if (value === undefined) throw new StepFailure(`${outputsFile} has no output ${output} of ${stack}`);
    const parsed = DEPLOY_OUTPUTS[key].schema.safeParse(value);
    if (!parsed.success)
      throw new StepFailure(
        `output ${output} of ${stack} is ${JSON.stringify(value)}: ${parsed.error.issues[0]!.message}`,
      );
    values[key] = parsed.data;
  }
  return values;
}

/** The consumed values of a step that exist, with a line for each that does not yet. */
function consumedEnv(step: Step, store: DeployOutputs, say: (line: string) => void): Record<string, string> {
  const known: DeployOutputs = {};
  for (const { key, from, without } of step.consumes) {
    if (store[key] !== undefined) known[key] = store[key];
    else say(`    no ${key} yet (${from} has not run): ${without}`);
  }
  return deployOutputsEnv(known);
}

async function runStep(step: Step, store: DeployOutputs, options: RunOptions): Promise<DeployOutputs> {
  const { exec, say } = options;
  const outputsFile = outputsFileOf(options.outputsDir, step.id);
  const env = { ...options.env, ...consumedEnv(step, store, say) };
  for (const command of step.commands) {
    if (command.unless) {
      const probe = { tool: command.unless.tool, args: command.unless.args, env, quiet: true };
      if ((await exec(probe)) === 0) {
        say(`    exists (${typedCommand(probe.tool, probe.args).join(' ')}): not created again`);
        continue;
      }
    }
    const args = runArgs(command, outputsFile, options.autoApprove);
    say(`    $ ${typedCommand(command.tool, args).join(' ')}`);
    const code = await exec({ tool: command.tool, args, env, quiet: false });
    if (code !== 0) throw new StepFailure(`${typedCommand(command.tool, command.args).join(' ')} exited with ${code}`);
  }
  return step.produces.length > 0 ? producedValues(step, outputsFile) : {};
}

/**
 * Consumers that ran before a value they consume changed, or did not run at all this time: they still have the old
 * value deployed. Empty after a full run, where every consumer comes after its producer or (a stack deployed in two
 * steps) has its stacks deployed again, with the value, by a consumer after it.
 */
export function staleConsumers(
  plan: DeployPlan,
  ran: readonly string[],
  changedBy: ReadonlyMap<DeployOutputKey, string>,
): string[] {
  const stale = new Set<string>();
  for (const [key, producer] of changedBy) {
    const consumers = plan.steps.filter((step) => step.consumes.some((c) => c.key === key));
    const updated = consumers.filter((step) => ran.indexOf(step.id) > ran.indexOf(producer));
    for (const step of consumers) {
      const redeployed =
        step.stacks.length > 0 && updated.some((later) => step.stacks.every((stack) => later.stacks.includes(stack)));
      if (ran.indexOf(step.id) < ran.indexOf(producer) && !redeployed) stale.add(step.id);
    }
  }
  return plan.steps.map((s) => s.id).filter((id) => stale.has(id));
}

export async function runDeploy(options: RunOptions): Promise<RunResult> {
  const { steps, say, complain } = options;
  const store: DeployOutputs = { ...readStore(options.outputsDir) };
  // The CLIs write their outputs files there but do not create the directory.
  mkdirSync(options.outputsDir, { recursive: true });
  const ran: string[] = [];
  const changedBy = new Map<DeployOutputKey, string>();
  for (const [i, step] of steps.entries()) {
    say(`==> [${i + 1}/${steps.length}] ${step.id}: ${step.summary}`);
    try {
      const produced = await runStep(step, store, options);
      for (const [key, value] of Object.entries(produced) as [DeployOutputKey, string][]) {
        if (store[key] !== value) changedBy.set(key, step.id);
        store[key] = value;
        say(`    ${key} = ${value} (handed to ${step.produces.find((p) => p.key === key)!.consumers.join(', ')})`);
      }
      if (step.produces.length > 0) writeStore(options.outputsDir, store);
      ran.push(step.id);
    } catch (err) {
      if (!(err instanceof StepFailure)) throw err;
      complain(`deploy: step ${step.id} failed: ${err.message}`);
      complain(
        ran.length > 0
          ? `deploy: done before it: ${ran.join(', ')} (outputs in ${options.outputsDir})`
          : 'deploy: no step was completed',
      );
      const remaining = steps.slice(i).map((s) => s.id);
      complain(`deploy: fix the cause, then resume with: ${options.resumeCommand(remaining)}`);
      return { ok: false, failedStep: step.id };
    }
  }
  const stale = staleConsumers(options.plan, ran, changedBy);
  for (const id of stale) {
    say(`deploy: ${id} consumes a value this run produced anew: redeploy it with npm run deploy -- --only ${id}`);
  }
  say(`deploy: ${ran.length} step${ran.length === 1 ? '' : 's'} done (outputs in ${options.outputsDir})`);
  return { ok: true };
}
