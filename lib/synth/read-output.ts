/** Reads what `cdk synth` and `cdktf synth` wrote, into stack summaries. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { countCloudFormationResources, countTerraformResources, type StackSummary } from './summary';

const readJson = (path: string): unknown => JSON.parse(readFileSync(path, 'utf8'));

interface CdkManifest {
  artifacts?: Record<string, { type: string; properties?: { templateFile?: string } }>;
}

/** The stacks of a cloud assembly (cdk.out), sorted by name. */
export function readCdkAssembly(outdir: string): StackSummary[] {
  const manifest = readJson(join(outdir, 'manifest.json')) as CdkManifest;
  return Object.entries(manifest.artifacts ?? {})
    .filter(([, artifact]) => artifact.type === 'aws:cloudformation:stack' && artifact.properties?.templateFile)
    .map(([name, artifact]) => ({
      name,
      resourcesByType: countCloudFormationResources(
        readJson(join(outdir, artifact.properties!.templateFile!)) as Parameters<
          typeof countCloudFormationResources
        >[0],
      ),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

interface CdktfManifest {
  stacks?: Record<string, { synthesizedStackPath: string }>;
}

/** The stacks of a CDKTF output directory (cdktf.out), sorted by name. */
export function readCdktfOutput(outdir: string): StackSummary[] {
  const manifest = readJson(join(outdir, 'manifest.json')) as CdktfManifest;
  return Object.entries(manifest.stacks ?? {})
    .map(([name, stack]) => ({
      name,
      resourcesByType: countTerraformResources(
        readJson(join(outdir, stack.synthesizedStackPath)) as Parameters<typeof countTerraformResources>[0],
      ),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}
