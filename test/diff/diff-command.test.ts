/**
 * `npm run diff` end to end in a throwaway git repository made of the project's committed files (HEAD, not the
 * shared working tree, whose unfinished edits are not part of any revision), on the small topology: each case
 * edits the working tree the way a pull request would and checks the exact changes, flags, routing impact and
 * exit code. The base is synthesized once and then comes from the cache.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { tsxNodeArgs } from '../../lib/synth/tsx';

const REPO = resolve(__dirname, '..', '..');
const TOPOLOGY = 'test/fixtures/topology-small.yaml';
const US_EAST_2 = 'https://small-registry-us-east-2.s3.dualstack.us-east-2.amazonaws.com';
const EU_WEST_1 = 'https://small-registry-eu-west-1.s3.dualstack.eu-west-1.amazonaws.com';
const US_WEST_2 = 'https://small-registry-us-west-2.s3.dualstack.us-west-2.amazonaws.com';
const CDN = 'https://cdn.example.com';

let work: string;
let repo: string;

function git(...args: string[]): string {
  const result = spawnSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', ...args], {
    cwd: repo,
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

function edit(path: string, from: string | RegExp, to: string): void {
  const file = join(repo, path);
  const text = readFileSync(file, 'utf8');
  const edited = text.replace(from, to);
  if (edited === text) throw new Error(`${path} has no ${String(from)}: the test's edit no longer applies`);
  writeFileSync(file, edited);
}

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function diff(...args: string[]): Run {
  const env = { ...process.env };
  delete env.TOPOLOGY;
  return spawnSync(process.execPath, [...tsxNodeArgs(join(REPO, 'bin', 'diff.ts')), ...args], {
    cwd: repo,
    env,
    encoding: 'utf8',
  });
}

const diffJson = (...args: string[]) => {
  const run = diff('--topology', TOPOLOGY, '--format', 'json', ...args);
  return { ...run, report: run.stdout ? JSON.parse(run.stdout) : undefined };
};

/** One line per change, for exact comparison: `<cloud> <stack> <resource> <action> [paths] [danger]`. */
function lines(report: {
  changes: { cloud: string; stack: string; resource: string; action: string; paths: string[]; danger: string[] }[];
}) {
  return report.changes.map(
    (c) =>
      `${c.cloud} ${c.stack} ${c.resource} ${c.action}` +
      (c.paths.length > 0 ? ` ${c.paths.join(',')}` : '') +
      (c.danger.length > 0 ? ` ! ${c.danger.join(' ! ')}` : ''),
  );
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'diff-test-'));
  repo = join(work, 'repo');
  mkdirSync(repo);
  const archive = spawnSync('sh', ['-c', `git -C "${REPO}" archive HEAD | tar -x -C "${repo}"`], { encoding: 'utf8' });
  if (archive.status !== 0) throw new Error(archive.stderr);
  git('init', '-q', '-b', 'main');
  writeFileSync(join(repo, '.git', 'info', 'exclude'), 'node_modules\n');
  symlinkSync(join(REPO, 'node_modules'), join(repo, 'node_modules'), 'dir');
  git('add', '-A');
  git('commit', '-q', '-m', 'base');
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

afterEach(() => {
  git('checkout', '-q', '--force', 'main'); // back on main, every edit undone
});

