/**
 * `npm run diff -- [--base REF] [--format text|markdown|json] [--topology FILE] [--fail-on-destructive]
 * [--allow-destructive TYPE ...]`: synthesizes the app of every donor each side's topology enables at the base (a
 * temporary git worktree that borrows the installed node_modules, cached by the base's tree) and in the working
 * tree, and prints what changes on every cloud, what is dangerous, and which clients are routed elsewhere. The comparison is lib/diff's; this file is
 * the shell around it: git, the cache, the synth processes, printing and the exit code.
 *
 * Exit codes: 0 no change, 2 changes, 3 a flagged change with --fail-on-destructive, 1 an error.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { choiceFlag, FlagError, parseFlags, usageErrorText } from '../lib/config/command-line';
import { embeddedDefaultTopology, sideTargets } from '../lib/diff/apps';
import { baseCacheKey, staleEntries } from '../lib/diff/base-cache';
import { compareSynthOutputs, exitCodeOf, readSynthOutput } from '../lib/diff/compare';
import { DANGER_RULES } from '../lib/diff/danger';
import { FORMATS, render, type Format } from '../lib/diff/render';
import { runApp, type AppRun } from '../lib/synth/run-app';
import { SYNTH_TARGETS, type SynthTarget } from '../lib/synth/targets';
import { DEFAULT_TOPOLOGY, parseTopologyText } from '../lib/topology';

const ERROR_EXIT = 1;

const USAGE = `usage: npm run diff -- [--base REF] [--format ${FORMATS.join('|')}] [--topology FILE]
                       [--fail-on-destructive] [--allow-destructive TYPE ...]

  --base REF               compare with the merge-base of REF and HEAD (default: origin/main, else main)
  --format FORMAT          text (default), markdown (a PR comment) or json
  --topology FILE          a file in the repository: each side uses its own version of it;
                           a file outside: both sides use it (default: TOPOLOGY, else the embedded default)
  --fail-on-destructive    exit 3 when a change is flagged
  --allow-destructive TYPE a resource type whose flagged changes do not fail (repeat, or comma-separate)

exit codes: 0 no change, 2 changes, 3 flagged change with --fail-on-destructive, 1 error
danger flags: ${DANGER_RULES.map((rule) => rule.name).join(', ')}
`;

interface Options {
  readonly base?: string;
  readonly format: Format;
  readonly topology?: string;
  readonly failOnDestructive: boolean;
  readonly allowDestructive: readonly string[];
}

const COMMAND_LINE = {
  name: 'diff',
  usage: USAGE,
  flags: {
    base: { type: 'string' },
    format: { type: 'string' },
    topology: { type: 'string' },
    'fail-on-destructive': { type: 'boolean' },
    'allow-destructive': { type: 'string', multiple: true },
  },
} as const;

/** The options, or 'help'; throws FlagError (the diff's exit codes are its own: a bad flag is exit 1). */
function parseCommandLine(argv: readonly string[]): Options | 'help' {
  const parsed = parseFlags(argv, COMMAND_LINE);
  if (parsed === 'help') return parsed;
  const { values } = parsed;
  return {
    ...(values.base !== undefined ? { base: values.base } : {}),
    format: choiceFlag('--format', values.format ?? 'text', FORMATS),
    ...(values.topology !== undefined ? { topology: values.topology } : {}),
    failOnDestructive: values['fail-on-destructive'] ?? false,
    allowDestructive: (values['allow-destructive'] ?? []).flatMap((list) => list.split(',')).filter(Boolean),
  };
}

function git(cwd: string, ...args: string[]): string {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (err) {
    const stderr = String((err as { stderr?: unknown }).stderr ?? '').trim();
    throw new Error(`git ${args.join(' ')} failed${stderr ? `: ${stderr}` : ''}`);
  }
}

const gitSucceeds = (cwd: string, ...args: string[]) => {
  try {
    git(cwd, ...args);
    return true;
  } catch {
    return false;
  }
};

/** origin/main when the repository has that remote branch (CI, clones), else the local main. */
function defaultBase(repo: string): string {
  return gitSucceeds(repo, 'rev-parse', '--verify', '--quiet', 'origin/main^{commit}') ? 'origin/main' : 'main';
}

/** Which topology each side synthesizes with, and what of it goes into the cache key. */
interface TopologyChoice {
  readonly head?: string;
  /** Given the base checkout's root. */
  readonly base: (root: string) => string | undefined;
  readonly cacheKey: string;
}

