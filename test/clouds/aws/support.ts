/** Synthesizing the AWS app for tests exactly as bin/aws.ts does (same cdk.json context), into a temp dir. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { App, CloudFormationValidatePlugin, type PolicyValidationPluginReport } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
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

/** One run of a validation plugin during synthesis: the templates it read and the report it returned. */
export interface PluginRun {
  /** Template file names, sorted. */
  readonly templates: readonly string[];
  readonly report: PolicyValidationPluginReport;
}

export interface SynthesizedAws {
  readonly app: App;
  readonly stacks: AwsStacks;
  readonly outdir: string;
  /**
   * What each validation plugin did. The assembly's validation-report.json lists no plugin that found nothing,
   * so an empty report cannot tell "validated, clean" from "never ran": these runs can.
   */
  readonly validations: { readonly nag: readonly PluginRun[]; readonly cloudFormation: readonly PluginRun[] };
  /** Removes the output directory. */
  cleanup(): void;
}

/** Builds and synthesizes (running the cdk-nag plugin, which throws on any finding). */
export function synthAws(topology: Topology, options: { cfnValidation?: boolean } = {}): SynthesizedAws {
  const outdir = mkdtempSync(join(tmpdir(), 'aws-synth-'));
  const app = new App(awsAppProps({ outdir, cfnValidation: options.cfnValidation }));
  const nag = jest.spyOn(AwsSolutionsChecks.prototype, 'validate');
  const cloudFormation = jest.spyOn(CloudFormationValidatePlugin.prototype, 'validate');
  try {
    const stacks = addAwsStacks(app, topology);
    app.synth();
    const validations = { nag: runsOf(nag), cloudFormation: runsOf(cloudFormation) };
    return { app, stacks, outdir, validations, cleanup: () => rmSync(outdir, { recursive: true, force: true }) };
  } catch (err) {
    rmSync(outdir, { recursive: true, force: true });
    throw err;
  } finally {
    nag.mockRestore();
    cloudFormation.mockRestore();
  }
}

function runsOf(validate: jest.SpiedFunction<CloudFormationValidatePlugin['validate']>): PluginRun[] {
  return validate.mock.calls.map(([context], i) => ({
    templates: context.templatePaths.map((path) => basename(path)).sort(),
    report: validate.mock.results[i]!.value as PolicyValidationPluginReport,
  }));
}
