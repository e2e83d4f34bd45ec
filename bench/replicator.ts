/**
 * Replicator benchmark: copies ~1.1 GiB in 60+ blobs (nine 6-layer images of 16 MiB layers plus one image with a
 * 256 MiB layer) registry -> registry and registry -> S3 with our CLI, and registry -> registry with
 * `skopeo copy --all` (one image after another, as a script would) as the reference measured in the same run.
 * Reports wall times, the CLI process's CPU time (GNU time), the ratio to skopeo, our peak RSS and the no-op rerun time.
 *
 * With `--baseline DIR` (a checkout of another commit whose node_modules resolve, e.g. a symlink to ours), that
 * checkout's CLI is measured too, in the same run, alternating with ours round by round (`--rounds N`, default 3),
 * each run into a fresh destination; the medians, the fastest rounds and their ratios (ours / baseline) are printed.
 * `--jobs registry` or `--jobs s3` measures one job only (default: both). `--jobs tasks` (one task against four of
 * one job, each blob stored once) and `--jobs catalogue` (a dry-run plan of 10,000 images x 40 destinations) are
 * the scale benchmarks of bench/replicator-scale.ts.
 *
 *   npm run -s bench:replicator
 *   npm run -s bench:replicator -- --jobs tasks,catalogue
 *   mkdir /tmp/base && git archive <commit> | tar -x -C /tmp/base && ln -s "$PWD/node_modules" /tmp/base/
 *   npm run -s bench:replicator -- --baseline /tmp/base --rounds 5 [--jobs registry]
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { CreateBucketCommand, DeleteObjectsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { build } from 'esbuild';
import { RegistryClient } from '../lib/oci';
import type { Summary } from '../lib/replicator';
import { S3_TEST_ENV } from '../test/replicator/helpers';
import { pushImage, pushPrngBlob } from '../test/support/images';
import { startRegistry } from '../test/support/registry';
import { startS3 } from '../test/support/s3';
import { benchCatalogue, benchTasks } from './replicator-scale';
import { median } from './stats';

const ROOT = join(__dirname, '..');
const MiB = 1024 * 1024;
const platform = { os: 'linux', architecture: 'amd64' };
const RUNS = ['registry', 'registry rerun', 'S3', 'S3 rerun'] as const;
type RunName = (typeof RUNS)[number];

/** A replicate CLI under test: bundled exactly as docker/replicator.Dockerfile bundles it (what the job runs). */
interface Cli {
  readonly name: string;
  readonly bundle: string;
}

/** One run of a CLI: its wall time, the CPU time of its process (less sensitive to a busy machine), its summary. */
interface RunResult {
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly summary: Summary;
}

type Measured = Record<RunName, RunResult>;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { baseline: { type: 'string' }, rounds: { type: 'string' }, jobs: { type: 'string' } },
  });
  const rounds = Number(values.rounds ?? (values.baseline ? 3 : 1));
  if (!Number.isInteger(rounds) || rounds < 1)
    throw new Error(`--rounds ${values.rounds}: expected a positive integer`);
  const jobs = (values.jobs ?? 'registry,s3').split(',');
  if (jobs.some((job) => !['registry', 's3', 'tasks', 'catalogue'].includes(job)))
    throw new Error(`--jobs ${values.jobs}: expected some of registry, s3, tasks, catalogue`);
  const runs = RUNS.filter((run) => jobs.includes(run.startsWith('S3') ? 's3' : 'registry'));
  const ours = await bundle('ours', ROOT);
  if (jobs.includes('tasks')) await benchTasks(ours);
  if (jobs.includes('catalogue')) await benchCatalogue(ours);
  if (runs.length === 0) return;
  const baseline = values.baseline ? await bundle('baseline', resolve(values.baseline)) : undefined;

  const [source, destination, theirs, s3] = await Promise.all([
    startRegistry(),
    startRegistry(),
    startRegistry(),
    startS3(['bench']),
  ]);
  try {
    const images = await pushImages(source.host);
    const insecure = [source.host, destination.host].flatMap((host) => ['--insecure-registry', host]);
    /** One set of runs into fresh destinations named `label`: registry, its rerun, S3, its rerun (those asked for). */
    const measure = async (cli: Cli, label: string): Promise<Measured> => {
      await s3.client.send(new CreateBucketCommand({ Bucket: label }));
      const registryArgs = ['registry', '--source', `${source.host}/bench`, '--dest', `${destination.host}/${label}`];
      const s3Args = ['s3', '--source', `${source.host}/bench`, '--bucket', label, '--endpoint', s3.endpoint];
      const measured = {} as Measured;
      for (const run of runs)
        measured[run] = await replicate(cli, [...(run.startsWith('S3') ? s3Args : registryArgs), ...insecure]);
      await emptyBucket(s3.client, label); // s3rver keeps a copy per bucket: the disk holds one at a time
      return measured;
    };

    const skopeoStarted = performance.now();
    {
      for (const image of images) {
        await promisify(execFile)('skopeo', [
          'copy',
          '--all',
          '--src-tls-verify=false',
          '--dest-tls-verify=false',
          `docker://${source.host}/bench/${image}:v1`,
          `docker://${theirs.host}/bench/${image}:v1`,
        ]);
      }
    }
    const skopeo = Number(seconds(skopeoStarted));
    const results = new Map<Cli, Measured[]>([[ours, []]]);
    if (baseline) results.set(baseline, []);
    for (let round = 1; round <= rounds; round++) {
      // Alternate who goes first, so a slow spell of the shared machine is not always one side's.
      const order = round % 2 === 1 ? [...results.keys()] : [...results.keys()].reverse();
      for (const cli of order) results.get(cli)!.push(await measure(cli, `bench-${cli.name}-${round}`));
    }
    printResults(skopeo, runs, results, ours, baseline);
  } finally {
    await Promise.all([source.stop(), destination.stop(), theirs.stop(), s3.stop()]);
  }
}

