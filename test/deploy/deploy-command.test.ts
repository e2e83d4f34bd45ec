/**
 * `npm run deploy` end to end with stand-in `cdk`, `cdktf` and `gcloud` executables first on PATH: small scripts
 * that record their arguments and environment and, given `--outputs-file`, write the stack outputs as the real CLIs
 * do (`{<stack>: {<output>: value}}`). The command runs as the npm script does (node + tsx on bin/deploy.ts), with
 * PATH chosen by the test, since npm would put the real CLIs of node_modules/.bin first.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { deployPlan } from '../../lib/deploy/plan';
import { renderPlanJson, renderPlanText } from '../../lib/deploy/render';
import { tsxNodeArgs } from '../../lib/synth/tsx';
import { DEFAULT_TOPOLOGY, parseTopology } from '../../lib/topology';

const REPO = resolve(__dirname, '../..');
const SMALL = join(REPO, 'test/fixtures/topology-small.yaml');
const UNIQUE_ID = '104640947226104812386';
const CDN = 'd111111abcdef8.cloudfront.net';

/** One stand-in CLI: records `{tool, args, env}` as a JSON line, fails when told to, writes outputs when asked. */
const STAND_IN = `#!${process.execPath}
const { appendFileSync, writeFileSync } = require('node:fs');
const tool = require('node:path').basename(process.argv[1]);
const args = process.argv.slice(2);
const env = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => k === 'TOPOLOGY' || k.startsWith('DEPLOYED_')),
);
appendFileSync(process.env.STANDIN_RECORD, JSON.stringify({ tool, args, env }) + '\\n');
const line = [tool, ...args].join(' ');
if (process.env.STANDIN_FAIL && line.startsWith(process.env.STANDIN_FAIL)) {
  process.stderr.write(tool + ': simulated failure\\n');
  process.exit(1);
}
if (tool === 'gcloud' && args[2] === 'describe') process.exit(1); // no such bucket yet
const at = args.indexOf('--outputs-file');
if (at !== -1) {
  const outputs = JSON.parse(process.env.STANDIN_OUTPUTS);
  const stacks = args.slice(1, args.findIndex((a) => a.startsWith('--')));
  writeFileSync(args[at + 1], JSON.stringify(Object.fromEntries(stacks.map((s) => [s, outputs[s] || {}]))));
}
`;

interface Recorded {
  readonly tool: string;
  readonly args: string[];
  readonly env: Record<string, string>;
}

let work: string;
let bin: string;
let topology: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'deploy-command-'));
  bin = join(work, 'bin');
  mkdirSync(bin);
  for (const tool of ['cdk', 'cdktf', 'gcloud']) {
    writeFileSync(join(bin, tool), STAND_IN);
    chmodSync(join(bin, tool), 0o755);
  }
  // The small fixture with both produced values left to the deploy: no subject, no CDN domain.
  topology = join(work, 'topology.yaml');
  writeFileSync(
    topology,
    readFileSync(SMALL, 'utf8')
      .replace(/\n\s*subject: .*/, '')
      .replace(/\n\s*domainName: .*/, ''),
  );
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function deploy(args: string[], options: { fail?: string; outputsDir: string; record: string }) {
  const result = spawnSync(
    process.execPath,
    [...tsxNodeArgs(join(REPO, 'bin/deploy.ts')), '--topology', topology, '--outputs-dir', options.outputsDir, ...args],
    {
      cwd: REPO,
      encoding: 'utf8',
      timeout: 60_000,
      env: {
        // Only the stand-ins: nothing here may reach a real CLI (the stand-ins start node by its absolute path).
        PATH: bin,
        HOME: work,
        STANDIN_RECORD: options.record,
        STANDIN_OUTPUTS: JSON.stringify({
          'gcp-replication': { 'replicator-unique-id': UNIQUE_ID },
          'small-registry-cdn': { DistributionDomainName: CDN },
        }),
        ...(options.fail ? { STANDIN_FAIL: options.fail } : {}),
      },
    },
  );
  const recorded: Recorded[] = existsSync(options.record)
    ? readFileSync(options.record, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Recorded)
    : [];
  return { ...result, recorded };
}

const words = (r: Recorded) => [r.tool, ...r.args].slice(0, 3).join(' ');

