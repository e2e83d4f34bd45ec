/**
 * `npm run synth [-- --topology FILE] [--only aws|gcp]`: validates the topology, synthesizes every cloud's app in
 * parallel into temporary directories, and only when all of them succeeded swaps them in as cdk.out/ and
 * cdktf.out/ and prints a summary. An invalid topology or a failing app leaves the previous output untouched.
 */
import { existsSync, renameSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { choiceFlag, commandLineOrExit, type ParsedFlags } from '../lib/config/command-line';
import {
  DEFAULT_TOPOLOGY_SOURCE,
  loadTopology,
  TOPOLOGY_FLAG,
  TOPOLOGY_FLAG_USAGE,
  TopologyError,
} from '../lib/topology';
import { formatSummary } from '../lib/synth/summary';
import { SYNTH_TARGETS, type SynthTarget } from '../lib/synth/targets';
import { runApp, type AppRun } from '../lib/synth/run-app';

const REPO_ROOT = resolve(__dirname, '..');

const APPS = SYNTH_TARGETS.map((t) => t.cloud.toLowerCase());

const USAGE = `Usage: npm run synth [-- --topology FILE] [--only ${APPS.join('|')}]
Validates the topology and synthesizes every cloud's app into cdk.out/ and cdktf.out/ (all or nothing).
${TOPOLOGY_FLAG_USAGE}
  --only APP        synthesize one app only
  -h, --help        this text`;

const FLAGS = { ...TOPOLOGY_FLAG, only: { type: 'string' } } as const;

function options({ values }: ParsedFlags<typeof FLAGS>) {
  const only = values.only === undefined ? undefined : choiceFlag('--only', values.only.toLowerCase(), APPS);
  return {
    topology: values.topology,
    targets: only === undefined ? SYNTH_TARGETS : SYNTH_TARGETS.filter((t) => t.cloud.toLowerCase() === only),
  };
}

/** Runs one app of the working tree with its output redirected to a temporary directory beside its usual one. */
function runInTmpdir(target: SynthTarget, topologyPath: string | undefined): Promise<AppRun> {
  const outdir = resolve(`${target.outdir}.tmp-${process.pid}`);
  rmSync(outdir, { recursive: true, force: true });
  return runApp(target, { root: REPO_ROOT, outdir, topologyPath });
}

/** Replaces `outdir` by `tmpdir` so that a reader sees either the old output or the new one. */
function swapIn(tmpdir: string, outdir: string): void {
  const previous = `${outdir}.old-${process.pid}`;
  if (existsSync(outdir)) renameSync(outdir, previous);
  renameSync(tmpdir, outdir);
  rmSync(previous, { recursive: true, force: true });
}

async function main(): Promise<void> {
  const { topology, targets } = commandLineOrExit({ name: 'synth', usage: USAGE, flags: FLAGS }, options);
  let topologyPath: string | undefined;
  try {
    const loaded = loadTopology({ flag: topology, env: process.env });
    topologyPath = loaded.source === DEFAULT_TOPOLOGY_SOURCE ? undefined : resolve(loaded.source);
    process.stdout.write(`topology: ${loaded.source}\n`);
  } catch (err) {
    if (err instanceof TopologyError) {
      process.stderr.write(`${err.message}\nnothing was synthesized.\n`);
      process.exit(1);
    }
    throw err;
  }

  const started = Date.now();
  const runs = await Promise.all(targets.map((target) => runInTmpdir(target, topologyPath)));
  const failed = runs.filter((run) => run.code !== 0);
  if (failed.length > 0) {
    for (const run of runs) rmSync(run.outdir, { recursive: true, force: true });
    for (const run of failed)
      process.stderr.write(`${run.target.cloud} synth failed (exit ${run.code}):\n${run.output}\n`);
    process.stderr.write('nothing was written: the previous output, if any, is unchanged.\n');
    process.exit(1);
  }
  for (const run of runs) swapIn(run.outdir, run.target.outdir);
  const summaries = runs.map(({ target }) => ({
    cloud: target.cloud,
    outdir: target.outdir,
    stacks: target.readOutput(target.outdir),
  }));
  process.stdout.write(`${formatSummary(summaries)}\nsynthesized in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`synth: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
