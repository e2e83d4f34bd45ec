/** Synthesizing the AWS app for tests exactly as bin/aws.ts does (same cdk.json context), into a temp dir. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { App } from 'aws-cdk-lib';
import { addAwsStacks, type AwsStacks } from '../../../lib/clouds/aws/infra/app';
import { awsAppProps } from '../../../lib/clouds/aws/infra/cdk-context';
import { parseTopology, readTopologyFile, DEFAULT_TOPOLOGY, type Topology } from '../../../lib/topology';

export const SMALL_TOPOLOGY_FILE = resolve(__dirname, '../../fixtures/topology-small.yaml');

export function defaultTopology(): Topology {
  return parseTopology(DEFAULT_TOPOLOGY, 'default');
}

export function smallTopology(): Topology {
  return readTopologyFile(SMALL_TOPOLOGY_FILE);
}

export interface SynthesizedAws {
  readonly app: App;
  readonly stacks: AwsStacks;
  readonly outdir: string;
  /** Removes the output directory. */
  cleanup(): void;
}

/** Builds and synthesizes (running the cdk-nag plugin, which throws on any finding). */
export function synthAws(topology: Topology, options: { cfnValidation?: boolean } = {}): SynthesizedAws {
  const outdir = mkdtempSync(join(tmpdir(), 'aws-synth-'));
  const app = new App(awsAppProps({ outdir, cfnValidation: options.cfnValidation }));
  try {
    const stacks = addAwsStacks(app, topology);
    app.synth();
    return { app, stacks, outdir, cleanup: () => rmSync(outdir, { recursive: true, force: true }) };
  } catch (err) {
    rmSync(outdir, { recursive: true, force: true });
    throw err;
  }
}
