/**
 * Which donors' apps one side of a diff runs: those its topology enables. Each side's topology is judged by each
 * donor's own section schema (the working tree's), on the raw input, so a base whose topology the working tree's
 * full schema would refuse still says which apps it had. An app whose script the side does not have (a donor
 * onboarded since the base) does not run there: its stacks are all added.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Donor } from '../clouds/donor';
import { donorById, DONORS } from '../clouds/donors';
import type { SynthTarget } from '../synth/targets';
import { tsxNodeArgs } from '../synth/tsx';
import { DEFAULT_TOPOLOGY } from '../topology';

const DEFAULT_MODULE = join('lib', 'topology', 'default.ts');

/** Whether a raw topology turns a donor on: its section parses under the donor's schema and is enabled. */
export function enabledInInput(raw: unknown, donor: Donor): boolean {
  if (!donor.topology) return false;
  const section = (raw as Record<string, unknown> | undefined)?.[donor.id];
  const parsed = donor.topology.schema.safeParse(section);
  // A section the schema refuses is run anyway: its app says what is wrong with it, rather than the diff hiding it.
  return parsed.success ? parsed.data?.enabled === true : section !== undefined;
}

/** The targets one side runs, in the given order. */
export function sideTargets(
  raw: unknown,
  targets: readonly SynthTarget[],
  hasScript: (script: string) => boolean,
  donors: readonly Donor[] = DONORS,
): SynthTarget[] {
  return targets.filter((target) => hasScript(target.script) && enabledInInput(raw, donorById(target.donor, donors)));
}

/**
 * The embedded default topology of the checkout at `root`, as data: the working tree's when the file is the same
 * (the usual case: no process to start), else read by a small script (written into `work`) run in the checkout's own
 * code; undefined when the checkout predates lib/topology/default.ts.
 */
export function embeddedDefaultTopology(root: string, work: string): unknown {
  const module = join(root, DEFAULT_MODULE);
  if (!existsSync(module)) return undefined;
  if (readFileSync(module, 'utf8') === readFileSync(join(__dirname, '..', '..', DEFAULT_MODULE), 'utf8'))
    return DEFAULT_TOPOLOGY;
  const script = join(work, 'embedded-default-topology.ts');
  writeFileSync(
    script,
    `import { DEFAULT_TOPOLOGY } from ${JSON.stringify(module)};\nprocess.stdout.write(JSON.stringify(DEFAULT_TOPOLOGY));\n`,
  );
  return JSON.parse(execFileSync(process.execPath, tsxNodeArgs(script), { cwd: root, encoding: 'utf8' })) as unknown;
}
