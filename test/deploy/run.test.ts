/**
 * The runner with an injected exec that plays the CLIs: the order of the commands, what each gets, how produced
 * values travel (within a run and from an earlier run), and what a failure leaves.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deployPlan } from '../../lib/deploy/plan';
import { runArgs, runDeploy, staleConsumers, type CommandRun, type RunOptions } from '../../lib/deploy/run';
import { selectSteps, type Selection } from '../../lib/deploy/select';
import { parseTopology, DEFAULT_TOPOLOGY } from '../../lib/topology';

const UNIQUE_ID = '104640947226104812386';
const CDN = 'd111111abcdef8.cloudfront.net';
const plan = deployPlan(parseTopology(DEFAULT_TOPOLOGY, 'default'));

/** What each stack outputs when deployed, as the CLIs write it into --outputs-file. */
const STACK_OUTPUTS: Record<string, Record<string, string>> = {
  'gcp-replication': { 'replicator-unique-id': UNIQUE_ID },
  'registry-k8s-io-cdn': { DistributionDomainName: CDN },
};

interface Played {
  readonly runs: CommandRun[];
  readonly said: string[];
  readonly complaints: string[];
  readonly result: Awaited<ReturnType<typeof runDeploy>>;
}

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'deploy-run-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the selected steps with CLIs that succeed (or fail where `fails` says), writing outputs as the real ones do. */
async function play(
  selection: Selection,
  fails: (line: string) => boolean = () => false,
  outputs = STACK_OUTPUTS,
  extra: Partial<RunOptions> = {},
): Promise<Played> {
  const runs: CommandRun[] = [];
  const said: string[] = [];
  const complaints: string[] = [];
  const exec = async (command: CommandRun) => {
    runs.push(command);
    const line = [command.tool, ...command.args].join(' ');
    if (command.quiet) return 1; // nothing exists yet
    if (fails(line)) return 3;
    const file = command.args[command.args.indexOf('--outputs-file') + 1];
    if (command.args.includes('--outputs-file') && file) {
      const deployed = command.args.slice(
        1,
        command.args.findIndex((a) => a.startsWith('--')),
      );
      writeFileSync(file, JSON.stringify(Object.fromEntries(deployed.map((s) => [s, outputs[s] ?? {}]))));
    }
    return 0;
  };
  const result = await runDeploy({
    plan,
    steps: selectSteps(plan, selection),
    outputsDir: dir,
    exec,
    autoApprove: false,
    env: { TOPOLOGY: '/abs/topology.yaml' },
    resumeCommand: (remaining) => `npm run deploy -- --from ${remaining[0]}`,
    say: (line) => said.push(line),
    complain: (line) => complaints.push(line),
    ...extra,
  });
  return { runs, said, complaints, result };
}

const lines = (played: Played) => played.runs.filter((r) => !r.quiet).map((r) => [r.tool, ...r.args].join(' '));
const runOf = (played: Played, prefix: string) =>
  played.runs.find((r) => [r.tool, ...r.args].join(' ').startsWith(prefix))!;

describe('a full run', () => {
  it('runs every step in plan order, each stack deploy writing its outputs into the outputs directory', async () => {
    const played = await play({});
    expect(played.result).toEqual({ ok: true });
    expect(lines(played).map((line) => line.split(' ').slice(0, 3).join(' '))).toEqual([
      'cdk bootstrap aws://513428760722/af-south-1',
      'gcloud storage buckets',
      'gcloud storage buckets',
      'cdk deploy registry-k8s-io-delivery',
      'cdktf deploy gcp-delivery',
      'cdk deploy registry-k8s-io-af-south-1',
      'cdktf deploy gcp-artifacts',
      'cdktf deploy gcp-replication',
      'cdk deploy registry-k8s-io-us-east-2',
      'cdk deploy registry-k8s-io-cdn',
      'cdktf deploy gcp-redirector',
      'cdktf deploy gcp-frontend',
      'cdktf deploy gcp-observability',
    ]);
    expect(lines(played)).toContain(`cdktf deploy gcp-replication --outputs-file ${join(dir, 'gcp-replication.json')}`);
    expect(lines(played)).toContain(
      `cdk deploy registry-k8s-io-cdn --exclusively --outputs-file ${join(dir, 'aws-cdn.json')}`,
    );
  });

  it('probes before creating the state bucket, and creates it when the probe fails', async () => {
    const played = await play({ only: ['gcp-state-bucket'] });
    expect(played.runs.map((r) => [r.quiet, r.args[2]])).toEqual([
      [true, 'describe'],
      [false, 'create'],
      [false, 'update'],
    ]);
  });

  it('hands each produced value to its consumer, and only to it', async () => {
    const played = await play({});
    expect(runOf(played, 'cdk deploy registry-k8s-io-us-east-2').env).toEqual({
      TOPOLOGY: '/abs/topology.yaml',
      DEPLOYED_REPLICATOR_UNIQUE_ID: UNIQUE_ID,
    });
    expect(runOf(played, 'cdktf deploy gcp-redirector').env).toEqual({
      TOPOLOGY: '/abs/topology.yaml',
      DEPLOYED_CDN_DOMAIN_NAME: CDN,
    });
    for (const prefix of [
      'cdktf deploy gcp-replication',
      'cdk deploy registry-k8s-io-cdn',
      'cdktf deploy gcp-frontend',
    ])
      expect(runOf(played, prefix).env).toEqual({ TOPOLOGY: '/abs/topology.yaml' });
    expect(JSON.parse(readFileSync(join(dir, 'outputs.json'), 'utf8'))).toEqual({
      replicatorUniqueId: UNIQUE_ID,
      cdnDomainName: CDN,
    });
    expect(played.said).toContain(`    replicatorUniqueId = ${UNIQUE_ID} (handed to aws-upload)`);
  });

  it('asks for no approval prompts with autoApprove, in each CLI’s own words', () => {
    const [cdk] = plan.steps.find((s) => s.id === 'aws-cdn')!.commands;
    const [cdktf] = plan.steps.find((s) => s.id === 'gcp-frontend')!.commands;
    const [bootstrap] = plan.steps.find((s) => s.id === 'aws-bootstrap')!.commands;
    expect(runArgs(cdk!, 'o.json', true)).toEqual([
      'deploy',
      'registry-k8s-io-cdn',
      '--exclusively',
      '--outputs-file',
      'o.json',
      '--require-approval',
      'never',
    ]);
    expect(runArgs(cdktf!, 'o.json', true)).toEqual([
      'deploy',
      'gcp-frontend',
      '--outputs-file',
      'o.json',
      '--auto-approve',
    ]);
    expect(runArgs(bootstrap!, 'o.json', true)).toEqual(bootstrap!.args);
  });
});

