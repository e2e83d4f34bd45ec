/**
 * Finding and starting the CLIs the steps run. `cdk`, `cdktf` and `gcloud` are looked up on PATH first (under
 * `npm run`, PATH starts with the repository's node_modules/.bin, so the pinned CLIs win), then in
 * node_modules/.bin; the replicator is this repository's entry point. Every command runs from the repository root,
 * where cdk.json and cdktf.json are, with the terminal attached (the CLIs may ask for approval).
 */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Env } from '../config/env';
import { tsxNodeArgs } from '../synth/tsx';
import type { Tool } from './plan';
import type { Exec } from './run';

/** What to install when a CLI is missing. */
const INSTALL: Readonly<Record<Exclude<Tool, 'replicator'>, string>> = {
  cdk: 'npm ci (aws-cdk is a dev dependency)',
  cdktf: 'npm ci (cdktf-cli is a dev dependency; it also needs terraform on PATH)',
  gcloud: 'the Google Cloud CLI (https://cloud.google.com/sdk/docs/install)',
};

export class MissingToolError extends Error {}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The executable and leading arguments that start a tool; throws MissingToolError saying what to install. */
export function resolveTool(tool: Tool, repoRoot: string, env: Env): readonly string[] {
  if (tool === 'replicator') return [process.execPath, ...tsxNodeArgs(join(repoRoot, 'bin', 'replicate.ts'))];
  const dirs = [...(env.PATH ?? '').split(delimiter).filter(Boolean), join(repoRoot, 'node_modules', '.bin')];
  const found = dirs.map((dir) => join(dir, tool)).find(isExecutable);
  if (!found) throw new MissingToolError(`${tool} is not on PATH nor in node_modules/.bin: install ${INSTALL[tool]}`);
  return [found];
}

/** The real exec: the tool as a child process with the terminal attached, from the repository root. */
export function spawnExec(repoRoot: string, env: Env): Exec {
  return (command) =>
    new Promise((done) => {
      let argv: readonly string[];
      try {
        argv = resolveTool(command.tool, repoRoot, env);
      } catch (err) {
        process.stderr.write(`deploy: ${(err as Error).message}\n`);
        done(127);
        return;
      }
      const child = spawn(argv[0]!, [...argv.slice(1), ...command.args], {
        cwd: repoRoot,
        env: { ...env, ...command.env },
        stdio: command.quiet ? 'ignore' : 'inherit',
      });
      child.on('error', (err) => {
        process.stderr.write(`deploy: cannot start ${argv[0]}: ${err.message}\n`);
        done(127);
      });
      child.on('close', (code, signal) => done(code ?? (signal ? 128 : 1)));
    });
}