async function bundle(name: string, checkout: string): Promise<Cli> {
  const outfile = join(mkdtempSync(join(tmpdir(), `replicate-bench-${name}-`)), 'replicate.js');
  await build({
    entryPoints: [join(checkout, 'bin/replicate.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    outfile,
    logLevel: 'warning',
  });
  return { name, bundle: outfile };
}

/** The benchmark's images in the source: returns their repository names under `bench/`. */
async function pushImages(host: string): Promise<string[]> {
  const client = new RegistryClient({ host, insecure: true });
  const images: string[] = [];
  let blobs = 0;
  let bytes = 0;
  const started = performance.now();
  try {
    for (let image = 0; image < 10; image++) {
      const repository = `bench/image${image}`;
      const sizes = image === 9 ? [256 * MiB, 1 * MiB] : Array.from({ length: 6 }, (_, layer) => 16 * MiB + layer);
      const layers = [];
      for (const [layer, size] of sizes.entries())
        layers.push(await pushPrngBlob(client, repository, image * 100 + layer + 1, size));
      await pushImage(client, repository, layers, platform, 'v1');
      images.push(`image${image}`);
      blobs += layers.length + 1;
      bytes += sizes.reduce((a, b) => a + b, 0);
    }
  } finally {
    client.close();
  }
  console.log(
    `pushed ${images.length} images, ${blobs} blobs, ${(bytes / MiB).toFixed(0)} MiB in ${seconds(started)} s`,
  );
  return images;
}

function printResults(
  skopeo: number,
  runs: readonly RunName[],
  results: Map<Cli, Measured[]>,
  ours: Cli,
  baseline: Cli | undefined,
): void {
  const values = (cli: Cli, run: RunName, of: (result: RunResult) => number) =>
    results.get(cli)!.map((measured) => of(measured[run]));
  // Rounded for the table: a mean of two middle values can have many digits.
  const medianOf = (cli: Cli, run: RunName, of: (result: RunResult) => number) =>
    Number(median(values(cli, run, of)).toFixed(2));
  const wall = (result: RunResult) => result.seconds;
  const cpu = (result: RunResult) => result.cpuSeconds;
  const rss = (result: RunResult) => result.summary.maxRssMiB;
  const ratio = (run: RunName, of: (result: RunResult) => number) =>
    `${(medianOf(ours, run, of) / medianOf(baseline!, run, of)).toFixed(2)}x`;
  const rounds = results.get(ours)!.length;
  console.log(`\nmedians of ${rounds} round(s)${baseline ? ', ours and the baseline alternating' : ''}\n`);
  const columns = baseline
    ? ['wall s ours', 'baseline', 'ratio', 'CPU s ours', 'baseline', 'ratio', 'peak RSS MiB ours', 'baseline']
    : ['wall s', 'CPU s', 'peak RSS MiB'];
  console.log(`| run | ${columns.join(' | ')} | blobs copied |`);
  console.log(`|---|${columns.map(() => '---|').join('')}---|`);
  console.log(`| skopeo copy --all (reference), registry -> registry | ${skopeo} |${' |'.repeat(columns.length)}`);
  for (const run of runs) {
    const cells = baseline
      ? [
          medianOf(ours, run, wall),
          medianOf(baseline, run, wall),
          ratio(run, wall),
          medianOf(ours, run, cpu),
          medianOf(baseline, run, cpu),
          ratio(run, cpu),
          medianOf(ours, run, rss),
          medianOf(baseline, run, rss),
        ]
      : [medianOf(ours, run, wall), medianOf(ours, run, cpu), medianOf(ours, run, rss)];
    console.log(`| replicate ${run} | ${cells.join(' | ')} | ${results.get(ours)![0]![run].summary.blobs.copied} |`);
  }
  const firstRuns = (['registry', 'S3'] as const).filter((run) => runs.includes(run));
  if (firstRuns.includes('registry')) {
    const versusSkopeo = medianOf(ours, 'registry', wall) / skopeo;
    console.log(`\nregistry -> registry vs skopeo: ${versusSkopeo.toFixed(2)}x skopeo's wall time (target <= 1.0x)`);
  }
  const reruns = firstRuns.map(
    (run) => `${run} ${pct(medianOf(ours, `${run} rerun`, wall), medianOf(ours, run, wall))}`,
  );
  console.log(`rerun / first run: ${reruns.join(', ')} (target < 5%)`);
  console.log(`peak RSS: ${Math.max(...firstRuns.map((run) => medianOf(ours, run, rss)))} MiB (target < 200 MiB)`);
  if (!baseline) return;
  // Other work on a shared machine only ever adds time: the fastest round is the least disturbed one.
  const fastest = (cli: Cli, run: RunName) => Math.min(...values(cli, run, wall));
  const fastestRatio = (run: RunName) => `${(fastest(ours, run) / fastest(baseline, run)).toFixed(2)}x`;
  console.log(`ours / baseline, median wall time: ${runs.map((run) => `${run} ${ratio(run, wall)}`).join(', ')}`);
  console.log(`ours / baseline, fastest round: ${runs.map((run) => `${run} ${fastestRatio(run)}`).join(', ')}`);
  console.log(`ours / baseline, median CPU time: ${runs.map((run) => `${run} ${ratio(run, cpu)}`).join(', ')}`);
  console.log('\nevery round, wall s (CPU s):');
  for (const cli of [ours, baseline])
    for (const run of runs) {
      const rows = results.get(cli)!.map((measured) => `${measured[run].seconds} (${measured[run].cpuSeconds})`);
      console.log(`  ${cli.name} ${run}: ${rows.join(', ')}`);
    }
}

/**
 * Runs a CLI as a child process (as the Cloud Run job does), under GNU time for its CPU time, and returns its summary
 * line with the times.
 */
function replicate(cli: Cli, args: string[]): Promise<RunResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-f', 'cpu %U %S', process.execPath, cli.bundle, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...S3_TEST_ENV },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let errors = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    child.on('exit', (code) => {
      const wall = Number(seconds(started));
      const line = output.split('\n').find((text) => text.includes('"event":"summary"'));
      const cpu = /^cpu ([\d.]+) ([\d.]+)$/m.exec(errors);
      if (code !== 0 || !line || !cpu)
        reject(new Error(`${cli.name} ${args[0]} exited ${code}: ${output.slice(-2000)}${errors.slice(-2000)}`));
      else
        resolve({
          seconds: wall,
          cpuSeconds: Number((Number(cpu[1]) + Number(cpu[2])).toFixed(2)),
          summary: JSON.parse(line) as Summary,
        });
    });
  });
}

async function emptyBucket(client: S3Client, bucket: string): Promise<void> {
  for (;;) {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
    const keys = (page.Contents ?? []).map((object) => ({ Key: object.Key! }));
    if (keys.length === 0) return;
    await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }));
  }
}

function seconds(since: number): string {
  return ((performance.now() - since) / 1000).toFixed(2);
}

function pct(part: number, whole: number): string {
  return `${((part / whole) * 100).toFixed(1)}%`;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
