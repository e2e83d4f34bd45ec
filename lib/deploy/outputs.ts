/**
 * What the deploy remembers between runs, in its outputs directory (default `.deploy/<topology name>/`, ignored by
 * git): each stack deploy's outputs file as the CLI wrote it (`<step>.json`), and the produced values the later
 * steps consume (`outputs.json`), so that `--from` and `--only` hand on what an earlier run produced.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';
import { DEPLOY_OUTPUTS, type DeployOutputs } from '../topology';

export const STORE_FILE = 'outputs.json';

const StoreSchema = z.strictObject(
  Object.fromEntries(Object.entries(DEPLOY_OUTPUTS).map(([key, spec]) => [key, spec.schema.optional()])),
);

/** Where a step's CLI writes its stack outputs. */
export function outputsFileOf(dir: string, stepId: string): string {
  return join(dir, `${stepId}.json`);
}

/** The values produced so far; none before the first producing step. Throws naming the file if it is damaged. */
export function readStore(dir: string): DeployOutputs {
  const path = join(dir, STORE_FILE);
  if (!existsSync(path)) return {};
  try {
    return StoreSchema.parse(JSON.parse(readFileSync(path, 'utf8'))) as DeployOutputs;
  } catch (err) {
    throw new Error(
      `${path} is not a deploy outputs file (${(err as Error).message.split('\n')[0]}): remove it and re-run the producing steps`,
    );
  }
}

/** Replaces the stored values whole (written beside, then renamed: a reader sees the old file or the new one). */
export function writeStore(dir: string, outputs: DeployOutputs): void {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, STORE_FILE);
  writeFileSync(`${path}.tmp`, `${JSON.stringify(outputs, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
}

/**
 * One output from an outputs file as both CLIs write it, `{<stack>: {<output>: value}}`; undefined when the file
 * does not hold it as a string.
 */
export function stackOutput(outputsFile: unknown, stack: string, output: string): string | undefined {
  if (typeof outputsFile !== 'object' || outputsFile === null) return undefined;
  const outputs = (outputsFile as Record<string, unknown>)[stack];
  if (typeof outputs !== 'object' || outputs === null) return undefined;
  const value = (outputs as Record<string, unknown>)[output];
  return typeof value === 'string' ? value : undefined;
}
