/** Google Cloud's infrastructure half: the CDK for Terraform app (bin/gcp.ts) and the project checks before a deploy. */
import type { DonorInfra } from '../../../synth/donor-infra';
import { readCdktfOutput } from '../../../synth/read-output';
import { gcpDeploySteps } from './deploy-steps';

export const donorInfra: DonorInfra = {
  id: 'gcp',
  app: {
    script: 'bin/gcp.ts',
    outdir: 'cdktf.out',
    outdirEnv: 'CDKTF_OUTDIR',
    readOutput: readCdktfOutput,
    outputKind: 'terraform-json',
  },
  deploySteps: gcpDeploySteps,
  async preflight(topology) {
    const { authorizedFetch, gcpPreflight } = await import('../../../deploy/preflight/gcp');
    return gcpPreflight(topology, authorizedFetch());
  },
};