function chooseTopology(file: string | undefined, repo: string, baseCommit: string, baseRef: string): TopologyChoice {
  if (!file) return { base: () => undefined, cacheKey: 'default' };
  const absolute = resolve(file);
  if (!existsSync(absolute)) throw new FlagError(`--topology ${file}: no such file`);
  const inRepo = relative(repo, absolute);
  if (inRepo.startsWith('..') || isAbsolute(inRepo)) {
    const content = createHash('sha256').update(readFileSync(absolute)).digest('hex');
    return { head: absolute, base: () => absolute, cacheKey: `file:${content}` };
  }
  const path = inRepo.split('\\').join('/');
  if (!gitSucceeds(repo, 'cat-file', '-e', `${baseCommit}:${path}`)) {
    throw new FlagError(
      `--topology ${file}: the base ${baseRef} has no ${path}, so there is nothing to compare it with ` +
        '(a file outside the repository is used for both sides)',
    );
  }
  return { head: absolute, base: (root) => join(root, path), cacheKey: `repo:${path}` };
}

interface SideFailure {
  readonly side: string;
  readonly runs: readonly AppRun[];
}

interface BaseOutput {
  readonly dir: string;
  readonly cached: boolean;
}

const isFailure = (side: BaseOutput | SideFailure): side is SideFailure => 'runs' in side;

/**
 * The apps the checkout at `root` runs: those of the donors its topology enables (its file, else its own embedded
 * default) whose script it has; every app it has when its default cannot be read.
 */
function appsAt(root: string, topologyPath: string | undefined, embeddedDefault: () => unknown): SynthTarget[] {
  const raw =
    topologyPath === undefined
      ? embeddedDefault()
      : parseTopologyText(readFileSync(topologyPath, 'utf8'), topologyPath);
  const hasScript = (script: string) => existsSync(join(root, script));
  return raw === undefined
    ? SYNTH_TARGETS.filter((t) => hasScript(t.script))
    : sideTargets(raw, SYNTH_TARGETS, hasScript);
}

/** Synthesizes the apps of the checkout at `root` into `outdir/<each app's usual output dir>`. */
async function synthesize(
  root: string,
  outdir: string,
  topologyPath: string | undefined,
  targets: readonly SynthTarget[],
): Promise<AppRun[]> {
  const runs = await Promise.all(
    targets.map((target) => runApp(target, { root, outdir: join(outdir, target.outdir), topologyPath })),
  );
  return runs.filter((run) => run.code !== 0);
}

/** The base's synth output: from the cache, or synthesized in a temporary worktree that is always removed. */
async function baseOutput(
  repo: string,
  work: string,
  commit: string,
  cacheDir: string,
  topology: TopologyChoice,
  label: string,
): Promise<BaseOutput | SideFailure> {
  if (existsSync(cacheDir)) {
    const now = new Date();
    utimesSync(cacheDir, now, now); // pruning keeps the most recently used
    return { dir: cacheDir, cached: true };
  }
  const worktree = join(work, 'base-worktree');
  const outdir = join(work, 'base-out');
  git(repo, 'worktree', 'add', '--detach', '--quiet', worktree, commit);
  try {
    // The base runs with the installed libraries (its lockfile may differ; the cache key records which were used).
    if (!existsSync(join(worktree, 'node_modules')))
      symlinkSync(join(repo, 'node_modules'), join(worktree, 'node_modules'), 'dir');
    const topologyPath = topology.base(worktree);
    const apps = appsAt(worktree, topologyPath, () => embeddedDefaultTopology(worktree, work));
    const failed = await synthesize(worktree, outdir, topologyPath, apps);
    if (failed.length > 0) return { side: label, runs: failed };
  } finally {
    // The link goes first, so that nothing can reach through it into the real node_modules.
    rmSync(join(worktree, 'node_modules'), { force: true });
    git(repo, 'worktree', 'remove', '--force', worktree);
  }
  mkdirSync(join(cacheDir, '..'), { recursive: true });
  if (!existsSync(cacheDir)) renameSync(outdir, cacheDir); // a concurrent diff may have filled it meanwhile
  pruneCache(join(cacheDir, '..'));
  return { dir: cacheDir, cached: false };
}