describe('npm run diff', () => {
  it('reports no change (exit 0) and caches the base it synthesized', () => {
    const first = diffJson();
    expect(first.stderr).toMatch(/base main \([0-9a-f]{12}\) synthesized/);
    expect(first.status).toBe(0);
    expect(first.report).toEqual({ base: 'main', changes: [], routing: [] });

    const second = diffJson();
    expect(second.stderr).toMatch(/base main \([0-9a-f]{12}\) cached/);
    expect(second.status).toBe(0);
    expect(git('worktree', 'list').trim().split('\n')).toHaveLength(1);
  });

  it('adding a mirror region adds its stack, extends replication and moves its clients (exit 2)', () => {
    edit(TOPOLOGY, 'mirrorRegions: [us-east-2, eu-west-1]', 'mirrorRegions: [us-east-2, eu-west-1, us-west-2]');
    const { status, report, stderr } = diffJson('--fail-on-destructive');
    expect(stderr).toMatch(/cached/);
    expect(lines(report)).toEqual([
      'aws small-registry-us-east-2 MirrorBucket2EA7A1D4 modify ReplicationConfiguration.Rules',
      'aws small-registry-us-east-2 MirrorReplicationRoleF69BC6AB modify Description,Policies[0].PolicyDocument.Statement[2].Resource',
      'aws small-registry-us-west-2 MirrorAccessLogs3BC759E6 add',
      'aws small-registry-us-west-2 MirrorAccessLogsPolicy306E5619 add',
      'aws small-registry-us-west-2 MirrorBucket2EA7A1D4 add',
      'aws small-registry-us-west-2 MirrorBucketPolicy70257DDA add',
      'gcp gcp-redirector google_cloud_run_v2_service.redirector-europe-west1_service_8AAF6213 modify template.containers[0].env[0].value',
      'gcp gcp-redirector google_cloud_run_v2_service.redirector-us-central1_service_B1EF0E1C modify template.containers[0].env[0].value',
    ]);
    expect(report.routing).toEqual([
      { region: 'europe-west1', client: 'aws:us-west-2', from: CDN, to: US_WEST_2 },
      { region: 'us-central1', client: 'aws:us-west-2', from: US_EAST_2, to: US_WEST_2 },
    ]);
    expect(status).toBe(2);
  });

  it('changing a bucket setting modifies every mirror bucket and nothing else', () => {
    edit(TOPOLOGY, '  uploadRegion: us-east-2\n', '  uploadRegion: us-east-2\n  noncurrentVersionExpirationDays: 60\n');
    const { status, report } = diffJson();
    const path = 'LifecycleConfiguration.Rules[0].NoncurrentVersionExpiration.NoncurrentDays';
    expect(lines(report)).toEqual([
      `aws small-registry-eu-west-1 MirrorBucket2EA7A1D4 modify ${path}`,
      `aws small-registry-us-east-2 MirrorBucket2EA7A1D4 modify ${path}`,
    ]);
    expect(report.routing).toEqual([]);
    expect(status).toBe(2);
  });

  it('widening an IAM policy and its trust is flagged, and fails with --fail-on-destructive unless allowed', () => {
    edit('lib/clouds/aws/infra/writer-role.ts', "'s3:PutObject', ", "'s3:PutObject', 's3:DeleteObject', ");
    edit(TOPOLOGY, "subject: '111111111111111111111'", "subject: '222222222222222222222'");
    const flagged = diffJson('--fail-on-destructive');
    expect(lines(flagged.report)).toEqual([
      'aws small-registry-us-east-2 WriterRole7A2A3899 modify ' +
        'AssumeRolePolicyDocument.Statement[0].Condition.StringEquals."accounts.google.com:sub",Policies[0].PolicyDocument.Statement[0].Action' +
        ' ! iam-widened: new action s3:DeleteObject for AWS:${WriterRole7A2A3899} ! trust-changed: AssumeRolePolicyDocument changed',
    ]);
    expect(flagged.status).toBe(3);
    expect(diffJson('--fail-on-destructive', '--allow-destructive', 'AWS::IAM::Role').status).toBe(2);
  });

  it('removing a Cloud Run region removes its service and NEG; its clients lose their redirector', () => {
    edit(TOPOLOGY, '      europe-west1: { defaultBlobBackend: cdn }\n', '');
    const { status, report } = diffJson();
    expect(lines(report)).toEqual([
      'gcp gcp-frontend google_compute_region_network_endpoint_group.load-balancer_neg-europe-west1_34D02B62 remove',
      'gcp gcp-frontend google_compute_backend_service.load-balancer_backend-service_456DC517 modify backend',
      'gcp gcp-redirector google_cloud_run_v2_service.redirector-europe-west1_service_8AAF6213 remove',
      'gcp gcp-redirector google_cloud_run_v2_service_iam_member.redirector-europe-west1_public-invoker_167322BB remove',
    ]);
    expect(report.routing).toEqual([
      { region: 'europe-west1', client: 'aws:eu-west-1', from: EU_WEST_1, to: null },
      { region: 'europe-west1', client: 'aws:eu-west-2', from: EU_WEST_1, to: null },
      { region: 'europe-west1', client: 'aws:us-east-2', from: US_EAST_2, to: null },
      {
        region: 'europe-west1',
        client: 'gcp',
        from: 'https://europe-west1-docker.pkg.dev/v2/small-artifacts/images',
        to: null,
      },
      { region: 'europe-west1', client: 'other', from: CDN, to: null },
    ]);
    expect(status).toBe(2);
  });

  it("changing a region's default backend moves the clients outside the donors", () => {
    edit(TOPOLOGY, 'us-central1: { defaultBlobBackend: us-east-2 }', 'us-central1: { defaultBlobBackend: cdn }');
    const { status, report } = diffJson();
    expect(lines(report)).toEqual([
      'gcp gcp-redirector google_cloud_run_v2_service.redirector-us-central1_service_B1EF0E1C modify template.containers[0].env[0].value',
    ]);
    expect(report.routing).toEqual([{ region: 'us-central1', client: 'other', from: US_EAST_2, to: CDN }]);
    expect(status).toBe(2);
  });

  it('a head that drops a stack removes all of it, and the retained buckets are flagged', () => {
    git('checkout', '-q', '-b', 'with-us-west-2');
    edit(TOPOLOGY, 'mirrorRegions: [us-east-2, eu-west-1]', 'mirrorRegions: [us-east-2, eu-west-1, us-west-2]');
    git('commit', '-q', '-am', 'mirror in us-west-2');
    edit(TOPOLOGY, 'mirrorRegions: [us-east-2, eu-west-1, us-west-2]', 'mirrorRegions: [us-east-2, eu-west-1]');
    const { status, report } = diffJson('--base', 'with-us-west-2', '--fail-on-destructive');
    expect(report.base).toBe('with-us-west-2');
    const retained = 'stateful-removed: deletes the S3 bucket (retained: it stays, unmanaged)';
    expect(lines(report).filter((line) => line.includes('us-west-2 '))).toEqual([
      `aws small-registry-us-west-2 MirrorAccessLogs3BC759E6 remove ! ${retained}`,
      `aws small-registry-us-west-2 MirrorBucket2EA7A1D4 remove ! ${retained}`,
      'aws small-registry-us-west-2 MirrorAccessLogsPolicy306E5619 remove',
      'aws small-registry-us-west-2 MirrorBucketPolicy70257DDA remove',
    ]);
    expect(report.routing).toHaveLength(2);
    expect(status).toBe(3);
  });

  describe('a donor whose app is Terraform of its own (Azure)', () => {
    const AZURE_SECTION = [
      'azure:',
      '  subscriptionId: 00000000-0000-0000-0000-000000000000',
      '  tenantId: 00000000-0000-0000-0000-000000000000',
      '  resourceGroup: small-registry',
      '  location: westeurope',
      '  storageAccountPrefix: smallreg',
      '  mirrorRegions: [westeurope]',
      '',
    ].join('\n');
    const onboard = () =>
      writeFileSync(join(repo, TOPOLOGY), readFileSync(join(repo, TOPOLOGY), 'utf8') + AZURE_SECTION);
    const AZURE_WEU = 'https://smallregweu.blob.core.windows.net/images';

    it('onboarding it dark adds its stack, whose app the base did not run, and moves no client', () => {
      onboard();
      const { status, report } = diffJson();
      const azure = report.changes.filter((c: { cloud: string }) => c.cloud === 'azure');
      expect(azure.length).toBeGreaterThan(5);
      expect(new Set(azure.map((c: { stack: string; action: string }) => `${c.stack} ${c.action}`))).toEqual(
        new Set(['azure-mirrors add']),
      );
      // The one flag: the new managed identity is a principal the base did not know (as a new service account is).
      expect(lines(report).filter((line) => line.startsWith('azure ') && line.includes(' ! '))).toEqual([
        'azure azure-mirrors azurerm_role_assignment.replicator_writes-westeurope_E014A392 add ! iam-widened: new principal ' +
          '${azurerm_user_assigned_identity.replicator_identity_4CB7EC1F.principal_id} (Storage Blob Data Contributor)',
      ]);
      expect(report.routing).toEqual([]);
      expect(status).toBe(2);
    });

    it('raising its share moves the slice between the two shares; its storage weakened is flagged', () => {
      git('checkout', '-q', '-b', 'azure-at-10');
      onboard();
      edit(TOPOLOGY, '  mirrorRegions: [westeurope]\n', '  mirrorRegions: [westeurope]\n  trafficShare: 10\n');
      git('commit', '-q', '-am', 'Azure at 10%');
      edit(TOPOLOGY, 'trafficShare: 10', 'trafficShare: 50');
      edit('lib/clouds/azure/infra/public-blob-mirror.ts', "minTlsVersion: 'TLS1_2'", "minTlsVersion: 'TLS1_0'");
      const { status, report } = diffJson('--base', 'azure-at-10', '--fail-on-destructive');
      expect(lines(report).filter((line) => line.startsWith('azure '))).toEqual([
        'azure azure-mirrors azurerm_storage_account.mirror-westeurope_account_434CEFEA modify min_tls_version ! storage-weakened: TLS below 1.2 accepted (min_tls_version TLS1_0)',
      ]);
      expect(report.routing).toEqual([
        { region: 'europe-west1', client: 'azure:westeurope (10-50% of its clients)', from: CDN, to: AZURE_WEU },
        { region: 'us-central1', client: 'azure:westeurope (10-50% of its clients)', from: US_EAST_2, to: AZURE_WEU },
      ]);
      expect(status).toBe(3);
    });
  });

  it('a topology outside the repository is used for both sides', () => {
    const outside = join(work, 'outside.yaml');
    copyFileSync(join(repo, TOPOLOGY), outside);
    edit(TOPOLOGY, 'us-central1: { defaultBlobBackend: us-east-2 }', 'us-central1: { defaultBlobBackend: cdn }');
    const run = diff('--topology', outside, '--format', 'json');
    expect(run.stderr).toMatch(/synthesized/);
    expect(JSON.parse(run.stdout)).toEqual({ base: 'main', changes: [], routing: [] });
    expect(run.status).toBe(0);
  });

  it('a side that fails to synthesize is an error (exit 1), never "no change"', () => {
    edit(TOPOLOGY, 'uploadRegion: us-east-2', 'uploadRegion: us-east-9');
    const run = diffJson();
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('diff: working tree: AWS synth failed (exit 1)');
    expect(run.stderr).toContain('aws.uploadRegion: "us-east-9" is not one of aws.mirrorRegions');
    expect(git('worktree', 'list').trim().split('\n')).toHaveLength(1);
  });

  it('--help prints the usage and the danger rules, exit 0', () => {
    const run = diff('--help');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('usage: npm run diff -- [--base REF]');
    expect(run.stdout).toContain('danger flags: stateful-removed, stateful-replaced,');
  });

  it.each([
    [['--bogus'], 'diff: unknown flag --bogus'],
    [['--format', 'yaml'], 'diff: --format "yaml" is not one of text, markdown, json'],
    [['--base'], 'diff: --base needs a value'],
    [['--base', 'no-such-ref'], '--base no-such-ref: not a commit'],
    [['--topology', 'missing.yaml'], '--topology missing.yaml: no such file'],
  ])('refuses %j with exit 1, naming it', (args, message) => {
    const run = diff(...args);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(message);
    expect(run.stderr).toContain('diff: --help shows the usage');
  });
});
