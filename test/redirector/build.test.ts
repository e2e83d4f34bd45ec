/**
 * npm run build:redirector builds what the image runs (the Dockerfile runs the same script), and what it writes
 * serves with only PORT and ADMIN_PORT set, from any working directory: its ranges are the index beside it, its
 * bundle is compiled with the code cache beside it.
 */
import {
  appendFileSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BUILD_FLAGS, buildOptions, buildRedirector } from '../../bin/build-redirector';
import { FlagError, parseFlags } from '../../lib/config/command-line';
import { ManagedChild, runToEnd, waitForHttp } from '../../lib/local/processes';
import { decodeBuiltTables } from '../../lib/redirector/built-tables';
import { IMAGE_FILES } from '../../lib/redirector/image-files';
import { decodeRangeIndex } from '../../lib/redirector/range-index-file';
import { tsxNodeArgs } from '../../lib/synth/tsx';
import { DEFAULT_TOPOLOGY_SOURCE, loadTopology, redirectorRegions, routingTableFor } from '../../lib/topology';
import { freePort } from '../support/ports';
import { RANGE_FILES } from './fixtures';

const ROOT = resolve(__dirname, '../..');
const RANGES = Object.entries(RANGE_FILES)
  .map(([cloud, file]) => `${cloud}=${file}`)
  .join(',');
/** An eu-west-1 address of the AWS fixture, then the load balancer's. */
const AWS_CLIENT = '18.200.1.2, 34.1.1.1';

