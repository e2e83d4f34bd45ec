/**
 * Builds what the redirector image holds, into one directory (docker/redirector.Dockerfile runs this same script):
 *   DIR/redirector.js          what node runs: compiles the bundle with its code cache (bin/redirector-loader.ts)
 *   DIR/redirector-main.js     the esbuild bundle of bin/redirector.ts: no node_modules, no module resolution
 *   DIR/redirector-main.cache  V8's code cache of the bundle, made here by running it once
 *   DIR/ip-ranges.bin          the range index of the donors' official files (lib/redirector/range-index-file.ts)
 *   DIR/routing-tables.json    the embedded default topology's routing tables by region (lib/redirector/built-tables.ts)
 * `node DIR/redirector.js` finds the others beside itself, so it serves with only PORT set.
 *
 *   npm run -s build:redirector -- --out DIR [--ranges aws=FILE,gcp=FILE,azure=FILE]
 * Without --ranges, every donor's official file is downloaded and validated (as npm run fetch-ip-ranges does).
 * The files are made in a staging directory and moved into DIR only once everything succeeded, so a failed build
 * leaves DIR as it was.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { build, type Plugin } from 'esbuild';
import { DONORS } from '../lib/clouds/donors';
import { RangeFileError } from '../lib/clouds/ranges';
import { commandLineOrExit, FlagError, requiredFlag, type ParsedFlags } from '../lib/config/command-line';
import { BUILT_TABLES_FORMAT, encodeBuiltTables, type BuiltTablesContent } from '../lib/redirector/built-tables';
import { ConfigError, parseRangeSources, type RangeSource } from '../lib/redirector/config';
import { INDEX_SOURCE } from '../lib/redirector/config/range-sources';
import { readCloudRanges } from '../lib/redirector/load-ranges';
import { RangeIndex, type CloudRanges } from '../lib/redirector/range-index';
import { IMAGE_FILES, WRITE_CODE_CACHE_FLAG } from '../lib/redirector/image-files';
import { encodeRangeIndex, type IndexSource } from '../lib/redirector/range-index-file';
import { loadTopology, redirectorRegions, routingTableFor } from '../lib/topology';
import { fetchOfficialRanges, type FetchText } from './fetch-ip-ranges';

const ROOT = resolve(__dirname, '..');

export interface BuildOptions {
  readonly out: string;
  /** The donors' files to index; undefined: download every donor's official file. */
  readonly ranges?: readonly RangeSource[];
  /** How downloads are made (tests stand in for the network). */
  readonly fetchText?: FetchText;
}

export interface BuildResult {
  /** What node runs. */
  readonly entry: string;
  readonly index: string;
  readonly sources: readonly IndexSource[];
  readonly intervals: number;
  /** Every file written, by role, and its size. */
  readonly files: Readonly<Record<keyof typeof IMAGE_FILES, { readonly path: string; readonly bytes: number }>>;
}

interface Loaded {
  readonly source: IndexSource;
  readonly ranges: CloudRanges;
}

const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');

/** A donor's file from disk, parsed by its donor's parser. */
function fromFile({ cloud, file }: RangeSource): Loaded {
  const ranges = readCloudRanges({ cloud, file });
  if (ranges.ranges.length === 0) throw new RangeFileError(file, undefined, 'holds no ranges');
  return { source: { cloud, file, sha256: sha256(readFileSync(file)) }, ranges };
}

/** Every donor's official file, downloaded and parsed. */
async function downloaded(fetchText?: FetchText): Promise<Loaded[]> {
  const loaded: Loaded[] = [];
  for (const donor of DONORS) {
    const { url, text, ranges } = await fetchOfficialRanges(donor, fetchText);
    loaded.push({ source: { cloud: donor.id, file: url, sha256: sha256(text) }, ranges: { cloud: donor.id, ranges } });
  }
  return loaded;
}

/**
 * Modules of our dependencies the redirector never uses, given an empty module instead of being bundled:
 * - zod's API re-exports every one of its 40 locales (`z.locales`), which keeps them all in a bundle: a third of
 *   ours, to be read and compiled at every start. The redirector's messages are zod's English default (imported by
 *   zod's schemas directly, so it stays) or our own.
 * - prom-client's index loads its Pushgateway client, which loads node:https (with TLS) and node:zlib: about 3 ms of
 *   every start-up (measured). The redirector is scraped, never pushes; its own checks load node:https when they
 *   first need it (lib/redirector/existence.ts).
 */
const LEFT_OUT = [
  { request: /^\.\.\/locales\/index\.js$/, importer: /[/\\]node_modules[/\\]zod[/\\]/ },
  { request: /^\.\/lib\/pushgateway$/, importer: /[/\\]node_modules[/\\]prom-client[/\\]/ },
];

const WITHOUT_UNUSED_MODULES: Plugin = {
  name: 'without-unused-modules',
  setup(esbuild) {
    for (const { request, importer } of LEFT_OUT) {
      esbuild.onResolve({ filter: request }, (args) =>
        importer.test(args.importer) ? { path: args.path, namespace: 'empty' } : undefined,
      );
    }
    esbuild.onLoad({ filter: /.*/, namespace: 'empty' }, () => ({ contents: 'export {};', loader: 'js' }));
  },
};