describe('a failed step', () => {
  it('stops the run there, names the step and the command that resumes it', async () => {
    const played = await play({}, (line) => line.startsWith('cdktf deploy gcp-frontend'));
    expect(played.result).toEqual({ ok: false, failedStep: 'gcp-frontend' });
    expect(lines(played).at(-1)).toMatch(/^cdktf deploy gcp-frontend/);
    expect(lines(played).some((line) => line.includes('gcp-observability'))).toBe(false);
    expect(played.complaints).toEqual([
      'deploy: step gcp-frontend failed: cdktf deploy gcp-frontend exited with 3',
      `deploy: done before it: aws-bootstrap, gcp-state-bucket, aws-delivery, gcp-delivery, aws-mirrors, gcp-artifacts, gcp-replication, aws-upload, aws-cdn, gcp-redirector (outputs in ${dir})`,
      'deploy: fix the cause, then resume with: npm run deploy -- --from gcp-frontend',
    ]);
  });

  it('keeps what it produced before failing, and a resumed run hands it on', async () => {
    await play({}, (line) => line.startsWith('cdk deploy registry-k8s-io-us-east-2'));
    expect(JSON.parse(readFileSync(join(dir, 'outputs.json'), 'utf8'))).toEqual({ replicatorUniqueId: UNIQUE_ID });
    const resumed = await play({ from: 'aws-upload' });
    expect(resumed.result).toEqual({ ok: true });
    expect(lines(resumed)[0]).toMatch(/^cdk deploy registry-k8s-io-us-east-2 --exclusively/);
    expect(runOf(resumed, 'cdk deploy registry-k8s-io-us-east-2').env.DEPLOYED_REPLICATOR_UNIQUE_ID).toBe(UNIQUE_ID);
  });

  it('fails a producing step whose outputs file lacks the value, before any consumer runs', async () => {
    const played = await play({}, () => false, { 'gcp-replication': {} });
    expect(played.result).toEqual({ ok: false, failedStep: 'gcp-replication' });
    expect(played.complaints[0]).toBe(
      `deploy: step gcp-replication failed: ${join(dir, 'gcp-replication.json')} has no output replicator-unique-id of gcp-replication`,
    );
    expect(lines(played).some((line) => line.includes('registry-k8s-io-us-east-2'))).toBe(false);
  });

  it('fails a producing step whose value is malformed', async () => {
    const played = await play({}, () => false, {
      ...STACK_OUTPUTS,
      'gcp-replication': { 'replicator-unique-id': 'x@y' },
    });
    expect(played.complaints[0]).toBe(
      'deploy: step gcp-replication failed: output replicator-unique-id of gcp-replication is "x@y": must be a service account\'s numeric unique ID',
    );
  });
});

describe('partial runs', () => {
  it('deploys a consumer whose producer never ran in its safe state, and says so', async () => {
    const played = await play({ only: ['aws-upload'] });
    expect(runOf(played, 'cdk deploy').env).toEqual({ TOPOLOGY: '/abs/topology.yaml' });
    expect(played.said).toContain(
      '    no replicatorUniqueId yet (gcp-replication has not run): the writer role trusts no one (its trust policy denies every token)',
    );
  });

  it('names the consumers to redeploy when a producer alone produced a new value', async () => {
    writeFileSync(join(dir, 'outputs.json'), JSON.stringify({ cdnDomainName: 'dold.cloudfront.net' }));
    const played = await play({ only: ['aws-cdn'] });
    expect(played.said).toContain(
      'deploy: gcp-redirector consumes a value this run produced anew: redeploy it with npm run deploy -- --only gcp-redirector',
    );
    const unchanged = await play({ only: ['aws-cdn'] });
    expect(unchanged.said.some((line) => line.includes('redeploy it'))).toBe(false);
  });

  it.each<[string, string[], string[]]>([
    ['a full run leaves nothing stale', plan.steps.map((s) => s.id), []],
    ['the producer alone', ['aws-cdn'], ['gcp-redirector']],
    ['the consumer before the producer', ['gcp-redirector', 'aws-cdn'], ['gcp-redirector']],
  ])('stale consumers: %s', (_name, ran, expected) => {
    expect(staleConsumers(plan, ran, new Map([['cdnDomainName', 'aws-cdn']]))).toEqual(expected);
  });

  it('refuses a damaged outputs file before running anything, naming it', async () => {
    writeFileSync(join(dir, 'outputs.json'), JSON.stringify({ cdnDomainName: 'not a domain' }));
    await expect(play({ only: ['gcp-redirector'] })).rejects.toThrow(
      `${join(dir, 'outputs.json')} is not a deploy outputs file`,
    );
  });
});
