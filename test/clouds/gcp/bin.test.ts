/** bin/gcp.ts as bin/synth.ts and `cdktf synth` run it: a bad topology exits 1 and writes nothing. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tsxNodeArgs } from '../../../lib/synth/tsx';
import { GCP_STACK_IDS } from '../../../lib/clouds/gcp/infra/names';
import type { RoutingTable } from '../../../lib/topology';
import { resourcesOf, SMALL_TOPOLOGY_FILE, type TerraformJson } from './support';

const GCP_APP = join(__dirname, '..', '..', '..', 'bin', 'gcp.ts');

function runGcpApp(args: string[], outdir: string, extraEnv: Record<string, string> = {}) {
  return spawnSync(process.execPath, [...tsxNodeArgs(GCP_APP), ...args], {
    env: { ...process.env, CDKTF_OUTDIR: outdir, TOPOLOGY: '', ...extraEnv },
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

  it("routes the CDN's clients to the domain the deploy passes, and to the CDN's primary bucket without it", () => {
    // The fixture names a CDN domain; without one, the distribution's own name comes from the CDN stack's deploy.
    const topology = join(dir, 'no-cdn-domain.yaml');
    writeFileSync(topology, readFileSync(SMALL_TOPOLOGY_FILE, 'utf8').replace(/\n\s*domainName: .*/, ''));
    const defaultBackends = (env: Record<string, string>) => {
      const outdir = join(dir, `cdn-${Object.keys(env).length}`);
      const result = runGcpApp(['--topology', topology], outdir, env);
      expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
      const stack = JSON.parse(
        readFileSync(join(outdir, 'stacks', GCP_STACK_IDS.redirector, 'cdk.tf.json'), 'utf8'),
      ) as TerraformJson;
      const tables = resourcesOf(stack, 'google_cloud_run_v2_service').map((service) => {
        const { env } = (service as { template: { containers: { env: { name: string; value: string }[] }[] } }).template
          .containers[0]!;
        return (JSON.parse(env.find((e) => e.name === 'ROUTING_TABLE')!.value) as RoutingTable).defaultBlobBaseUrl;
      });
      expect(tables).toHaveLength(2);
      return tables;
    };
    expect(defaultBackends({ DEPLOYED_CDN_DOMAIN_NAME: 'd111111abcdef8.cloudfront.net' })).toContain(
      'https://d111111abcdef8.cloudfront.net',
    );
    expect(defaultBackends({})).toEqual([
      'https://small-registry-us-east-2.s3.dualstack.us-east-2.amazonaws.com',
      'https://small-registry-us-east-2.s3.dualstack.us-east-2.amazonaws.com',
    ]);
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
