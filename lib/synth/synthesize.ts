/**
 * What `npm run synth` does: validates the topology, synthesizes the app of every donor it enables in parallel into
 * temporary directories, and only when all of them succeeded swaps them in as each app's output directory and prints
 * a summary; the output of a registered donor it does not enable is removed. An invalid topology or a failing app
 * leaves the previous output untouched.
 */
import { existsSync, renameSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Donor } from '../clouds/donor';
import { DONORS } from '../clouds/donors';
import type { Env } from '../config/env';
import { DEFAULT_TOPOLOGY_SOURCE, loadTopology, TopologyError } from '../topology';
import { runApp, type AppRun } from './run-app';
import { formatSummary } from './summary';
import { synthTargets, topologySynthTargets, type SynthTarget } from './targets';

export interface SynthOptions {
  /** The `--topology FILE` flag. */
  readonly topology?: string;
  /** The `--only DONOR` flag. */
  readonly only?: string;
  readonly env: Env;
  /** The repository whose apps run. */
  readonly root: string;
  /** Where the output directories are. @default the working directory */
  readonly cwd?: string;
  readonly donors?: readonly Donor[];
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

/** Replaces `outdir` by `tmpdir` so that a reader sees either the old output or the new one. */
function swapIn(tmpdir: string, outdir: string): void {
  const previous = `${outdir}.old-${process.pid}`;
  if (existsSync(outdir)) renameSync(outdir, previous);
  renameSync(tmpdir, outdir);
  rmSync(previous, { recursive: true, force: true });
}

/**
 * The output of a donor the topology no longer enables would be deployed as it was by its tool's CLI: a full synth
 * removes it, so the output directories are the topology's.
 */
function removeDisabledOutputs(
  targets: readonly SynthTarget[],
  donors: readonly Donor[],
  root: string,
  cwd: string,
  stdout: NodeJS.WritableStream,
): void {
  for (const app of synthTargets(donors, root)) {
    const outdir = resolve(cwd, app.outdir);
    if (targets.some((target) => target.donor === app.donor) || !existsSync(outdir)) continue;
    rmSync(outdir, { recursive: true, force: true });
    stdout.write(`${app.cloud}: not enabled in this topology, ${app.outdir}/ removed\n`);
  }
}

/** Runs synth; resolves with the exit code (0 written, 1 invalid topology or a failed app). */
export async function synthesize(options: SynthOptions): Promise<number> {
  const { stdout, stderr, root } = options;
  const donors = options.donors ?? DONORS;
  const cwd = options.cwd ?? process.cwd();
  let targets: SynthTarget[];
  let topologyPath: string | undefined;
  try {
    const loaded = loadTopology({ flag: options.topology, env: options.env }, donors);
    topologyPath = loaded.source === DEFAULT_TOPOLOGY_SOURCE ? undefined : resolve(loaded.source);
    stdout.write(`topology: ${loaded.source}\n`);
    targets = topologySynthTargets(loaded.topology, donors, root);
  } catch (err) {
    if (!(err instanceof TopologyError)) throw err;
    stderr.write(`${err.message}\nnothing was synthesized.\n`);
    return 1;
  }
  if (options.only !== undefined) {
    targets = targets.filter((target) => target.donor === options.only);
    if (targets.length === 0) {
      stderr.write(
        `${options.only} is not enabled in this topology (${options.only}.enabled): nothing was synthesized.\n`,
      );
      return 1;
    }
  }

  const started = Date.now();
  const runs = await Promise.all(
    targets.map((target): Promise<AppRun> => {
      const outdir = resolve(cwd, `${target.outdir}.tmp-${process.pid}`);
      rmSync(outdir, { recursive: true, force: true });
      return runApp(target, { root, outdir, topologyPath });
    }),
  );
  const failed = runs.filter((run) => run.code !== 0);
  if (failed.length > 0) {
    for (const run of runs) rmSync(run.outdir, { recursive: true, force: true });
    for (const run of failed) stderr.write(`${run.target.cloud} synth failed (exit ${run.code}):\n${run.output}\n`);
    stderr.write('nothing was written: the previous output, if any, is unchanged.\n');
    return 1;
  }
  for (const run of runs) swapIn(run.outdir, resolve(cwd, run.target.outdir));
  if (options.only === undefined) removeDisabledOutputs(targets, donors, root, cwd, stdout);
  const summaries = targets.map((target) => ({
    cloud: target.cloud,
    outdir: target.outdir,
    stacks: target.readOutput(resolve(cwd, target.outdir)),
  }));
  stdout.write(`${formatSummary(summaries)}\nsynthesized in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  return 0;
}
