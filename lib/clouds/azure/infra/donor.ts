/** Azure's infrastructure half: the CDK for Terraform app of the mirrors (bin/azure.ts), its deploy steps and its account checks. */
import type { DonorInfra, InfraApp } from '../../../synth/donor-infra';
import { readCdktfOutput } from '../../../synth/read-output';
import { azureDeploySteps } from './deploy-steps';

// Its own output directory: `npm run synth` replaces each app's directory whole, and the GCP app has cdktf.out.
const app: InfraApp = {
  script: 'bin/azure.ts',
  outdir: 'cdktf.out.azure',
  outdirEnv: 'CDKTF_OUTDIR',
  readOutput: readCdktfOutput,
  outputKind: 'terraform-json',
};

export const donorInfra: DonorInfra = {
  id: 'azure',
  app,
  deploySteps: (topology) => azureDeploySteps(topology, app),
  async preflight(topology) {
    // Loaded when asked: the Azure SDK's credentials are not needed to synthesize or to plan.
    const { armFetch, azurePreflight } = await import('../../../deploy/preflight/azure');
    return topology.azure ? azurePreflight(topology.azure, await armFetch()) : [];
  },
};
