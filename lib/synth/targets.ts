/**
 * The infrastructure apps `npm run synth` runs, one entry per tool. A donor whose infrastructure is its own app
 * (Azure, later) adds one entry here; everything else about synth stays as it is.
 */
import { readCdkAssembly, readCdktfOutput } from './read-output';
import type { StackSummary } from './summary';

export interface SynthTarget {
  /** Shown in the summary. */
  readonly cloud: string;
  /** The app's entry point, relative to the repository root. */
  readonly script: string;
  /** Where its output lands, relative to the working directory. */
  readonly outdir: string;
  /** The environment variable through which the app takes its output directory. */
  readonly outdirEnv: string;
  /** Reads the app's output into stack summaries. */
  readonly readOutput: (outdir: string) => StackSummary[];
}

export const SYNTH_TARGETS: readonly SynthTarget[] = [
  { cloud: 'AWS', script: 'bin/aws.ts', outdir: 'cdk.out', outdirEnv: 'CDK_OUTDIR', readOutput: readCdkAssembly },
  { cloud: 'GCP', script: 'bin/gcp.ts', outdir: 'cdktf.out', outdirEnv: 'CDKTF_OUTDIR', readOutput: readCdktfOutput },
];
