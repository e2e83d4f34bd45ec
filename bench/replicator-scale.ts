/**
 * The replicator at production scale (bench/replicator.ts runs these with `--jobs tasks` and `--jobs catalogue`):
 *
 * - tasks: the same local images copied by one task, then by four tasks of one job at once (CLOUD_RUN_TASK_INDEX /
 *   COUNT as Cloud Run sets them), registry -> S3 and registry -> registry. Counted where the bytes land (the
 *   stand-ins' own request logs): every blob stored exactly once across the four; and each task's share of the bytes
 *   (the largest at most 35%).
 * - catalogue: a dry-run plan of 10,000 images (500 repositories of 20 tags, a quarter of them two-platform indexes)
 *   into 40 destination registries, all served by a stand-in in this process (`_catalog`, `tags/list`, manifests
 *   from generated data; each destination lists the manifests it holds in `tags/list`, as Artifact Registry does, and
 *   answers HEAD from the same set). Its wall time and the CLI's peak RSS, against 30 s and 300 MB, at the jobs'
 *   default concurrency and an unlimited request budget; then the same plan from destinations that answer HEAD only
 *   (one request per image and destination), as the reference.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { MediaType, RegistryClient } from '../lib/oci';
import type { Summary } from '../lib/replicator';
import { pushCatalogue, registryBlobUploads, S3_TEST_ENV, s3BlobWrites } from '../test/replicator/helpers';
import { startRegistry } from '../test/support/registry';
import { startS3 } from '../test/support/s3';

const MiB = 1024 * 1024;
const LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';

/** A bundled replicate CLI (as the job's image runs it). */
export interface Cli {
  readonly name: string;
  readonly bundle: string;
}

interface Run {
  readonly code: number | null;
  readonly seconds: number;
  readonly lines: Array<Record<string, unknown>>;
  /** Its standard error (warnings, failures), shown when it fails. */
  readonly stderr: string;
}

/** Runs the CLI as a child process; its JSON lines go through a file, so that reading them costs this process nothing. */
function run(cli: Cli, args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  const directory = mkdtempSync(join(tmpdir(), 'replicate-scale-'));
  const outputPath = join(directory, 'stdout');
  const output = openSync(outputPath, 'w');
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli.bundle, ...args], {
      env: { ...process.env, ...S3_TEST_ENV, ...env },
      stdio: ['ignore', output, 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const seconds = Number(((performance.now() - started) / 1000).toFixed(2));
      closeSync(output);
      const text = readFileSync(outputPath, 'utf8');
      rmSync(directory, { recursive: true, force: true });
      // Only the lines the benchmark reads: a plan's thousands of plan-image lines stay unparsed.
      const lines = text
        .split('\n')
        .filter((line) => /"event":"(summary|plan|shard|startup-failed)"/.test(line))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      resolve({ code, seconds, lines, stderr });
    });
  });
}

const summaryOf = (result: Run) => result.lines.find((line) => line.event === 'summary') as unknown as Summary;

/** How many times each digest occurs. */
function tally(digests: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const digest of digests) counts.set(digest, (counts.get(digest) ?? 0) + 1);
  return counts;
}