const work = mkdtempSync(join(tmpdir(), 'build-redirector-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function buildCommand(args: string[]) {
  return runToEnd({
    name: 'build-redirector',
    command: process.execPath,
    args: [...tsxNodeArgs(join(ROOT, 'bin/build-redirector.ts')), ...args],
    cwd: work,
  });
}

/** `node <bundle>` with only these variables (and PATH), from a working directory of its own. */
async function serve(bundle: string, env: Record<string, string>, lines: string[]): Promise<ManagedChild> {
  const cwd = mkdtempSync(join(work, 'cwd-'));
  return new ManagedChild({
    name: 'redirector',
    command: process.execPath,
    args: [bundle],
    cwd,
    env: { PATH: process.env.PATH ?? '', ...env },
    onLine: (line) => lines.push(line),
  });
}

describe('npm run build:redirector -- --out DIR --ranges ...', () => {
  const out = join(work, 'out');
  let stdout: string[];

  beforeAll(async () => {
    stdout = [];
    const { exit, child } = await buildCommand(['--out', out, '--ranges', RANGES]);
    if (exit.code !== 0) throw new Error(child.describeExit(exit));
    stdout = child.tail().split('\n');
  }, 120_000);

  it('writes the entry, the bundle, its code cache, the range index and the routing tables, and names them', () => {
    expect(readdirSync(out).sort()).toEqual(Object.values(IMAGE_FILES).sort());
    expect(stdout).toEqual(
      Object.values(IMAGE_FILES).map((name) => expect.stringMatching(new RegExp(`^${join(out, name)} \\(\\d+ KiB`))),
    );
    expect(stdout.join('\n')).toMatch(new RegExp(`${IMAGE_FILES.rangeIndex} \\(\\d+ KiB, \\d+ intervals from aws=`));
  });

  it('the index records the files it was built from, with their SHA-256', () => {
    const { sources } = decodeRangeIndex(readFileSync(join(out, IMAGE_FILES.rangeIndex)), IMAGE_FILES.rangeIndex);
    expect(sources.map((s) => [s.cloud, s.file])).toEqual(Object.entries(RANGE_FILES));
    expect(sources.every((s) => /^[0-9a-f]{64}$/.test(s.sha256))).toBe(true);
  });

  it("leaves out what the redirector never uses: zod's locales, prom-client's Pushgateway (and node:https with it)", () => {
    const bundle = readFileSync(join(out, IMAGE_FILES.bundle), 'utf8');
    // (Booleans: a failing match would print the whole bundle.)
    const holds = (text: string) => bundle.includes(text);
    expect(holds('Invalid input')).toBe(true); // zod's English messages stay
    expect(holds('Input tidak valid')).toBe(false); // zod's Indonesian locale
    expect(holds('Missing jobName parameter')).toBe(false); // prom-client's Pushgateway
    // node:https only where a check first needs it (existence.ts), not among the modules loaded at start-up.
    expect(bundle.match(/require\("(node:)?https"\)/g)).toHaveLength(1);
    expect(/\{request:\w+,Agent:\w+\}=require\("node:https"\)/.test(bundle)).toBe(true);
  });

  it('node DIR/redirector.js with only PORT and ADMIN_PORT serves, with the ranges beside it', async () => {
    const [port, adminPort] = await Promise.all([freePort(), freePort()]);
    const lines: string[] = [];
    const server = await serve(
      join(out, IMAGE_FILES.entry),
      { PORT: String(port), ADMIN_PORT: String(adminPort) },
      lines,
    );
    try {
      await waitForHttp(`http://127.0.0.1:${port}/-/ready`, server);
      const v2 = await fetch(`http://127.0.0.1:${port}/v2/`);
      expect([v2.status, v2.headers.get('docker-distribution-api-version')]).toEqual([200, 'registry/2.0']);
      // A manifest is redirected without any existence check, and its pull line says where the client is.
      const manifest = await fetch(`http://127.0.0.1:${port}/v2/pause/manifests/3.10`, {
        redirect: 'manual',
        headers: { 'x-forwarded-for': AWS_CLIENT },
      });
      expect(manifest.status).toBe(307);
      expect(manifest.headers.get('location')).toMatch(/\/v2\/.*\/pause\/manifests\/3\.10$/);
    } finally {
      expect((await server.stop()).code).toBe(0);
    }
    // Every line is JSON: no warning about the code cache, which this Node made.
    const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const { canonicalRegion } = loadTopology().topology.gcp;
    const builtTables = join(out, IMAGE_FILES.routingTables);
    expect(logged.find((l) => 'intervals' in l)).toMatchObject({
      ranges: [{ cloud: 'index', file: join(out, IMAGE_FILES.rangeIndex) }],
      table: `${DEFAULT_TOPOLOGY_SOURCE} as built into ${builtTables}, region ${canonicalRegion}`,
    });
    expect(logged.find((l) => 'clientCloud' in l)).toMatchObject({ clientCloud: 'aws', clientRegion: 'eu-west-1' });
  }, 60_000);

  /** A copy of the build without some of its files, or with changed ones. */
  const variant = (name: string, change: (dir: string) => void) => {
    const dir = mkdtempSync(join(work, `${name}-`));
    for (const file of Object.values(IMAGE_FILES)) copyFileSync(join(out, file), join(dir, file));
    change(dir);
    return join(dir, IMAGE_FILES.entry);
  };
  const flipByte = (file: string, at: (length: number) => number) => {
    const bytes = readFileSync(file);
    bytes[at(bytes.length)]! ^= 0xff;
    writeFileSync(file, bytes);
  };

  it("the routing tables file holds, for every redirector region, the default topology's table", () => {
    const { topology } = loadTopology();
    const built = decodeBuiltTables(readFileSync(join(out, IMAGE_FILES.routingTables), 'utf8'), 'built');
    expect(built.canonicalRegion).toBe(topology.gcp.canonicalRegion);
    expect(Object.keys(built.tables).sort()).toEqual(redirectorRegions(topology));
    for (const region of redirectorRegions(topology)) {
      expect(built.tables[region]).toEqual(routingTableFor(topology, region));
    }
  });

  it('with REGION set, the bundle serves that region of the built tables; one that runs no redirector exits 2', async () => {
    const { topology } = loadTopology();
    const region = redirectorRegions(topology).find((r) => r !== topology.gcp.canonicalRegion)!;
    const port = await freePort();
    const lines: string[] = [];
    const server = await serve(
      join(out, IMAGE_FILES.entry),
      { PORT: String(port), ADMIN_PORT: '0', REGION: region },
      lines,
    );
    try {
      await waitForHttp(`http://127.0.0.1:${port}/-/ready`, server);
      const manifest = await fetch(`http://127.0.0.1:${port}/v2/pause/manifests/3.10`, { redirect: 'manual' });
      const { upstream } = routingTableFor(topology, region);
      expect(manifest.headers.get('location')).toBe(`${upstream.endpoint}/v2/${upstream.path}/pause/manifests/3.10`);
    } finally {
      await server.stop();
    }
    const unknown: string[] = [];
    const refused = await serve(join(out, IMAGE_FILES.entry), { PORT: '0', REGION: 'mars-north1' }, unknown);
    expect((await refused.exited).code).toBe(2);
    expect(unknown.join('\n')).toContain(`--region/REGION: "mars-north1" runs no redirector in embedded default`);
  }, 60_000);

  it('with a damaged routing tables file beside it, the bundle names the file and exits 1', async () => {
    const entry = variant('tables', (dir) => writeFileSync(join(dir, IMAGE_FILES.routingTables), '{"format":1,'));
    const lines: string[] = [];
    const server = await serve(entry, { PORT: String(await freePort()) }, lines);
    expect((await server.exited).code).toBe(1);
    expect(lines.join('\n')).toMatch(/invalid routing tables file .*routing-tables\.json: not valid JSON/);
  });

  it('without the index beside it and without IP_RANGES, the bundle names IP_RANGES and exits 2', async () => {
    const entry = variant('alone', (dir) => rmSync(join(dir, IMAGE_FILES.rangeIndex)));
    const lines: string[] = [];
    const server = await serve(entry, { PORT: String(await freePort()) }, lines);
    expect((await server.exited).code).toBe(2);
    expect(lines.join('\n')).toContain('IP_RANGES: not set');
  });

  it('with a corrupted index beside it, the bundle names the file and exits 1', async () => {
    const entry = variant('broken', (dir) => flipByte(join(dir, IMAGE_FILES.rangeIndex), (n) => n - 1));
    const lines: string[] = [];
    const server = await serve(entry, { PORT: String(await freePort()) }, lines);
    expect((await server.exited).code).toBe(1);
    expect(lines.join('\n')).toMatch(/invalid IP-range file .*ip-ranges\.bin: checksum mismatch/);
    // The fatal line too, in the log (flushed before the exit, or lost with the batch).
    const logged = lines.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as unknown);
    expect(logged).toContainEqual(
      expect.objectContaining({ severity: 'CRITICAL', file: expect.stringContaining(IMAGE_FILES.rangeIndex) }),
    );
  });

  it.each([
    [
      // The cache's header holds a hash of the V8 version that made it.
      'a code cache of another V8',
      (dir: string) => flipByte(join(dir, IMAGE_FILES.codeCache), () => 4),
      /V8 rejected .*redirector-main\.cache \(made by another Node, with other V8 flags, or for another redirector-main\.js\)/,
    ],
    [
      // V8 checks the cache against the source's length too.
      'a bundle changed after its code cache was made',
      (dir: string) => appendFileSync(join(dir, IMAGE_FILES.bundle), '\n// changed\n'),
      /V8 rejected .*redirector-main\.cache/,
    ],
    ['no code cache', (dir: string) => rmSync(join(dir, IMAGE_FILES.codeCache)), undefined],
  ])(
    'with %s, the bundle is compiled as usual and serves',
    async (name, change, warning) => {
      const entry = variant(name.replace(/ /g, '-'), change);
      const port = await freePort();
      const lines: string[] = [];
      const server = await serve(entry, { PORT: String(port), ADMIN_PORT: '0' }, lines);
      try {
        await waitForHttp(`http://127.0.0.1:${port}/-/ready`, server);
      } finally {
        await server.stop();
      }
      const warnings = lines.filter((line) => !line.startsWith('{'));
      expect(warnings).toEqual(warning ? [expect.stringMatching(warning)] : []);
    },
    60_000,
  );
});

