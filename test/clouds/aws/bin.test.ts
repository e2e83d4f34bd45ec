/**
 * bin/aws.ts as the lead's orchestrator runs it: a child process with CDK_OUTDIR. An invalid topology exits 1
 * before anything is written; a valid one writes exactly what the in-process synthesis writes (same cdk.json
 * context, no absolute paths or timestamps), so synthesis is deterministic across processes.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { tsxNodeArgs } from '../../../lib/synth/tsx';
import { SMALL_TOPOLOGY_FILE, smallTopology, synthAws } from './support';

/** The writer role's trust statements in the upload stack (us-east-2) of a small-topology assembly. */
function writerTrust(outdir: string): Record<string, unknown>[] {
  const template = JSON.parse(readFileSync(join(outdir, 'small-registry-us-east-2.template.json'), 'utf8')) as {
    Resources: Record<string, { Type: string; Properties: Record<string, any> }>; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
  const writer = Object.values(template.Resources).find(
    (r) => r.Type === 'AWS::IAM::Role' && r.Properties.RoleName === 'registry-replicator-writer',
  )!;
  return writer.Properties.AssumeRolePolicyDocument.Statement;
}

const BIN = resolve(__dirname, '../../../bin/aws.ts');

function runBin(
  args: string[],
  outdir: string,
  extraEnv: Record<string, string> = {},
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((done, fail) => {
    const env: NodeJS.ProcessEnv = { ...process.env, CDK_OUTDIR: outdir, ...extraEnv };
    delete env.TOPOLOGY;
    delete env.CDK_CONTEXT_JSON;
    const child = spawn(process.execPath, [...tsxNodeArgs(BIN), ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stderr }));
  });
}

/**
 * Every file of a cloud assembly, by relative path. CDK always records where Validations.acknowledge() was called
 * (a `trace` in *.metadata.json): the same for every run of bin/aws.ts, different from a test's call stack.
 */
function readTree(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const text = readFileSync(path, 'utf8');
    files.set(
      path.slice(dir.length + 1),
      path.endsWith('.metadata.json')
        ? JSON.stringify(JSON.parse(text, (k, v) => (k === 'trace' ? undefined : v)))
        : text,
    );
  }
  return files;
}

describe('bin/aws.ts', () => {
  let work: string;
  beforeAll(() => (work = mkdtempSync(join(tmpdir(), 'aws-bin-'))));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('exits 1 with every topology problem on stderr and writes nothing', async () => {
    const bad = join(work, 'bad.yaml');
    writeFileSync(bad, readFileSync(SMALL_TOPOLOGY_FILE, 'utf8').replace(/accountId: .*/, 'accountId: "12345"'));
    const outdir = join(work, 'bad-out');
    const { code, stderr } = await runBin(['--topology', bad], outdir);
    expect(code).toBe(1);
    expect(stderr).toContain(`invalid topology (${bad})`);
    expect(stderr).toContain('aws.accountId: must be a 12-digit AWS account ID');
    expect(existsSync(outdir)).toBe(false);
  });

  describe('with the subject left to the deploy', () => {
    let topology: string;
    beforeAll(() => {
      topology = join(work, 'no-subject.yaml');
      writeFileSync(topology, readFileSync(SMALL_TOPOLOGY_FILE, 'utf8').replace(/\n\s*subject: .*/, ''));
    });

    it('trusts the replicator ID the deploy passes in the environment', async () => {
      const outdir = join(work, 'deployed-out');
      const env = { DEPLOYED_REPLICATOR_UNIQUE_ID: '104640947226104812386' };
      expect(await runBin(['--topology', topology], outdir, env)).toEqual({ code: 0, stderr: '' });
      expect(writerTrust(outdir)).toEqual([
        expect.objectContaining({
          Effect: 'Allow',
          Condition: {
            StringEquals: {
              'accounts.google.com:oaud': 'sts.amazonaws.com',
              'accounts.google.com:sub': '104640947226104812386',
            },
          },
        }),
      ]);
    });

    it('trusts no one without it (offline synth)', async () => {
      const outdir = join(work, 'safe-out');
      expect(await runBin(['--topology', topology], outdir, { DEPLOYED_REPLICATOR_UNIQUE_ID: '' })).toEqual({
        code: 0,
        stderr: '',
      });
      expect(writerTrust(outdir).map((statement) => statement.Effect)).toEqual(['Allow', 'Deny']);
    });

    it('refuses a malformed value, naming the variable, and writes nothing', async () => {
      const outdir = join(work, 'malformed-out');
      const { code, stderr } = await runBin(['--topology', topology], outdir, {
        DEPLOYED_REPLICATOR_UNIQUE_ID: 'replicator@example.iam.gserviceaccount.com',
      });
      expect(code).toBe(1);
      expect(stderr).toContain("DEPLOYED_REPLICATOR_UNIQUE_ID: must be a service account's numeric unique ID");
      expect(existsSync(outdir)).toBe(false);
    });
  });

  it('synthesizes the small topology byte for byte like the in-process app', async () => {
    const outdir = join(work, 'small-out');
    const { code, stderr } = await runBin(['--topology', SMALL_TOPOLOGY_FILE], outdir);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const inProcess = synthAws(smallTopology());
    try {
      const fromBin = readTree(outdir);
      expect([...fromBin.keys()].sort()).toEqual([...readTree(inProcess.outdir).keys()].sort());
      expect(fromBin).toEqual(readTree(inProcess.outdir));
      expect([...fromBin.keys()]).toEqual(
        expect.arrayContaining(['manifest.json', 'small-registry-cdn.template.json']),
      );
      for (const text of fromBin.values()) expect(text).not.toContain(resolve(__dirname, '../../..'));
    } finally {
      inProcess.cleanup();
    }
  });
});