/** One task against four on the same images, into S3 and into a registry. */
export async function benchTasks(cli: Cli): Promise<void> {
  const TASKS = 4;
  const [source, destination, s3] = await Promise.all([startRegistry(), startRegistry(), startS3()]);
  try {
    const client = new RegistryClient({ host: source.host, insecure: true });
    const catalogue = await pushCatalogue(client, 'bench', 4 * MiB).finally(() => client.close());
    const total = [...catalogue.blobs.values()].reduce((sum, blob) => sum + blob.size, 0);
    console.log(
      `catalogue: ${catalogue.images.length} images in 8 repositories, ${catalogue.blobs.size} blobs, ${(total / MiB).toFixed(0)} MiB (shared bases included once)`,
    );
    const insecure = [source.host, destination.host].flatMap((host) => ['--insecure-registry', host]);
    const jobs = {
      S3: async (label: string) => {
        await s3.client.send(new CreateBucketCommand({ Bucket: label }));
        const mark = s3.requests.mark();
        return {
          args: ['s3', '--source', `${source.host}/bench`, '--bucket', label, '--endpoint', s3.endpoint, ...insecure],
          stored: async () => s3BlobWrites(s3.requests.since(mark), label),
        };
      },
      registry: async (label: string) => {
        const mark = destination.requests.mark();
        return {
          args: ['registry', '--source', `${source.host}/bench`, '--dest', `${destination.host}/${label}`, ...insecure],
          stored: async () => {
            await destination.settle();
            return registryBlobUploads(destination.requests.since(mark));
          },
        };
      },
    };
    console.log(
      '\n| job | tasks | wall s | wall / one task | bytes copied (all tasks) | blobs stored | stored more than once | largest share of bytes | peak RSS MiB (max) |',
    );
    console.log('|---|---|---|---|---|---|---|---|---|');
    for (const [job, prepare] of Object.entries(jobs)) {
      let oneTask = 0;
      for (const count of [1, TASKS]) {
        const { args, stored } = await prepare(`${job.toLowerCase()}-${count}`);
        const started = performance.now();
        const results = await Promise.all(
          Array.from({ length: count }, (_, index) =>
            run(
              cli,
              args,
              count === 1 ? {} : { CLOUD_RUN_TASK_INDEX: String(index), CLOUD_RUN_TASK_COUNT: String(count) },
            ),
          ),
        );
        const seconds = (performance.now() - started) / 1000;
        if (count === 1) oneTask = seconds;
        const failed = results.find((result) => result.code !== 0);
        if (failed) throw new Error(`${job} x${count}: a task exited ${failed.code}: ${failed.stderr.slice(-2000)}`);
        const counts = tally(await stored());
        const twice = [...counts.values()].filter((times) => times > 1).length;
        const missing = [...catalogue.blobs.keys()].filter((digest) => !counts.has(digest)).length;
        if (missing > 0) throw new Error(`${job} x${count}: ${missing} blobs never stored`);
        const shares = results.flatMap((result) => result.lines.filter((line) => line.event === 'shard'));
        const largest = count === 1 ? 1 : Math.max(...shares.map((line) => (line.bytes as number) / total));
        const rss = Math.max(...results.map((result) => summaryOf(result).maxRssMiB));
        const copied = results.reduce((sum, result) => sum + summaryOf(result).bytes, 0);
        const cells = [
          ...[job, count, seconds.toFixed(2), `${(seconds / oneTask).toFixed(2)}x`, `${(copied / MiB).toFixed(1)} MiB`],
          ...[counts.size, twice, `${(largest * 100).toFixed(1)}%`, rss],
        ];
        console.log(`| ${cells.join(' | ')} |`);
      }
    }
  } finally {
    await Promise.all([source.stop(), destination.stop(), s3.stop()]);
  }
}

/** A generated manifest: its bytes as served, and its digest. */
interface Manifest {
  readonly mediaType: string;
  readonly bytes: Buffer;
  readonly digest: string;
}

const sha256 = (text: string | Buffer) => `sha256:${createHash('sha256').update(text).digest('hex')}`;

function manifest(mediaType: string, document: object): Manifest {
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType, ...document }));
  return { mediaType, bytes, digest: sha256(bytes) };
}

/** A platform image of layers named by `seed`: a family's base layer and two of its own (the blobs need not exist). */
function platformImage(seed: string, base: number): Manifest {
  const blob = (name: string, size: number) => ({ mediaType: LAYER, digest: sha256(name), size });
  const config = { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(`config ${seed}`), size: 900 };
  const layers = [blob(`base ${base}`, 30 * MiB + base), blob(`a ${seed}`, 5 * MiB), blob(`b ${seed}`, 200_000)];
  return manifest(MediaType.ociManifest, { config, layers });
}

/** One tagged image of the simulated catalogue. */
interface SimulatedImage {
  /** Its place in the catalogue: which destinations lack it follows from it. */
  readonly index: number;
  readonly tag: string;
  readonly root: Manifest;
  /** The platform manifests of an index. */
  readonly children: readonly Manifest[];
}

interface SimulatedCatalogue {
  /** Repository name (under the source path) -> its images. */
  readonly repositories: ReadonlyMap<string, readonly SimulatedImage[]>;
  /** Every manifest by digest. */
  readonly manifests: ReadonlyMap<string, Manifest>;
  readonly images: number;
}

