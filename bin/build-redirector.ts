/**
 * Builds what the redirector image holds, into one directory (docker/redirector.Dockerfile runs this same script):
 *   DIR/redirector.js   the esbuild bundle of bin/redirector.ts: one file, no node_modules, no module resolution
 *   DIR/ip-ranges.bin   the range index of the donors' official files (lib/redirector/range-index-file.ts)
 * `node DIR/redirector.js` finds the index beside itself, so it serves with only PORT set.
 *
 *   npm run -s build:redirector -- --out DIR [--ranges aws=FILE,gcp=FILE,azure=FILE]
 * Without --ranges, every donor's official file is downloaded and validated (as npm run fetch-ip-ranges does).
 * Both files are written only once everything succeeded, each by a rename, so a failed build leaves DIR as it was.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { DONORS } from '../lib/clouds/donors';
import { RangeFileError } from '../lib/clouds/ranges';
import { commandLineOrExit, FlagError, requiredFlag, type ParsedFlags } from '../lib/config/command-line';
import { ConfigError, parseRangeSources, type RangeSource } from '../lib/redirector/config';
import { INDEX_SOURCE } from '../lib/redirector/config/range-sources';
import { readCloudRanges } from '../lib/redirector/load-ranges';
import { RangeIndex, type CloudRanges } from '../lib/redirector/range-index';
import { encodeRangeIndex, RANGE_INDEX_FILE, type IndexSource } from '../lib/redirector/range-index-file';
import { fetchOfficialRanges, type FetchText } from './fetch-ip-ranges';

const ROOT = resolve(__dirname, '..');
export const BUNDLE_FILE = 'redirector.js';

export interface BuildOptions {
  readonly out: string;
  /** The donors' files to index; undefined: download every donor's official file. */
  readonly ranges?: readonly RangeSource[];
  /** How downloads are made (tests stand in for the network). */
  readonly fetchText?: FetchText;
}

export interface BuildResult {
  readonly bundle: string;
  readonly index: string;
  readonly sources: readonly IndexSource[];
  readonly intervals: number;
  readonly bytes: { readonly bundle: number; readonly index: number };
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
 * zod's API re-exports every one of its 40 locales (`z.locales`), which keeps them all in a bundle: a third of
 * ours, to be read and compiled at every start. The redirector's messages are zod's English default (imported by
 * zod's schemas directly, so it stays) or our own, so the bundle gets an empty `z.locales`.
 */
const WITHOUT_ZOD_LOCALES: Plugin = {
  name: 'without-zod-locales',
  setup(esbuild) {
    esbuild.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, ({ importer }) =>
      /[/\\]node_modules[/\\]zod[/\\]/.test(importer) ? { path: 'zod-locales', namespace: 'empty' } : undefined,
    );
    esbuild.onLoad({ filter: /.*/, namespace: 'empty' }, () => ({ contents: 'export {};', loader: 'js' }));
  },
};

/** The bundle's text: what the image runs. */
async function bundle(): Promise<Uint8Array> {
  const result = await build({
    entryPoints: [join(ROOT, 'bin/redirector.ts')],
    bundle: true,
    platform: 'node',
    // The runtime image is Node 22; Node 20 runs the same bundle (the benchmarks and local runs).
    target: 'node20',
    minify: true,
    plugins: [WITHOUT_ZOD_LOCALES],
    write: false,
    logLevel: 'error',
  });
  return result.outputFiles[0]!.contents;
}

/** Writes a file by a rename, so that it is either the old one or the whole new one. */
function replaceFile(file: string, bytes: Uint8Array): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, bytes);
  renameSync(temporary, file);
}

export async function buildRedirector({ out, ranges, fetchText }: BuildOptions): Promise<BuildResult> {
  const loaded = ranges ? ranges.map(fromFile) : await downloaded(fetchText);
  const index = new RangeIndex(loaded.map((l) => l.ranges));
  const sources = loaded.map((l) => l.source);
  const indexBytes = encodeRangeIndex(index.tables, sources);
  const bundleBytes = await bundle();
  mkdirSync(out, { recursive: true });
  const paths = { bundle: join(out, BUNDLE_FILE), index: join(out, RANGE_INDEX_FILE) };
  replaceFile(paths.index, indexBytes);
  replaceFile(paths.bundle, bundleBytes);
  return {
    ...paths,
    sources,
    intervals: index.intervalCount,
    bytes: { bundle: bundleBytes.length, index: indexBytes.length },
  };
}

const USAGE = `Usage: npm run -s build:redirector -- --out DIR [--ranges aws=FILE,gcp=FILE,azure=FILE]
Builds what the redirector image holds: DIR/${BUNDLE_FILE} (the bundle) and DIR/${RANGE_INDEX_FILE} (the range
index it loads from beside itself); then \`PORT=8080 node DIR/${BUNDLE_FILE}\` serves as the image does.
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
  process.stdout.write(
    `${result.bundle} (${kib(result.bytes.bundle)})\n` +
      `${result.index} (${kib(result.bytes.index)}, ${result.intervals} intervals from ` +
      `${result.sources.map((s) => `${s.cloud}=${s.file}`).join(', ')})\n`,
  );
}

if (require.main === module) {
  main(commandLineOrExit({ name: 'build-redirector', usage: USAGE, flags: BUILD_FLAGS }, buildOptions)).catch(
    (err: unknown) => {
      process.stderr.write(`build-redirector failed: ${(err as Error).message}\n`);
      process.exit(1);
    },
  );
}
