/** An Azure section for tests, and the Azure app synthesized in-process (Terraform JSON, as for GCP). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Testing } from 'cdktf';
import { addAzureStacks } from '../../../lib/clouds/azure/infra/app';
import { type AzureSection, type AzureSectionInput, AzureSchema } from '../../../lib/clouds/azure/section';
import type { Topology } from '../../../lib/topology';
import type { TerraformJson } from '../gcp/support';

/** A two-region section; `change` edits the input before defaults are filled in. */
export function azureSection(change: (raw: AzureSectionInput) => void = () => {}): AzureSection {
  const raw: AzureSectionInput = {
    subscriptionId: '00000000-0000-0000-0000-000000000001',
    tenantId: '00000000-0000-0000-0000-000000000002',
    resourceGroup: 'small-registry',
    location: 'westeurope',
    storageAccountPrefix: 'smallreg',
    mirrorRegions: ['westeurope', 'eastus2'],
    regionAliases: { northeurope: 'westeurope' },
    replicator: { subject: '111111111111111111111' },
  };
  change(raw);
  return AzureSchema.parse(raw);
}

/** The Azure stack's Terraform JSON; writes only to a removed temp dir. */
export function synthesizeAzure(topology: Topology, azure: AzureSection): { json: string; stack: TerraformJson } {
  const outdir = mkdtempSync(join(tmpdir(), 'azure-synth-'));
  try {
    const json = Testing.synth(addAzureStacks(Testing.app({ outdir }), topology, azure).mirrors);
    return { json, stack: JSON.parse(json) as TerraformJson };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