/** `repositories` x `tagsPerRepository` images, every fourth an index over two platforms. */
function simulatedCatalogue(repositories: number, tagsPerRepository: number): SimulatedCatalogue {
  const byRepository = new Map<string, SimulatedImage[]>();
  const manifests = new Map<string, Manifest>();
  let index = 0;
  for (let r = 0; r < repositories; r++) {
    const images: SimulatedImage[] = [];
    for (let t = 0; t < tagsPerRepository; t++, index++) {
      const seed = `${r}/${t}`;
      const base = r % 25;
      const children =
        index % 4 === 0 ? ['amd64', 'arm64'].map((architecture) => platformImage(`${seed} ${architecture}`, base)) : [];
      const root =
        children.length === 0
          ? platformImage(seed, base)
          : manifest(MediaType.ociIndex, {
              manifests: children.map((child, i) => ({
                mediaType: child.mediaType,
                digest: child.digest,
                size: child.bytes.length,
                platform: { os: 'linux', architecture: i === 0 ? 'amd64' : 'arm64' },
              })),
            });
      for (const each of [root, ...children]) manifests.set(each.digest, each);
      images.push({ index, tag: `v1.${t}`, root, children });
    }
    byRepository.set(`repo${String(r).padStart(4, '0')}`, images);
  }
  return { repositories: byRepository, manifests, images: index };
}

interface StandIn {
  readonly source: string;
  readonly destinations: readonly string[];
  readonly requests: () => number;
  stop(): Promise<void>;
}

const SOURCE_PATH = 'bench/images/';
const DESTINATION_PATH = 'mirror/';

/**
 * The source and the destinations, each on a port of its own (a registry host, with its own request budget).
 * Destination d holds every image but one in `missEvery`, a different one each, so that every image is missing
 * somewhere and its whole tree is read. With `listsManifests`, destinations list a repository's manifests in
 * `tags/list` as Artifact Registry does (the `manifest` map); without, only HEAD tells what they hold.
 */