describe('bad command lines and files', () => {
  const options = (args: string[]) =>
    buildOptions(parseFlags(args, { name: 'build', usage: '', flags: BUILD_FLAGS }) as never);
  const nowhere = join(work, 'not-written');

  it.each([
    ['--out is required', ['--ranges', RANGES]],
    ['--ranges: unknown cloud "oracle" (known: aws, gcp, azure)', ['--out', nowhere, '--ranges', 'oracle=a.json']],
    ['--ranges: cloud "aws" is given twice', ['--out', nowhere, '--ranges', 'aws=a.json,aws=b.json']],
    [
      "--ranges: give the donors' published files (cloud=FILE), not an index",
      ['--out', nowhere, '--ranges', 'index=a'],
    ],
  ])('%s', (message, args) => {
    expect(() => options(args)).toThrow(new FlagError(message));
  });

  it.each([
    ['package.json: "prefixes" must be an array', `aws=${join(ROOT, 'package.json')}`],
    ['aws.json: prefixes[0] {"ip_prefix":"3.0.0.0/9"', `gcp=${RANGE_FILES.aws}`],
    ['missing.json: cannot read', `aws=${join(work, 'missing.json')}`],
  ])('%s, and nothing is written', async (message, ranges) => {
    await expect(buildRedirector(options(['--out', nowhere, '--ranges', ranges]))).rejects.toThrow(message);
    expect(existsSync(nowhere)).toBe(false);
  });

  it('a donor file without ranges is refused', async () => {
    const empty = join(work, 'empty.json');
    writeFileSync(empty, '{"prefixes":[]}');
    await expect(buildRedirector({ out: nowhere, ranges: [{ cloud: 'gcp', file: empty }] })).rejects.toThrow(
      `invalid IP-range file ${empty}: holds no ranges`,
    );
  });

  it('the command reports a failed build on stderr and exits 1', async () => {
    const { exit, child } = await buildCommand(['--out', nowhere, '--ranges', `aws=${join(work, 'missing.json')}`]);
    expect(exit.code).toBe(1);
    expect(child.tail()).toMatch(/^build-redirector failed: invalid IP-range file .*missing\.json: cannot read/);
    expect(existsSync(nowhere)).toBe(false);
  }, 60_000);
});

