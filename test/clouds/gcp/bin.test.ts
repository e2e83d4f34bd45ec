/** bin/gcp.ts as bin/synth.ts and `cdktf synth` run it: a bad topology exits 1 and writes nothing. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tsxNodeArgs } from '../../../lib/synth/tsx';
import { GCP_STACK_IDS } from '../../../lib/clouds/gcp/infra/names';
import { SMALL_TOPOLOGY_FILE } from './support';

const GCP_APP = join(__dirname, '..', '..', '..', 'bin', 'gcp.ts');

function runGcpApp(args: string[], outdir: string) {
  return spawnSync(process.execPath, [...tsxNodeArgs(GCP_APP), ...args], {
    env: { ...process.env, CDKTF_OUTDIR: outdir, TOPOLOGY: '' },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe('bin/gcp.ts', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'gcp-bin-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 1 on an invalid topology, lists every problem and writes nothing', () => {
    const bad = join(dir, 'bad.yaml');
    const text = readFileSync(SMALL_TOPOLOGY_FILE, 'utf8')
      .replace('repository: images', 'repository: Images!')
      .replace('notificationEmail: alerts@example.com', 'notificationEmail: not-an-address');
    writeFileSync(bad, text);
    const outdir = join(dir, 'bad-out');

    const result = runGcpApp(['--topology', bad], outdir);

    expect(result.status).toBe(1);
    expect(result.stderr).toContain('invalid topology');
    expect(result.stderr).toContain('gcp.repository');
    expect(result.stderr).toContain('gcp.observability.notificationEmail');
    expect(existsSync(outdir)).toBe(false);
  });

  it('synthesizes every stack into CDKTF_OUTDIR, the same bytes each time', () => {
    const outputs = ['first', 'second'].map((name) => {
      const outdir = join(dir, name, 'cdktf.out');
      const result = runGcpApp(['--topology', SMALL_TOPOLOGY_FILE], outdir);
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as {
        stacks: Record<string, { synthesizedStackPath: string }>;
      };
      expect(Object.keys(manifest.stacks).sort()).toEqual(Object.values(GCP_STACK_IDS).sort());
      return Object.values(manifest.stacks).map((s) => readFileSync(join(outdir, s.synthesizedStackPath), 'utf8'));
    });
    expect(outputs[1]).toEqual(outputs[0]);
  });
});