async function startStandIn(
  catalogue: SimulatedCatalogue,
  destinations: number,
  missEvery: number,
  listsManifests: boolean,
): Promise<StandIn> {
  const holds = (destination: number, image: SimulatedImage) => (image.index + destination) % missEvery !== 0;
  const held = Array.from({ length: destinations }, (_, d) => {
    const digests = new Set<string>();
    for (const images of catalogue.repositories.values())
      for (const image of images) if (holds(d, image)) digests.add(image.root.digest);
    return digests;
  });
  const repositories = [...catalogue.repositories.keys()].map((name) => `${SOURCE_PATH}${name}`);
  let requests = 0;

  const json = (
    response: http.ServerResponse,
    status: number,
    body: unknown,
    headers: http.OutgoingHttpHeaders = {},
  ) => {
    const text = JSON.stringify(body);
    response.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      ...headers,
    });
    response.end(text);
  };
  const serveManifest = (request: http.IncomingMessage, response: http.ServerResponse, found: Manifest | undefined) => {
    if (!found) return json(response, 404, { errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] });
    response.writeHead(200, {
      'content-type': found.mediaType,
      'content-length': found.bytes.length,
      'docker-content-digest': found.digest,
    });
    response.end(request.method === 'HEAD' ? undefined : found.bytes);
  };
  /** `/v2/<prefix><repository>/<rest>` -> [repository, rest] */
  const route = (path: string, prefix: string): [string, string] | undefined => {
    const match = /^\/v2\/(.+)\/(tags\/list|manifests\/[^/]+)$/.exec(path);
    if (!match || !match[1]!.startsWith(prefix)) return undefined;
    return [match[1]!.slice(prefix.length), match[2]!];
  };

  const sourceHandler = (request: http.IncomingMessage, response: http.ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://stand-in');
    if (url.pathname === '/v2/') return json(response, 200, {});
    if (url.pathname === '/v2/_catalog') {
      const n = Number(url.searchParams.get('n') ?? 100);
      const last = url.searchParams.get('last');
      const start = last === null ? 0 : repositories.indexOf(last) + 1;
      const page = repositories.slice(start, start + n);
      const next = start + n < repositories.length;
      const link = next ? { link: `</v2/_catalog?n=${n}&last=${page.at(-1)}>; rel="next"` } : {};
      return json(response, 200, { repositories: page }, link);
    }
    const [repository, rest] = route(url.pathname, SOURCE_PATH) ?? [];
    const images = repository === undefined ? undefined : catalogue.repositories.get(repository);
    if (!images) return json(response, 404, {});
    if (rest === 'tags/list') return json(response, 200, { name: repository, tags: images.map((image) => image.tag) });
    const reference = rest!.slice('manifests/'.length);
    const found = reference.startsWith('sha256:')
      ? catalogue.manifests.get(reference)
      : images.find((image) => image.tag === reference)?.root;
    serveManifest(request, response, found);
  };

  const destinationHandler = (d: number) => (request: http.IncomingMessage, response: http.ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://stand-in');
    if (url.pathname === '/v2/') return json(response, 200, {});
    const [repository, rest] = route(url.pathname, DESTINATION_PATH) ?? [];
    const images = repository === undefined ? undefined : catalogue.repositories.get(repository);
    if (!images) return json(response, 404, {});
    if (rest === 'tags/list') {
      const here = images.filter((image) => holds(d, image));
      const manifests = listsManifests
        ? {
            manifest: Object.fromEntries(
              here.flatMap((image) => [
                [image.root.digest, { mediaType: image.root.mediaType, tag: [image.tag] }],
                ...image.children.map((child) => [child.digest, { mediaType: child.mediaType, tag: [] }]),
              ]),
            ),
          }
        : {};
      return json(response, 200, { name: repository, tags: here.map((image) => image.tag), ...manifests });
    }
    const digest = rest!.slice('manifests/'.length);
    if (request.method !== 'HEAD' || !held[d]!.has(digest)) return json(response, 404, {});
    serveManifest(request, response, catalogue.manifests.get(digest));
  };

  const servers: http.Server[] = [];
  const listen = async (handler: http.RequestListener) => {
    const server = http.createServer({ keepAliveTimeout: 60_000 }, (request, response) => {
      requests++;
      handler(request, response);
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
  const source = await listen(sourceHandler);
  const destinationHosts: string[] = [];
  for (let d = 0; d < destinations; d++) destinationHosts.push(await listen(destinationHandler(d)));
  return {
    source,
    destinations: destinationHosts,
    requests: () => requests,
    stop: async () => {
      for (const server of servers) server.closeAllConnections();
      await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    },
  };
}

/**
 * The dry-run plan of 10,000 images x 40 destinations; destinations that list their manifests (as Artifact Registry
 * does), then, as the reference, destinations that only answer HEAD.
 */
export async function benchCatalogue(cli: Cli): Promise<void> {
  const REPOSITORIES = 500;
  const IMAGES_PER_REPOSITORY = 20;
  const DESTINATIONS = 40;
  const MISS_EVERY = 20;
  const catalogue = simulatedCatalogue(REPOSITORIES, IMAGES_PER_REPOSITORY);
  console.log(
    `\ndry-run plan: ${catalogue.images} images (${catalogue.manifests.size} manifests) in ${REPOSITORIES} repositories x ${DESTINATIONS} destinations, each lacking 1 image in ${MISS_EVERY}`,
  );
  console.log('\n| destinations | wall s | peak RSS MiB | requests | image copies planned | in place | blobs |');
  console.log('|---|---|---|---|---|---|---|');
  const measured: Array<{ seconds: number; rss: number }> = [];
  for (const listsManifests of [true, false]) {
    const standIn = await startStandIn(catalogue, DESTINATIONS, MISS_EVERY, listsManifests);
    try {
      const hosts = [standIn.source, ...standIn.destinations];
      const args = [
        'registry',
        ...['--source', `${standIn.source}/${SOURCE_PATH.slice(0, -1)}`],
        ...standIn.destinations.flatMap((host) => ['--dest', `${host}/${DESTINATION_PATH.slice(0, -1)}`]),
        ...hosts.flatMap((host) => ['--insecure-registry', host]),
        ...['--dry-run', '--rps', '1000000'],
      ];
      const result = await run(cli, args);
      const plan = result.lines.find((line) => line.event === 'plan');
      if (result.code !== 0 || !plan)
        throw new Error(`the plan failed (exit ${result.code}): ${result.stderr.slice(-2000)}`);
      const rss = summaryOf(result).maxRssMiB;
      measured.push({ seconds: result.seconds, rss });
      const kind = listsManifests ? 'list their manifests (tags/list)' : 'answer HEAD only';
      console.log(
        `| ${kind} | ${result.seconds} | ${rss} | ${standIn.requests()} | ${plan.images} | ${plan.skipped} | ${plan.blobs} |`,
      );
    } finally {
      await standIn.stop();
    }
  }
  const [listed, heads] = measured;
  console.log(
    `\nlisting destinations: ${listed!.seconds} s (target < 30 s), peak RSS ${listed!.rss} MiB (target < 300 MB = 286 MiB); ` +
      `${(heads!.seconds / listed!.seconds).toFixed(1)}x faster than HEAD per image and destination`,
  );
}