describe('without --ranges: every donor official file, downloaded', () => {
  it('builds the index from what the donors publish (a stand-in for the network here)', async () => {
    const published: Record<string, string> = {
      'https://ip-ranges.amazonaws.com/ip-ranges.json': readFileSync(RANGE_FILES.aws, 'utf8'),
      'https://www.gstatic.com/ipranges/cloud.json': readFileSync(RANGE_FILES.gcp, 'utf8'),
      'https://www.microsoft.com/en-us/download/details.aspx?id=56519':
        '<a href="https://download.microsoft.com/download/7/1/d/ServiceTags_Public_20250721.json">',
      'https://download.microsoft.com/download/7/1/d/ServiceTags_Public_20250721.json': readFileSync(
        RANGE_FILES.azure,
        'utf8',
      ),
    };
    const out = join(work, 'downloaded');
    const result = await buildRedirector({
      out,
      fetchText: async (url) => published[url] ?? Promise.reject(new Error(`unexpected ${url}`)),
    });
    expect(result.sources.map((s) => [s.cloud, s.file])).toEqual([
      ['aws', 'https://ip-ranges.amazonaws.com/ip-ranges.json'],
      ['gcp', 'https://www.gstatic.com/ipranges/cloud.json'],
      ['azure', 'https://download.microsoft.com/download/7/1/d/ServiceTags_Public_20250721.json'],
    ]);
    const { tables } = decodeRangeIndex(readFileSync(result.index), result.index);
    expect(tables.locations.map((l) => l.cloud)).toEqual(expect.arrayContaining(['aws', 'gcp', 'azure']));
  }, 120_000);
});

describe('docker/redirector.Dockerfile', () => {
  const dockerfile = readFileSync(join(ROOT, 'docker/redirector.Dockerfile'), 'utf8');

  it('builds with this same script and ships what it writes, the code cache made again by its own Node', () => {
    expect(dockerfile).toMatch(/RUN npm run -s build:redirector -- --out \/out\n/);
    expect(dockerfile).toContain(
      `COPY --from=build ${Object.values(IMAGE_FILES)
        .map((f) => `/out/${f}`)
        .join(' ')} ./`,
    );
    expect(dockerfile).toContain(`RUN ["/nodejs/bin/node", "/app/${IMAGE_FILES.entry}", "--write-code-cache"]`);
    expect(dockerfile).toContain(`CMD ["/app/${IMAGE_FILES.entry}"]`);
    expect(dockerfile).not.toMatch(/^ENV[^#]*IP_RANGES/m);
  });
});