/** An entry point bundled into one file. */
async function bundle(entry: string): Promise<Uint8Array> {
  const result = await build({
    entryPoints: [join(ROOT, entry)],
    bundle: true,
    platform: 'node',
    // The runtime image is Node 22; Node 20 runs the same bundle (the benchmarks and local runs).
    target: 'node20',
    minify: true,
    plugins: [WITHOUT_UNUSED_MODULES],
    write: false,
    logLevel: 'error',
  });
  return result.outputFiles[0]!.contents;
}

/** The embedded default topology's table for every region that runs a redirector, as the bundle derives them. */
export function defaultRoutingTables(): BuiltTablesContent {
  const { topology } = loadTopology();
  const tables = Object.fromEntries(
    redirectorRegions(topology).map((region) => [region, routingTableFor(topology, region)]),
  );
  return { format: BUILT_TABLES_FORMAT, canonicalRegion: topology.gcp.canonicalRegion, tables };
}

/**
 * Runs the staged bundle once to make its code cache: with only PATH from this environment, as the image starts it
 * (the index and the default topology's tables beside it).
 */
async function writeCodeCache(dir: string): Promise<void> {
  try {
    await promisify(execFile)(process.execPath, [join(dir, IMAGE_FILES.entry), WRITE_CODE_CACHE_FLAG], {
      env: { PATH: process.env.PATH },
      timeout: 120_000,
    });
  } catch (err) {
    const { stderr } = err as { stderr?: string };
    throw new Error(`the bundle did not start to make its code cache: ${stderr?.trim() || (err as Error).message}`);
  }
}

export async function buildRedirector({ out, ranges, fetchText }: BuildOptions): Promise<BuildResult> {
  const loaded = ranges ? ranges.map(fromFile) : await downloaded(fetchText);
  const index = new RangeIndex(loaded.map((l) => l.ranges));
  const sources = loaded.map((l) => l.source);
  const [main, entry] = await Promise.all([bundle('bin/redirector.ts'), bundle('bin/redirector-loader.ts')]);
  mkdirSync(out, { recursive: true });
  const staging = mkdtempSync(join(out, '.staging-'));
  try {
    writeFileSync(join(staging, IMAGE_FILES.rangeIndex), encodeRangeIndex(index.tables, sources));
    writeFileSync(join(staging, IMAGE_FILES.routingTables), encodeBuiltTables(defaultRoutingTables()));
    writeFileSync(join(staging, IMAGE_FILES.bundle), main);
    writeFileSync(join(staging, IMAGE_FILES.entry), entry);
    await writeCodeCache(staging);
    const files = Object.fromEntries(
      Object.entries(IMAGE_FILES).map(([role, name]) => {
        const { size: bytes } = statSync(join(staging, name));
        renameSync(join(staging, name), join(out, name));
        return [role, { path: join(out, name), bytes }];
      }),
    ) as BuildResult['files'];
    return { entry: files.entry.path, index: files.rangeIndex.path, sources, intervals: index.intervalCount, files };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

const USAGE = `Usage: npm run -s build:redirector -- --out DIR [--ranges aws=FILE,gcp=FILE,azure=FILE]
Builds what the redirector image holds: the bundle, its V8 code cache, the range index of the donors' files, the
default topology's routing tables and DIR/${IMAGE_FILES.entry}, which loads them from beside itself; then
\`PORT=8080 node DIR/${IMAGE_FILES.entry}\` serves as the image does.
  --out DIR         where to write them (created if missing)
  --ranges LIST     the donors' published files to index, cloud=FILE comma-separated (default: download every
                    donor's official file)
  -h, --help        this text`;

export const BUILD_FLAGS = { out: { type: 'string' }, ranges: { type: 'string' } } as const;

/** The options of a command line; a bad --ranges value is a FlagError naming the problem. */
export function buildOptions({ values }: ParsedFlags<typeof BUILD_FLAGS>): BuildOptions {
  const out = resolve(requiredFlag('--out', values.out));
  if (values.ranges === undefined) return { out };
  let ranges: RangeSource[];
  try {
    ranges = parseRangeSources(values.ranges, '--ranges');
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    throw new FlagError(err.problems.map((p) => `${p.variable}: ${p.message}`).join('; '));
  }
  if (ranges.some((r) => r.cloud === INDEX_SOURCE)) {
    throw new FlagError(`--ranges: give the donors' published files (cloud=FILE), not an index`);
  }
  return { out, ranges };
}

async function main(options: BuildOptions): Promise<void> {
  const result = await buildRedirector(options);
  const kib = (bytes: number) => `${Math.round(bytes / 1024)} KiB`;
  for (const [role, { path, bytes }] of Object.entries(result.files)) {
    const about =
      role === 'rangeIndex'
        ? `, ${result.intervals} intervals from ${result.sources.map((s) => `${s.cloud}=${s.file}`).join(', ')}`
        : '';
    process.stdout.write(`${path} (${kib(bytes)}${about})\n`);
  }
}

if (require.main === module) {
  main(commandLineOrExit({ name: 'build-redirector', usage: USAGE, flags: BUILD_FLAGS }, buildOptions)).catch(
    (err: unknown) => {
      process.stderr.write(`build-redirector failed: ${(err as Error).message}\n`);
      process.exit(1);
    },
  );
}