describe('npm run deploy with stand-in CLIs', () => {
  it('runs every step in order and passes each produced value to its consumer', () => {
    const outputsDir = join(work, 'full');
    const run = deploy([], { outputsDir, record: join(work, 'full.jsonl') });
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
    expect(run.recorded.map(words)).toEqual([
      'cdk bootstrap aws://123456789012/eu-west-1',
      'gcloud storage buckets', // describe: fails, so
      'gcloud storage buckets', // create
      'gcloud storage buckets', // update --versioning
      'cdk deploy small-registry-delivery',
      'cdktf deploy gcp-delivery',
      'cdk deploy small-registry-eu-west-1',
      'cdktf deploy gcp-artifacts',
      'cdktf deploy gcp-replication',
      'cdk deploy small-registry-us-east-2',
      'cdk deploy small-registry-cdn',
      'cdktf deploy gcp-redirector',
      'cdktf deploy gcp-frontend',
      'cdktf deploy gcp-observability',
    ]);
    expect(run.recorded[3]!.args).toEqual([
      'storage',
      'buckets',
      'update',
      'gs://small-serving-terraform-state',
      '--project=small-serving',
      '--versioning',
    ]);
    const byStack = (stack: string) => run.recorded.find((r) => r.args[1] === stack)!;
    // Every CLI reads the same topology; each consumer gets exactly the value it consumes.
    for (const r of run.recorded) expect(r.env.TOPOLOGY).toBe(topology);
    expect(byStack('small-registry-us-east-2').env).toEqual({
      TOPOLOGY: topology,
      DEPLOYED_REPLICATOR_UNIQUE_ID: UNIQUE_ID,
    });
    expect(byStack('gcp-redirector').env).toEqual({ TOPOLOGY: topology, DEPLOYED_CDN_DOMAIN_NAME: CDN });
    expect(byStack('gcp-replication').args).toEqual([
      'deploy',
      'gcp-replication',
      '--outputs-file',
      join(outputsDir, 'gcp-replication.json'),
    ]);
    expect(JSON.parse(readFileSync(join(outputsDir, 'outputs.json'), 'utf8'))).toEqual({
      replicatorUniqueId: UNIQUE_ID,
      cdnDomainName: CDN,
    });
    expect(run.stdout).toContain('deploy: 12 steps done');
  });

  it('stops at a failed step, says which and how to resume, and the resumed run finishes with the kept values', () => {
    const outputsDir = join(work, 'failing');
    const failed = deploy([], {
      outputsDir,
      record: join(work, 'failing.jsonl'),
      fail: 'cdk deploy small-registry-cdn',
    });
    expect(failed.status).toBe(1);
    expect(failed.recorded.map(words).at(-1)).toBe('cdk deploy small-registry-cdn');
    expect(failed.recorded.some((r) => r.args[1]?.startsWith('gcp-redirector'))).toBe(false);
    expect(failed.stderr).toContain('cdk: simulated failure');
    expect(failed.stderr).toContain(
      'deploy: step aws-cdn failed: cdk deploy small-registry-cdn --exclusively exited with 1',
    );
    expect(failed.stderr).toContain(
      `deploy: fix the cause, then resume with: npm run deploy -- --from aws-cdn --topology ${topology} --outputs-dir ${outputsDir}`,
    );
    // What ran before the failure stays done, its values kept for the resumed run.
    expect(JSON.parse(readFileSync(join(outputsDir, 'outputs.json'), 'utf8'))).toEqual({
      replicatorUniqueId: UNIQUE_ID,
    });

    const resumed = deploy(['--from', 'aws-cdn'], { outputsDir, record: join(work, 'resumed.jsonl') });
    expect(resumed.status).toBe(0);
    expect(resumed.recorded.map(words)).toEqual([
      'cdk deploy small-registry-cdn',
      'cdktf deploy gcp-redirector',
      'cdktf deploy gcp-frontend',
      'cdktf deploy gcp-observability',
    ]);
    expect(resumed.recorded[1]!.env.DEPLOYED_CDN_DOMAIN_NAME).toBe(CDN);
  });

  it('runs one step with --only, passing what an earlier run produced, and --auto-approve in the CLI’s words', () => {
    const outputsDir = join(work, 'only');
    mkdirSync(outputsDir);
    writeFileSync(join(outputsDir, 'outputs.json'), JSON.stringify({ replicatorUniqueId: UNIQUE_ID }));
    const run = deploy(['--only', 'aws-upload', '--auto-approve'], { outputsDir, record: join(work, 'only.jsonl') });
    expect(run.status).toBe(0);
    expect(run.recorded).toEqual([
      {
        tool: 'cdk',
        args: [
          'deploy',
          'small-registry-us-east-2',
          '--exclusively',
          '--outputs-file',
          join(outputsDir, 'aws-upload.json'),
          '--require-approval',
          'never',
        ],
        env: { TOPOLOGY: topology, DEPLOYED_REPLICATOR_UNIQUE_ID: UNIQUE_ID },
      },
    ]);
  });

  it('names a missing CLI and what installs it', () => {
    const outputsDir = join(work, 'missing');
    const result = spawnSync(
      process.execPath,
      [
        ...tsxNodeArgs(join(REPO, 'bin/deploy.ts')),
        '--topology',
        topology,
        '--outputs-dir',
        outputsDir,
        '--only',
        'gcp-state-bucket',
      ],
      { cwd: REPO, encoding: 'utf8', env: { PATH: join(work, 'empty'), HOME: work } },
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      'deploy: gcloud is not on PATH nor in node_modules/.bin: install the Google Cloud CLI',
    );
    expect(result.stderr).toContain('deploy: step gcp-state-bucket failed');
  });
});

describe('npm run deploy -- --plan', () => {
  const plan = deployPlan(parseTopology(DEFAULT_TOPOLOGY, 'default'));

  it.each([
    [[], renderPlanText(plan)],
    [['--format', 'json'], renderPlanJson(plan)],
  ])('%j prints the plan of the default topology and runs nothing', (args, expected) => {
    const result = spawnSync(process.execPath, [...tsxNodeArgs(join(REPO, 'bin/deploy.ts')), '--plan', ...args], {
      cwd: REPO,
      encoding: 'utf8',
      env: { ...process.env, TOPOLOGY: '' },
    });
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
    expect(result.stdout).toBe(expected);
  });

  it.each([
    [['--format', 'yaml', '--plan'], 'deploy: --format "yaml" is not one of text, json'],
    [['--format', 'json'], 'deploy: --format goes with --plan'],
    [['--plan', '--from', 'aws-cdn'], 'deploy: --from runs steps: it does not go with --plan'],
    [['--plan', '--preflight'], 'deploy: --plan and --preflight cannot be combined'],
    [['--from', 'aws-nope'], 'deploy: --from "aws-nope" is not a step'],
    [['--only'], 'deploy: --only needs a value'],
  ])('%j is a usage error (exit 2) that names what is wrong', (args, message) => {
    const result = spawnSync(process.execPath, [...tsxNodeArgs(join(REPO, 'bin/deploy.ts')), ...args], {
      cwd: REPO,
      encoding: 'utf8',
      env: { ...process.env, TOPOLOGY: '' },
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stdout).toBe('');
  });
});