function pruneCache(root: string): void {
  const entries = readdirSync(root).map((name) => ({ name, mtimeMs: statSync(join(root, name)).mtimeMs }));
  for (const name of staleEntries(entries)) rmSync(join(root, name), { recursive: true, force: true });
}

function dependenciesHash(repo: string): string {
  const lock = join(repo, 'node_modules', '.package-lock.json');
  return existsSync(lock) ? createHash('sha256').update(readFileSync(lock)).digest('hex') : 'no-lock';
}

function reportFailure(failure: SideFailure): void {
  for (const run of failure.runs)
    process.stderr.write(
      `diff: ${failure.side}: ${run.target.cloud} synth failed (exit ${run.code}):\n${run.output}\n`,
    );
}

const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

async function main(): Promise<number> {
  const options = parseCommandLine(process.argv.slice(2));
  if (options === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const repo = git(process.cwd(), 'rev-parse', '--show-toplevel');
  const baseRef = options.base ?? defaultBase(repo);
  if (!gitSucceeds(repo, 'rev-parse', '--verify', '--quiet', `${baseRef}^{commit}`))
    throw new FlagError(`--base ${baseRef}: not a commit in ${repo}`);
  const baseCommit = git(repo, 'merge-base', baseRef, 'HEAD');
  const topology = chooseTopology(options.topology ?? process.env.TOPOLOGY, repo, baseCommit, baseRef);
  const key = baseCacheKey({
    tree: git(repo, 'rev-parse', `${baseCommit}^{tree}`),
    topology: topology.cacheKey,
    dependencies: dependenciesHash(repo),
    targets: JSON.stringify(
      SYNTH_TARGETS.map(({ donor, script, outdir, outdirEnv, outputKind }) => [
        donor,
        script,
        outdir,
        outdirEnv,
        outputKind,
      ]),
    ),
  });
  const cacheDir = resolve(repo, git(repo, 'rev-parse', '--git-common-dir'), 'multicloud-registry-diff', key);
  const baseLabel = `base ${baseRef} (${baseCommit.slice(0, 12)})`;

  const work = mkdtempSync(join(tmpdir(), 'multicloud-diff-'));
  const cleanUp = () => {
    rmSync(join(work, 'base-worktree', 'node_modules'), { force: true });
    if (existsSync(join(work, 'base-worktree')))
      gitSucceeds(repo, 'worktree', 'remove', '--force', join(work, 'base-worktree'));
    rmSync(work, { recursive: true, force: true });
  };
  const interrupted = () => {
    cleanUp();
    process.exit(130);
  };
  process.once('SIGINT', interrupted).once('SIGTERM', interrupted);
  try {
    const started = Date.now();
    const headDir = join(work, 'head-out');
    const [base, headFailures] = await Promise.all([
      baseOutput(repo, work, baseCommit, cacheDir, topology, baseLabel),
      synthesize(
        repo,
        headDir,
        topology.head,
        appsAt(repo, topology.head, () => DEFAULT_TOPOLOGY),
      ),
    ]);
    const failures: SideFailure[] = [
      ...(isFailure(base) ? [base] : []),
      ...(headFailures.length > 0 ? [{ side: 'working tree', runs: headFailures }] : []),
    ];
    if (failures.length > 0 || isFailure(base)) {
      failures.forEach(reportFailure);
      process.stderr.write('diff: nothing compared: a side that does not synthesize has no diff.\n');
      return ERROR_EXIT;
    }
    const how = base.cached ? 'cached' : 'synthesized';
    process.stderr.write(`diff: ${baseLabel} ${how}, working tree synthesized, in ${seconds(started)}\n`);
    // Every app is read on both sides: one that did not run on a side (a donor off there) has no stacks there.
    const report = compareSynthOutputs(
      readSynthOutput(base.dir, SYNTH_TARGETS),
      readSynthOutput(headDir, SYNTH_TARGETS),
      baseRef,
    );
    process.stdout.write(render(report, options.format));
    return exitCodeOf(report, options);
  } finally {
    process.off('SIGINT', interrupted).off('SIGTERM', interrupted);
    cleanUp();
  }
}

// exitCode, not exit(): a long report written to a pipe must be flushed whole before the process ends.
main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof FlagError) process.stderr.write(usageErrorText('diff', err.message));
    else process.stderr.write(`diff: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = ERROR_EXIT;
  },
);
