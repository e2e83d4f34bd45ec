/** The command-line tools: the explain tool (bin/route.ts, run as a process) and the range downloader's logic. */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { downloadRanges, rangesUrl } from '../../bin/fetch-ip-ranges';
import { donorById } from '../../lib/clouds/donors';
import { RangeFileError } from '../../lib/clouds/ranges';
import { DIGEST, FIXTURES, IP_RANGES, SMALL_TOPOLOGY } from './fixtures';

const run = promisify(execFile);
const ROOT = join(__dirname, '../..');
const TSX = join(ROOT, 'node_modules/.bin/tsx');

async function route(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout } = await run(TSX, ['bin/route.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, IP_RANGES: '', ...env },
    });
    return { code: 0, output: JSON.parse(stdout) as Record<string, unknown> };
  } catch (err) {
    const failed = err as { code: number; stderr: string };
    return { code: failed.code, output: failed.stderr };
  }
}

describe('bin/route.ts (explain tool)', () => {
  it('prints the decision the server makes, with --blob-present standing in for the HEAD', async () => {
    const args = [
      '--topology',
      SMALL_TOPOLOGY,
      '--region',
      'us-central1',
      '--ip',
      '18.200.1.1',
      '--path',
      `/v2/pause/blobs/${DIGEST}`,
    ];
    const [present, absent] = await Promise.all([
      route([...args, '--blob-present', 'yes'], { IP_RANGES }),
      route([...args, '--blob-present=no'], { IP_RANGES }),
    ]);
    expect(present).toEqual({
      code: 0,
      output: {
        status: 307,
        location: `https://small-registry-eu-west-1.s3.dualstack.eu-west-1.amazonaws.com/containers/images/${DIGEST}`,
        backend: 'mirror',
        cloud: 'aws',
        region: 'eu-west-1',
        reason: 'mirror of the client region',
      },
    });
    expect(absent.output).toMatchObject({
      status: 307,
      location: `https://us-central1-docker.pkg.dev/v2/small-artifacts/images/pause/blobs/${DIGEST}`,
      backend: 'upstream',
    });
  });

  it('takes --ranges, and fails clearly without ranges or with an unknown flag', async () => {
    const ranges = ['--ranges', `aws=${join(FIXTURES, 'ip-ranges/aws.json')}`];
    const [manifest, noRanges, unknown] = await Promise.all([
      route([...ranges, '--ip', '::1', '--path', '/v2/pause/manifests/3.9?n=1', '--method', 'HEAD']),
      route(['--ip', '::1', '--path', '/v2/']),
      route([...ranges, '--ip', '::1', '--path', '/', '--verbose']),
    ]);
    expect(manifest).toEqual({
      code: 0,
      output: {
        status: 307,
        location: 'https://us-central1-docker.pkg.dev/v2/k8s-artifacts-prod/images/pause/manifests/3.9?n=1',
        backend: 'upstream',
        cloud: null,
        region: null,
        reason: 'manifests come from the upstream',
      },
    });
    expect(noRanges).toEqual({ code: 2, output: expect.stringContaining('no IP ranges: pass --ranges cloud=FILE') });
    expect(unknown).toEqual({ code: 2, output: expect.stringContaining('unknown flag --verbose') });
  });
});

describe('bin/fetch-ip-ranges.ts', () => {
  const fixture = (name: string) => readFileSync(join(FIXTURES, 'ip-ranges', name), 'utf8');

  it('downloads a fixed URL and validates it with the donor parser', async () => {
    const asked: string[] = [];
    const text = await downloadRanges(donorById('aws'), async (url) => {
      asked.push(url);
      return fixture('aws.json');
    });
    expect(asked).toEqual(['https://ip-ranges.amazonaws.com/ip-ranges.json']);
    expect(text).toBe(fixture('aws.json'));
  });

  it('finds the Azure file link on its download page', async () => {
    const link = 'https://download.microsoft.com/download/7/1/d/71d86715/ServiceTags_Public_20250721.json';
    const page = `<a href="${link}" class="download">Download</a>`;
    expect(await rangesUrl(donorById('azure'), async () => page)).toBe(link);
    await expect(rangesUrl(donorById('azure'), async () => '<html></html>')).rejects.toThrow(/azure: no link matching/);
  });

  it('refuses a download that does not parse', async () => {
    await expect(downloadRanges(donorById('gcp'), async () => '{"prefixes":[{"ipv4Prefix":"x"}]}')).rejects.toThrow(
      RangeFileError,
    );
  });
});
