/** AWS's infrastructure half: the CDK app (bin/aws.ts) and the account checks before a first deploy. */
import type { DonorInfra } from '../../../synth/donor-infra';
import { readCdkAssembly } from '../../../synth/read-output';
import { awsDeploySteps } from './deploy-steps';

export const donorInfra: DonorInfra = {
  id: 'aws',
  app: {
    script: 'bin/aws.ts',
    outdir: 'cdk.out',
    outdirEnv: 'CDK_OUTDIR',
    readOutput: readCdkAssembly,
    outputKind: 'cloudformation-assembly',
  },
  deploySteps: awsDeploySteps,
  async preflight(topology) {
    // Loaded when asked: the AWS SDK clients are not needed to synthesize.
    const { awsPreflight, defaultAwsClients } = await import('../../../deploy/preflight/aws');
    return awsPreflight(topology, defaultAwsClients());
  },
};
