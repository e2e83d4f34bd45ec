/** Reads what `cdk synth` and `cdktf synth` wrote: the templates themselves, and stack summaries of them. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { countCloudFormationResources, countTerraformResources, type StackSummary } from './summary';

const readJson = (path: string): unknown => JSON.parse(readFileSync(path, 'utf8'));

/** A CloudFormation template, as far as the readers look into it. */
export interface CloudFormationTemplate {
  Resources?: Record<string, { Type: string; [key: string]: unknown }>;
  [key: string]: unknown;
}

/** A Terraform JSON configuration (`cdk.tf.json`), as far as the readers look into it. */
export interface TerraformConfig {
  resource?: Record<string, Record<string, Record<string, unknown>>>;
  [key: string]: unknown;
}

interface CdkManifest {
  artifacts?: Record<string, { type: string; properties?: { templateFile?: string } }>;
}

/** Stack name -> template, for every stack of a cloud assembly (cdk.out). */
export function readCdkTemplates(outdir: string): Record<string, CloudFormationTemplate> {
  const manifest = readJson(join(outdir, 'manifest.json')) as CdkManifest;
  return Object.fromEntries(
    Object.entries(manifest.artifacts ?? {})
      .filter(([, artifact]) => artifact.type === 'aws:cloudformation:stack' && artifact.properties?.templateFile)
      .map(([name, artifact]) => [
        name,
        readJson(join(outdir, artifact.properties!.templateFile!)) as CloudFormationTemplate,
      ]),
  );
}

interface CdktfManifest {
  stacks?: Record<string, { synthesizedStackPath: string }>;
}

/** Stack name -> Terraform configuration, for every stack of a CDKTF output directory (cdktf.out). */
export function readCdktfConfigs(outdir: string): Record<string, TerraformConfig> {
  const manifest = readJson(join(outdir, 'manifest.json')) as CdktfManifest;
  return Object.fromEntries(
    Object.entries(manifest.stacks ?? {}).map(([name, stack]) => [
      name,
      readJson(join(outdir, stack.synthesizedStackPath)) as TerraformConfig,
    ]),
  );
}

function summaries<T>(stacks: Record<string, T>, count: (stack: T) => Record<string, number>): StackSummary[] {
  return Object.entries(stacks)
    .map(([name, stack]) => ({ name, resourcesByType: count(stack) }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** The stacks of a cloud assembly (cdk.out), sorted by name. */
export function readCdkAssembly(outdir: string): StackSummary[] {
  return summaries(readCdkTemplates(outdir), countCloudFormationResources);
}

/** The stacks of a CDKTF output directory (cdktf.out), sorted by name. */
export function readCdktfOutput(outdir: string): StackSummary[] {
  return summaries(readCdktfConfigs(outdir), countTerraformResources);
}
