import { pathToFileURL } from 'node:url';

/**
 * Node arguments that run a TypeScript file through tsx, from any working directory (a bare `--import tsx`
 * resolves against the working directory, which fails outside the repository).
 */
export function tsxNodeArgs(script: string): string[] {
  return ['--import', pathToFileURL(require.resolve('tsx')).href, script];
}
