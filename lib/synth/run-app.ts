/**
 * Running one infrastructure app as its own process, its output redirected into a directory of the caller's
 * choosing. `npm run synth` runs the working tree's apps; `npm run diff` also runs a base revision's apps from a
 * temporary worktree (`root`).
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import type { SynthTarget } from './targets';
import { tsxNodeArgs } from './tsx';

export interface AppRun {
  readonly target: SynthTarget;
  readonly outdir: string;
  readonly code: number | null;
  /** Everything the app printed, stdout and stderr interleaved. */
  readonly output: string;
}

export interface AppRunOptions {
  /** The checkout whose app runs (its `target.script`). */
  readonly root: string;
  /** Where the app writes; created by the app. */
  readonly outdir: string;
  /** Absolute topology file; undefined = the app's embedded default. */
  readonly topologyPath?: string;
}

/** Runs one app; resolves with its exit code and everything it printed (never rejects). */
export function runApp(target: SynthTarget, options: AppRunOptions): Promise<AppRun> {
  const args = [
    ...tsxNodeArgs(resolve(options.root, target.script)),
    ...(options.topologyPath ? ['--topology', options.topologyPath] : []),
  ];
  const env = { ...process.env, [target.outdirEnv]: options.outdir };
  delete env.TOPOLOGY; // the path, if any, is passed explicitly above
  return new Promise((done) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', (err) => chunks.push(Buffer.from(String(err))));
    child.on('close', (code) =>
      done({ target, outdir: options.outdir, code, output: Buffer.concat(chunks).toString('utf8') }),
    );
  });
}
