/**
 * Azure in the ordered deploy (examples/azure.yaml): its stack in the storage phase, the federated credential in the
 * writers phase once gcp-replication has produced the Azure job's service account ID, the backfill on demand; the
 * value handed on in a run, and the stack's first step keeping the credential of an earlier run.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GCP_OUTPUT_IDS } from '../../lib/clouds/gcp/infra/names';
import { deployPlan, stepIds } from '../../lib/deploy/plan';
import { renderPlanText } from '../../lib/deploy/render';
import { runDeploy, staleConsumers, type CommandRun } from '../../lib/deploy/run';
import { selectSteps } from '../../lib/deploy/select';
import { tsxNodeArgs } from '../../lib/synth/tsx';
import {
  parseTopology,
  parseTopologyText,
  readTopologyFile,
  withDeployOutputs,
  type Topology,
} from '../../lib/topology';
import { synthesizeGcp } from '../clouds/gcp/support';
import { handOffs } from './support';

const EXAMPLE = join(__dirname, '../../examples/azure.yaml');
const AZURE_ID = '113355779900224466880';
const CLIENT_ID = '0000aaaa-1111-2222-3333-444455556666';

function exampleWith(change: (raw: { azure: Record<string, unknown> }) => void = () => {}): Topology {
  const raw = parseTopologyText(readFileSync(EXAMPLE, 'utf8'), EXAMPLE) as { azure: Record<string, unknown> };
  change(raw);
  return parseTopology(raw, EXAMPLE);
}

describe('the plan of examples/azure.yaml', () => {
  const plan = deployPlan(readTopologyFile(EXAMPLE));
  const ids = stepIds(plan);
  const step = (id: string) => plan.steps.find((s) => s.id === id)!;

  it('deploys the Azure stack with the storage, trusts the Azure job after gcp-replication, backfills on demand', () => {
    expect(ids).toEqual([
      'aws-bootstrap',
      'gcp-state-bucket',
      'aws-delivery',
      'gcp-delivery',
      'aws-mirrors',
      'gcp-artifacts',
      'azure-mirrors',
      'gcp-replication',
      'aws-upload',
      'azure-trust',
      'aws-cdn',
      'gcp-redirector',
      'gcp-frontend',
      'gcp-observability',
      'mirror-backfill',
      'azure-backfill',
    ]);
    // Azure's own app, not cdktf.json's (the GCP app, which has no azure-mirrors stack).
    const azureApp = ['--app', 'npx tsx bin/azure.ts', '--output', 'cdktf.out.azure'];
    expect(step('azure-mirrors').commands.map((c) => [c.tool, ...c.args])).toEqual([
      ['cdktf', 'deploy', 'azure-mirrors', ...azureApp],
    ]);
    expect(step('azure-trust').commands.map((c) => [c.tool, ...c.args])).toEqual([
      ['cdktf', 'deploy', 'azure-mirrors', ...azureApp],
    ]);
    expect(step('gcp-replication').commands.map((c) => c.args)).toEqual([['deploy', 'gcp-replication']]);
    expect(step('azure-trust').stacks).toEqual(['azure-mirrors']);
    expect(step('azure-backfill')).toMatchObject({
      onDemand: true,
      commands: [
        {
          tool: 'gcloud',
          args: [
            'run',
            'jobs',
            'execute',
            'registry-k8s-io-replicate-azure',
            '--region=us-central1',
            '--project=k8s-infra-oci-proxy-prod',
            '--wait',
          ],
        },
      ],
    });
  });

  it('hands four values between its steps: the two of every topology, and the two Azure adds', () => {
    expect(handOffs(plan)).toEqual([
      ['azure-mirrors', 'azureReplicatorClientId', 'azure-mirrors', 'replicator-client-id', ['gcp-replication']],
      ['gcp-replication', 'replicatorUniqueId', 'gcp-replication', 'replicator-unique-id', ['aws-upload']],
      [
        'gcp-replication',
        'azureReplicatorUniqueId',
        'gcp-replication',
        'azure-replicator-unique-id',
        ['azure-mirrors', 'azure-trust'],
      ],
      ['aws-cdn', 'cdnDomainName', 'registry-k8s-io-cdn', 'DistributionDomainName', ['gcp-redirector']],
    ]);
  });

  it("hands the Azure job's service account ID from gcp-replication to both deploys of the Azure stack", () => {
    expect(step('azure-trust').consumes).toEqual([
      expect.objectContaining({ key: 'azureReplicatorUniqueId', from: 'gcp-replication' }),
    ]);
    expect(step('azure-mirrors').consumes).toEqual([
      expect.objectContaining({ key: 'azureReplicatorUniqueId', from: 'gcp-replication', fromEarlierRun: true }),
    ]);
    expect(renderPlanText(plan)).toContain(
      'consumes: azureReplicatorUniqueId from gcp-replication (a later step: what its last run produced)',
    );
  });

  it.each<[string, (raw: { azure: Record<string, unknown> }) => void, string[]]>([
    [
      'a written subject: the first deploy has the credential, nothing flows',
      (raw) => (raw.azure.replicator = { subject: '42' }),
      ['azure-mirrors', 'azure-backfill'],
    ],
    ['Azure turned off: no Azure step', (raw) => (raw.azure.enabled = false), []],
  ])('%s', (_name, change, expected) => {
    const plan = deployPlan(exampleWith(change));
    expect(stepIds(plan).filter((id) => id.startsWith('azure-'))).toEqual(expected);
    expect(plan.steps.flatMap((s) => s.consumes).filter((c) => c.key === 'azureReplicatorUniqueId')).toEqual([]);
  });

  it('is what npm run deploy -- --plan --topology examples/azure.yaml prints', () => {
    const result = spawnSync(
      process.execPath,
      [...tsxNodeArgs(join(__dirname, '../../bin/deploy.ts')), '--plan', '--format', 'json', '--topology', EXAMPLE],
      { encoding: 'utf8' },
    );
    expect(result.stderr).toBe('');
    expect((JSON.parse(result.stdout) as { steps: { id: string }[] }).steps.map((s) => s.id)).toEqual(ids);
  });

  it("hands the managed identity's client ID from azure-mirrors to gcp-replication (the Azure job's AZURE_CLIENT_ID)", () => {
    expect(step('gcp-replication').consumes).toEqual([
      expect.objectContaining({
        key: 'azureReplicatorClientId',
        from: 'azure-mirrors',
        env: 'DEPLOYED_AZURE_REPLICATOR_CLIENT_ID',
      }),
    ]);
  });

  it("gcp-replication outputs the Azure job's service account ID and gives the job the client ID it was handed", () => {
    const deployed = withDeployOutputs(readTopologyFile(EXAMPLE), { azureReplicatorClientId: CLIENT_ID });
    const { replication, json } = synthesizeGcp(deployed);
    expect(Object.keys((replication as { output?: Record<string, unknown> }).output ?? {})).toContain(
      GCP_OUTPUT_IDS.azureReplicatorUniqueId,
    );
    expect(json.replication.replace(/\s/g, '')).toContain(
      JSON.stringify({ name: 'AZURE_CLIENT_ID', value: CLIENT_ID }),
    );
  });
});

describe('a run of examples/azure.yaml with CLIs played', () => {
  const plan = deployPlan(readTopologyFile(EXAMPLE));
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'deploy-azure-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function run(): Promise<CommandRun[]> {
    const runs: CommandRun[] = [];
    await runDeploy({
      plan,
      steps: selectSteps(plan, {}),
      outputsDir: dir,
      exec: async (command) => {
        runs.push(command);
        if (command.quiet) return 1;
        const at = command.args.indexOf('--outputs-file');
        if (at >= 0 && command.args[1] === 'azure-mirrors')
          writeFileSync(
            command.args[at + 1]!,
            JSON.stringify({ 'azure-mirrors': { 'replicator-client-id': CLIENT_ID } }),
          );
        else if (at >= 0 && command.args[1] === 'gcp-replication')
          writeFileSync(
            command.args[at + 1]!,
            JSON.stringify({
              'gcp-replication': { 'replicator-unique-id': '1', 'azure-replicator-unique-id': AZURE_ID },
            }),
          );
        else if (at >= 0) writeFileSync(command.args[at + 1]!, JSON.stringify({}));
        return 0;
      },
      autoApprove: true,
      env: {},
      resumeCommand: () => 'resume',
      say: () => {},
      complain: () => {},
    });
    return runs;
  }
  const azureDeploys = (runs: CommandRun[]) =>
    runs.filter((r) => r.args[1] === 'azure-mirrors').map((r) => r.env.DEPLOYED_AZURE_REPLICATOR_UNIQUE_ID);

  it('a first run deploys the stack without the credential, then with it; a second run keeps it on both deploys', async () => {
    const first = await run();
    expect(azureDeploys(first)).toEqual([undefined, AZURE_ID]);
    expect(first.find((r) => r.args[1] === 'gcp-replication')!.env.DEPLOYED_AZURE_REPLICATOR_CLIENT_ID).toBe(CLIENT_ID);
    expect(azureDeploys(await run())).toEqual([AZURE_ID, AZURE_ID]);
  });

  it('a new ID makes no consumer stale after a full run: azure-trust deployed the stack again', () => {
    const ran = selectSteps(plan, {}).map((s) => s.id);
    const changed = new Map([['azureReplicatorUniqueId' as const, 'gcp-replication']]);
    expect(staleConsumers(plan, ran, changed)).toEqual([]);
    // Without azure-trust's run, the stack's first deploy still has the old value.
    expect(
      staleConsumers(
        plan,
        ran.filter((id) => id !== 'azure-trust'),
        changed,
      ),
    ).toEqual(['azure-mirrors', 'azure-trust']);
  });
});
