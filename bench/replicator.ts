/**
 * Replicator benchmark: copies ~1.1 GiB in 60+ blobs (nine 6-layer images of 16 MiB layers plus one image with a
 * 256 MiB layer) registry -> registry and registry -> S3 with our CLI, and registry -> registry with
 * `skopeo copy --all` (one image after another, as a script would) as the reference measured in the same run.
 * Reports wall times, the ratio to skopeo, our peak RSS and the no-op rerun time.
 *
 *   npm run -s bench:replicator
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { build } from 'esbuild';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { RegistryClient } from '../lib/oci';
import type { Summary } from '../lib/replicator';
import { pushImage, pushPrngBlob } from '../test/support/images';
import { startRegistry } from '../test/support/registry';
import { startS3 } from '../test/support/s3';

const ROOT = join(__dirname, '..');
const MiB = 1024 * 1024;
const S3_ENV = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' };
const platform = { os: 'linux', architecture: 'amd64' };
/** The CLI bundled exactly as docker/replicator.Dockerfile bundles it (what the Cloud Run job runs). */
const BUNDLE = join(mkdtempSync(join(tmpdir(), 'replicate-bench-')), 'replicate.js');

async function main(): Promise<void> {
  await build({
    entryPoints: [join(ROOT, 'bin/replicate.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    outfile: BUNDLE,
    logLevel: 'warning',
  });
  const [source, ours, theirs, s3] = await Promise.all([
    startRegistry(),
    startRegistry(),
    startRegistry(),
    startS3(['bench']),
  ]);
  try {
    const client = new RegistryClient({ host: source.host, insecure: true });
    const images: string[] = [];
    let blobs = 0;
    let bytes = 0;
    const started = performance.now();
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
    client.close();
    console.log(
      `pushed ${images.length} images, ${blobs} blobs, ${(bytes / MiB).toFixed(0)} MiB in ${seconds(started)} s`,
    );

    const insecure = [source.host, ours.host].flatMap((host) => ['--insecure-registry', host]);
    const registryArgs = ['registry', '--source', `${source.host}/bench`, '--dest', `${ours.host}/bench`, ...insecure];
    const s3Args = [
      's3',
      '--source',
      `${source.host}/bench`,
      '--bucket',
      'bench',
      '--endpoint',
      s3.endpoint,
      ...insecure,
    ];

    const skopeo = await timed(async () => {
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
    });
    const registryRun = await timed(() => replicate(registryArgs));
    const registryRerun = await timed(() => replicate(registryArgs));
    const s3Run = await timed(() => replicate(s3Args));
    const s3Rerun = await timed(() => replicate(s3Args));

    const rows = [
      ['skopeo copy --all (reference), registry -> registry', skopeo.seconds, '', ''],
      [
        'replicate registry -> registry',
        registryRun.seconds,
        registryRun.value.maxRssMiB,
        registryRun.value.blobs.copied,
      ],
      [
        'replicate registry -> registry, rerun (nothing to do)',
        registryRerun.seconds,
        registryRerun.value.maxRssMiB,
        registryRerun.value.blobs.copied,
      ],
      ['replicate registry -> S3', s3Run.seconds, s3Run.value.maxRssMiB, s3Run.value.blobs.copied],
      [
        'replicate registry -> S3, rerun (nothing to do)',
        s3Rerun.seconds,
        s3Rerun.value.maxRssMiB,
        s3Rerun.value.blobs.copied,
      ],
    ];
    console.log('\n| run | wall s | peak RSS MiB | blobs copied |\n|---|---|---|---|');
    for (const row of rows) console.log(`| ${row.join(' | ')} |`);
    console.log(
      `\nregistry -> registry vs skopeo: ${(registryRun.seconds / skopeo.seconds).toFixed(2)}x skopeo's wall time (target <= 1.0x)`,
    );
    console.log(
      `rerun / first run: registry ${pct(registryRerun.seconds, registryRun.seconds)}, S3 ${pct(s3Rerun.seconds, s3Run.seconds)} (target < 5%)`,
    );
    console.log(`peak RSS: ${Math.max(registryRun.value.maxRssMiB, s3Run.value.maxRssMiB)} MiB (target < 200 MiB)`);
  } finally {
    await Promise.all([source.stop(), ours.stop(), theirs.stop(), s3.stop()]);
  }
}

/** Runs the CLI as a child process (as the Cloud Run job does) and returns its summary line. */
function replicate(args: string[]): Promise<Summary> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BUNDLE, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...S3_ENV },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => {
      const line = output.split('\n').find((text) => text.includes('"event":"summary"'));
      if (code !== 0 || !line) reject(new Error(`replicate ${args[0]} exited ${code}: ${output.slice(-2000)}`));
      else resolve(JSON.parse(line) as Summary);
    });
  });
}

async function timed<T>(run: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const started = performance.now();
  const value = await run();
  return { seconds: Number(seconds(started)), value };
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
