/**
 * Synth benchmark: wall time and peak RSS of each enabled donor's app (AWS, GCP, Azure) and the whole `npm run synth`
 * on the topology the apps read (TOPOLOGY, else the embedded default), median of several runs. The reference,
 * measured in the same run, is each framework's empty app (load the library, synthesize nothing), so the ratio shows
 * what our stacks add on top of the fixed cost.
 *
 *   npm run bench:synth [-- --runs 5]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { topologySynthTargets } from '../lib/synth/targets';
import { loadTopology } from '../lib/topology';
import { tsxNodeArgs } from '../lib/synth/tsx';
import { median } from './stats';

const REPO = resolve(__dirname, '..');
const REPORTER = join(REPO, 'bench', 'report-max-rss.cjs');

interface Measurement {
  readonly seconds: number;
  /** Peak RSS of the largest single process, MB. */
  readonly maxProcessMb: number;
  /** Sum of the peak RSS of every process (they may overlap in time), MB. */
  readonly sumMb: number;
}

function measure(args: string[], env: Record<string, string> = {}, cwd = REPO): Measurement {
  const reportDir = mkdtempSync(join(tmpdir(), 'bench-rss-'));
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, {
    cwd,
    env: { ...process.env, ...env, RSS_REPORT_DIR: reportDir, NODE_OPTIONS: `--require ${REPORTER}` },
    encoding: 'utf8',
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0) throw new Error(`${args.join(' ')} failed (${result.status}):\n${result.stderr}`);
  const rssKb = readFileSync(join(reportDir, 'max-rss.txt'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => Number(line.split(' ')[1]));
  rmSync(reportDir, { recursive: true, force: true });
  return { seconds, maxProcessMb: Math.max(...rssKb) / 1024, sumMb: rssKb.reduce((a, b) => a + b, 0) / 1024 };
}

function medianOf(runs: number, make: () => Measurement): Measurement {
  const all = Array.from({ length: runs }, make);
  return {
    seconds: median(all.map((m) => m.seconds)),
    maxProcessMb: median(all.map((m) => m.maxProcessMb)),
    sumMb: median(all.map((m) => m.sumMb)),
  };
}

function inTempDir<T>(work: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'bench-synth-'));
  try {
    return work(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// The references: each framework's smallest real app (one empty stack; for CDKTF with the donor's provider, loaded
// by deep path as ours is), so the ratio shows what our stacks add on top of loading and running the framework.
const req = (module: string): string => `require(${JSON.stringify(require.resolve(module))})`;
// Like ours, without CDK's built-in CloudFormation linter (a WASM module that alone takes seconds to start).
const EMPTY_CDK_APP = [
  `const { App, Stack } = ${req('aws-cdk-lib')};`,
  `const app = new App({ builtinCloudFormationValidation: false }); new Stack(app, 'empty'); app.synth();`,
].join(' ');
/** cdktf's empty app with one provider, loaded by deep path (`module`, its class `provider`, built with `props`). */
const emptyCdktfApp = (module: string, provider: string, props: string): string =>
  [
    `const { App, TerraformStack } = ${req('cdktf')};`,
    `const { ${provider} } = ${req(module)};`,
    `const app = new App(); const stack = new TerraformStack(app, 'empty');`,
    `new ${provider}(stack, 'provider', ${props}); app.synth();`,
  ].join(' ');

function main(): void {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got ${values.runs}`);

  // Each app `npm run synth` runs for the topology the apps read (TOPOLOGY, else the embedded default), as it runs it
  // (lib/synth/targets.ts), next to its framework's empty app. A donor the topology leaves off has no app to run.
  const references: Record<string, { readonly code: string; readonly target: string }> = {
    AWS: { code: EMPTY_CDK_APP, target: 'target < 8 s, < 1536 MB' },
    GCP: {
      code: emptyCdktfApp('@cdktf/provider-google/lib/provider', 'GoogleProvider', "{ project: 'empty' }"),
      target: 'target < 5 s, < 1024 MB',
    },
    Azure: {
      code: emptyCdktfApp('@cdktf/provider-azurerm/lib/provider', 'AzurermProvider', '{ features: [{}] }'),
      target: 'no target set',
    },
  };
  const rows: Array<[string, Measurement, Measurement | undefined, string]> = [];
  // Absolute: `npm run synth` is measured from a temporary directory.
  if (process.env.TOPOLOGY) process.env.TOPOLOGY = resolve(process.env.TOPOLOGY);
  const loaded = loadTopology({ env: process.env });
  for (const app of topologySynthTargets(loaded.topology)) {
    const reference = references[app.cloud];
    if (!reference) throw new Error(`no empty-app reference for the ${app.cloud} app: add one to bench/synth.ts`);
    const empty = medianOf(runs, () => inTempDir((d) => measure(['-e', reference.code], { [app.outdirEnv]: d }, d)));
    const ours = medianOf(runs, () =>
      inTempDir((d) => measure(tsxNodeArgs(join(REPO, app.script)), { [app.outdirEnv]: join(d, 'out') })),
    );
    rows.push([`${app.cloud} app (${app.script})`, ours, empty, reference.target]);
  }
  const both = medianOf(runs, () => inTempDir((d) => measure(tsxNodeArgs(join(REPO, 'bin', 'synth.ts')), {}, d)));
  rows.push(['npm run synth (every enabled app, parallel)', both, undefined, 'target < 12 s']);

  console.log(`synth benchmark, topology ${loaded.source}, median of ${runs} runs, ${new Date().toISOString()}`);
  console.log(
    '| what | wall s | peak RSS MB (largest process) | RSS MB (all processes) | vs empty app (time) | target |',
  );
  console.log('|---|---|---|---|---|---|');
  for (const [name, m, reference, target] of rows) {
    const ratio = reference
      ? `${(m.seconds / reference.seconds).toFixed(2)}x of ${reference.seconds.toFixed(2)} s`
      : '-';
    console.log(
      `| ${name} | ${m.seconds.toFixed(2)} | ${m.maxProcessMb.toFixed(0)} | ${m.sumMb.toFixed(0)} | ${ratio} | ${target} |`,
    );
  }
}

main();
