/**
 * Diff benchmark: `npm run diff` on the embedded default topology with a cold base cache (both sides synthesized)
 * and a warm one (only the working tree), each as a ratio to `npm run synth` measured in the same round, median of
 * several rounds. Targets: cold at most 2x, warm at most 1.2x.
 *
 * It runs in a throwaway repository made of the committed files (HEAD), so the real repository's cache and its
 * working tree are left alone.
 *
 *   npm run bench:diff [-- --runs 3]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { tsxNodeArgs } from '../lib/synth/tsx';
import { median } from './stats';

const REPO = resolve(__dirname, '..');
const TARGETS = { cold: 2, warm: 1.2 };

function run(cwd: string, command: string, args: string[], okCodes = [0]): void {
  const env = { ...process.env };
  delete env.TOPOLOGY;
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8' });
  if (!okCodes.includes(result.status ?? -1))
    throw new Error(`${command} ${args.join(' ')} failed (${result.status}):\n${result.stderr}`);
}

function seconds(work: () => void): number {
  const started = process.hrtime.bigint();
  work();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

function throwawayRepository(): { dir: string; remove: () => void } {
  const work = mkdtempSync(join(tmpdir(), 'bench-diff-'));
  const dir = join(work, 'repo');
  mkdirSync(dir);
  run(REPO, 'sh', ['-c', `git archive HEAD | tar -x -C "${dir}"`]);
  run(dir, 'git', ['init', '-q', '-b', 'main']);
  writeFileSync(join(dir, '.git', 'info', 'exclude'), 'node_modules\ncdk.out\ncdktf.out\n');
  symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'), 'dir');
  run(dir, 'git', ['add', '-A']);
  run(dir, 'git', ['-c', 'user.name=bench', '-c', 'user.email=bench@example.com', 'commit', '-q', '-m', 'base']);
  return { dir, remove: () => rmSync(work, { recursive: true, force: true }) };
}

function main(): void {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' } }, strict: true });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs ${values.runs}: not a positive integer`);

  const repo = throwawayRepository();
  try {
    const synth = () => run(repo.dir, process.execPath, tsxNodeArgs(join(repo.dir, 'bin', 'synth.ts')));
    const diff = () => run(repo.dir, process.execPath, tsxNodeArgs(join(REPO, 'bin', 'diff.ts')), [0, 2]);
    const dropCache = () =>
      rmSync(join(repo.dir, '.git', 'multicloud-registry-diff'), { recursive: true, force: true });
    const times = { synth: [] as number[], cold: [] as number[], warm: [] as number[] };
    synth(); // warms the file system cache and tsx's compile cache, which every later command shares
    for (let round = 1; round <= runs; round++) {
      times.synth.push(seconds(synth));
      dropCache();
      times.cold.push(seconds(diff));
      times.warm.push(seconds(diff));
      process.stderr.write(
        `round ${round}: synth ${times.synth.at(-1)!.toFixed(1)} s, cold diff ${times.cold.at(-1)!.toFixed(1)} s, ` +
          `warm diff ${times.warm.at(-1)!.toFixed(1)} s\n`,
      );
    }
    // Each round's ratio is taken against the synth of the same round: on a shared machine the load drifts between
    // rounds far more than within one.
    const ratios = (side: number[]) => median(side.map((value, i) => value / times.synth[i]!));
    const line = (name: string, value: number, ratio: number, target?: number) => {
      const verdict = target === undefined ? '' : ` (target <= ${target}x: ${ratio <= target ? 'met' : 'NOT met'})`;
      return `${name.padEnd(28)} ${value.toFixed(1).padStart(6)} s  ${ratio.toFixed(2)}x${verdict}`;
    };
    process.stdout.write(
      [
        `default topology, ${runs} rounds: median time, median of each round's ratio to that round's synth`,
        line('npm run synth (reference)', median(times.synth), 1),
        line('npm run diff, cold base', median(times.cold), ratios(times.cold), TARGETS.cold),
        line('npm run diff, warm base', median(times.warm), ratios(times.warm), TARGETS.warm),
        '',
      ].join('\n'),
    );
  } finally {
    repo.remove();
  }
}

main();
