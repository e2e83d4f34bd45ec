/**
 * The images' entry points, proven without Docker: each Dockerfile is read (its bundling RUN, what the runtime
 * stage copies, its ENV and its command), the same bundle is built with the same command, only the files the image
 * copies are put in a directory standing for /app, and the image's command runs there with the image's
 * environment. The replicator answers --help; the redirector serves /v2/ on PORT. A change to a Dockerfile's build
 * or command changes what this test runs.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { ManagedChild, waitForHttp } from '../../lib/local/processes';
import { freePort } from '../support/ports';
import { IP_RANGES } from '../redirector/fixtures';

const ROOT = resolve(__dirname, '../..');

/** The instructions of a Dockerfile that matter here, by stage (continuation lines joined, comments dropped). */
interface Stage {
  readonly runs: string[];
  readonly copies: { from?: string; sources: string[]; destination: string }[];
  readonly env: Record<string, string>;
  workdir: string;
  entrypoint?: string[];
  cmd?: string[];
}

function parseDockerfile(text: string): Stage[] {
  const lines = text
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const stages: Stage[] = [];
  for (const line of lines) {
    const [, instruction, rest] = /^(\w+)\s+(.*)$/.exec(line)!;
    const stage = stages.at(-1);
    if (instruction === 'FROM') {
      stages.push({ runs: [], copies: [], env: {}, workdir: '/' });
      continue;
    }
    if (!stage) continue;
    switch (instruction) {
      case 'RUN':
        stage.runs.push(rest!);
        break;
      case 'WORKDIR':
        stage.workdir = rest!;
        break;
      case 'COPY': {
        const words = rest!.split(/\s+/);
        const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
        const paths = words.filter((w) => !w.startsWith('--'));
        stage.copies.push({ from, sources: paths.slice(0, -1), destination: paths.at(-1)! });
        break;
      }
      case 'ENV':
        for (const [, key, value] of rest!.matchAll(/(\w+)=(\S+)/g)) stage.env[key!] = value!;
        break;
      case 'ENTRYPOINT':
        stage.entrypoint = JSON.parse(rest!) as string[];
        break;
      case 'CMD':
        stage.cmd = JSON.parse(rest!) as string[];
        break;
    }
  }
  return stages;
}

interface Image {
  readonly build: Stage;
  readonly runtime: Stage;
  /** The bundling command of the build stage: the RUN that writes /out. */
  readonly bundle: string;
}

function imageOf(dockerfile: string): Image {
  const stages = parseDockerfile(readFileSync(join(ROOT, 'docker', dockerfile), 'utf8'));
  expect(stages).toHaveLength(2);
  const [build, runtime] = stages as [Stage, Stage];
  const bundles = build.runs.filter((run) => run.includes('/out'));
  expect(bundles).toHaveLength(1);
  return { build, runtime, bundle: bundles[0]! };
}

const work = mkdtempSync(join(tmpdir(), 'images-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs the build stage's bundling command in the repository with /out standing for `out`. */
function buildBundle(image: Image, out: string, extraArgs = ''): void {
  const command = `${image.bundle.replace(/\/out\b/g, out)} ${extraArgs}`;
  const result = spawnSync('sh', ['-c', command], { cwd: ROOT, encoding: 'utf8', timeout: 180_000 });
  expect({ command, status: result.status, stderr: result.status === 0 ? '' : result.stderr }).toEqual({
    command,
    status: 0,
    stderr: '',
  });
}

/** A directory standing for the image's WORKDIR holding exactly what the runtime stage copies from the build. */
function appDirectory(image: Image, out: string): string {
  const app = mkdtempSync(join(work, 'app-'));
  for (const copy of image.runtime.copies) {
    expect(copy.from).toBe('build');
    for (const source of copy.sources) {
      const target = copy.destination.endsWith('/')
        ? basename(source)
        : copy.destination.replace(`${image.runtime.workdir}/`, '');
      mkdirSync(join(app, target, '..'), { recursive: true });
      copyFileSync(source.replace(/^\/out\b/, out), join(app, target));
    }
  }
  return app;
}

/** The image's command (ENTRYPOINT, else the distroless Node image's `node`, then CMD), with its WORKDIR as `app`. */
function commandOf(image: Image, app: string, extraArgs: string[] = []): string[] {
  const { entrypoint = ['node'], cmd = [], workdir } = image.runtime;
  const argv = [...entrypoint, ...cmd, ...extraArgs].map((word) => word.replace(`${workdir}/`, `${app}/`));
  expect(argv[0]).toBe('node');
  return [process.execPath, ...argv.slice(1)];
}

describe('docker/replicator.Dockerfile', () => {
  const image = imageOf('replicator.Dockerfile');

  it('bundles bin/replicate.ts with esbuild into one file, which the runtime stage alone copies', () => {
    expect(image.bundle).toMatch(
      /^npx esbuild bin\/replicate\.ts --bundle --platform=node .*--outfile=\/out\/replicate\.js$/,
    );
    expect(image.runtime.copies.flatMap((c) => c.sources)).toEqual(['/out/replicate.js']);
  });

  it('its command answers --help (exit 0) with only the bundle in /app', () => {
    const out = join(work, 'replicator-out');
    buildBundle(image, out);
    const app = appDirectory(image, out);
    expect(readdirSync(app)).toEqual(['replicate.js']);
    const [node, ...args] = commandOf(image, app, ['--help']);
    const result = spawnSync(node!, args, {
      cwd: app,
      env: { PATH: process.env.PATH ?? '', ...image.runtime.env },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
    expect(result.stdout).toMatch(/Usage/);
  }, 200_000);
});

describe('docker/redirector.Dockerfile', () => {
  const image = imageOf('redirector.Dockerfile');
  let child: ManagedChild | undefined;
  afterAll(async () => {
    await child?.stop();
  });

  it('builds with npm run build:redirector and serves /v2/ on PORT with only what the image copies', async () => {
    expect(image.bundle).toMatch(/^npm run -s build:redirector -- --out \/out$/);
    const out = join(work, 'redirector-out');
    // The image build downloads the donors' official range files; here the fixtures stand in (no network).
    buildBundle(image, out, `--ranges ${IP_RANGES}`);
    const app = appDirectory(image, out);
    expect(readdirSync(app).sort()).toEqual(
      image.runtime.copies.flatMap((c) => c.sources.map((s) => basename(s))).sort(),
    );

    const port = await freePort();
    const [node, ...args] = commandOf(image, app);
    const lines: string[] = [];
    child = new ManagedChild({
      name: 'redirector image',
      command: node!,
      args,
      cwd: app,
      env: { PATH: process.env.PATH ?? '', ...image.runtime.env, PORT: String(port) },
      onLine: (line) => lines.push(line),
    });
    const url = `http://127.0.0.1:${port}/v2/`;
    await waitForHttp(url, child);
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(image.runtime.env).toMatchObject({ NODE_ENV: 'production', PORT: '8080' });
  }, 200_000);
});
