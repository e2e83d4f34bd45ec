/**
 * `npm run synth` end to end on the small topology: both clouds written, twice gives byte-identical output, and an
 * invalid topology, a donor it does not enable or a failing app writes nothing and leaves earlier output alone.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { synthesize } from '../../lib/synth/synthesize';
import { tsxNodeArgs } from '../../lib/synth/tsx';
import { parseTopologyText } from '../../lib/topology';
import { fictDonor, WITH_FICT } from '../donors/fixtures/fict-donor';

const REPO = resolve(__dirname, '..', '..');
const SMALL = join(REPO, 'test', 'fixtures', 'topology-small.yaml');
const FICT_SECTION = {
  regions: ['fict-north'],
  blobBaseUrl: 'https://blobs.fictional.example',
  storeDirectory: '/nowhere',
};

function synth(cwd: string, ...args: string[]) {
  const env = { ...process.env };
  delete env.TOPOLOGY;
  return spawnSync(process.execPath, [...tsxNodeArgs(join(REPO, 'bin', 'synth.ts')), ...args], {
    cwd,
    env,
    encoding: 'utf8',
  });
}

/** Relative path -> sha256 of every file below dir. */
function treeHashes(dir: string): Record<string, string> {
  const hashes: Record<string, string> = {};
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else hashes[relative(dir, path)] = createHash('sha256').update(readFileSync(path)).digest('hex');
    }
  };
  walk(dir);
  return hashes;
}

describe('npm run synth', () => {
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'synth-test-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('synthesizes both clouds, prints a summary, and gives identical output twice', () => {
    // Left by an earlier synth of a topology that enabled Azure.
    mkdirSync(join(work, 'cdktf.out.azure'));
    writeFileSync(join(work, 'cdktf.out.azure', 'manifest.json'), '{}');
    const first = synth(work, '--topology', SMALL);
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/^AWS: \d+ stacks, \d+ resources -> cdk\.out\/$/m);
    expect(first.stdout).toMatch(/^GCP: \d+ stacks, \d+ resources -> cdktf\.out\/$/m);
    expect(first.stdout).toMatch(/AWS::S3::Bucket/);
    expect(first.stdout).toContain('Azure: not enabled in this topology, cdktf.out.azure/ removed');
    const aws = treeHashes(join(work, 'cdk.out'));
    const gcp = treeHashes(join(work, 'cdktf.out'));
    expect(Object.keys(aws).length).toBeGreaterThan(2);

    const second = synth(work, '--topology', SMALL);
    expect(second.status).toBe(0);
    expect(treeHashes(join(work, 'cdk.out'))).toEqual(aws);
    expect(treeHashes(join(work, 'cdktf.out'))).toEqual(gcp);
    expect(readdirSync(work).sort()).toEqual(['cdk.out', 'cdktf.out']);
  });

  it('writes nothing for an invalid topology and keeps the previous output', () => {
    const dir = join(work, 'invalid');
    mkdirSync(join(dir, 'cdk.out'), { recursive: true });
    writeFileSync(join(dir, 'cdk.out', 'previous.txt'), 'kept');
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, readFileSync(SMALL, 'utf8').replace('uploadRegion: us-east-2', 'uploadRegion: us-east-9'));

    const result = synth(dir, '--topology', bad);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('aws.uploadRegion: "us-east-9" is not one of aws.mirrorRegions');
    expect(result.stderr).toContain('nothing was synthesized');
    expect(readdirSync(dir).sort()).toEqual(['bad.yaml', 'cdk.out']);
    expect(readFileSync(join(dir, 'cdk.out', 'previous.txt'), 'utf8')).toBe('kept');
  });

  it('refuses --only a donor the topology does not enable, and writes nothing', () => {
    const dir = join(work, 'only-disabled');
    mkdirSync(dir);
    const result = synth(dir, '--topology', SMALL, '--only', 'azure');
    expect(result.status).toBe(1);
    expect(result.stderr).toBe('azure is not enabled in this topology (azure.enabled): nothing was synthesized.\n');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('when an app fails, removes every partial output and keeps the previous one', async () => {
    const dir = join(work, 'failing-app');
    mkdirSync(join(dir, 'cdktf.fict.out'), { recursive: true });
    writeFileSync(join(dir, 'cdktf.fict.out', 'previous.txt'), 'kept');
    const topology = join(dir, 'topology.json');
    const raw = { ...(parseTopologyText(readFileSync(SMALL, 'utf8'), SMALL) as object), fict: FICT_SECTION };
    writeFileSync(topology, JSON.stringify(raw));
    const failing = { ...fictDonor, infra: 'test/synth/fixtures/failing-infra' };
    let stderr = '';
    const err = new PassThrough().on('data', (c: Buffer) => (stderr += c.toString()));

    const code = await synthesize({
      topology,
      only: 'fict',
      env: {},
      root: REPO,
      cwd: dir,
      donors: WITH_FICT.map((donor) => (donor === fictDonor ? failing : donor)),
      stdout: new PassThrough(),
      stderr: err,
    });
    expect(code).toBe(1);
    expect(stderr).toContain('Fictional Cloud synth failed (exit 3):\nthe app broke half-way');
    expect(stderr).toContain('nothing was written: the previous output, if any, is unchanged.');
    expect(readdirSync(dir).sort()).toEqual(['cdktf.fict.out', 'topology.json']);
    expect(readdirSync(join(dir, 'cdktf.fict.out'))).toEqual(['previous.txt']);
  }, 60_000);

  it.each([
    [['--only', 'oracle'], /--only "oracle" is not one of aws, gcp, azure/],
    [['--bogus'], /unknown flag --bogus/],
  ])('refuses bad arguments %j with usage', (args, message) => {
    const result = synth(work, ...args);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});
