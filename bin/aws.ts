/**
 * The AWS CDK app (`cdk synth`, or spawned by `npm run synth` with CDK_OUTDIR set). An invalid topology is
 * reported and leaves nothing behind.
 */
import { existsSync, readdirSync, rmdirSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { addAwsStacks } from '../lib/clouds/aws/infra/app';
import { awsAppProps } from '../lib/clouds/aws/infra/cdk-context';
import { loadTopology, TopologyError, type Topology } from '../lib/topology';

const outdirExisted = process.env.CDK_OUTDIR !== undefined && existsSync(process.env.CDK_OUTDIR);
// cdk.json's feature flags apply even without the CDK CLI: `cdk synth` and `npm run synth` write the same templates.
const app = new App(awsAppProps());

function topologyOrExit(): Topology {
  try {
    const contextPath: string | undefined = app.node.tryGetContext('topology');
    return loadTopology({ argv: process.argv.slice(2), env: process.env, contextPath }).topology;
  } catch (err) {
    if (err instanceof TopologyError) {
      process.stderr.write(`${err.message}\n`);
      // The App creates its (empty) output directory on construction; an invalid topology must leave no trace.
      if (!outdirExisted && readdirSync(app.outdir).length === 0) rmdirSync(app.outdir);
      process.exit(1);
    }
    throw err;
  }
}

addAwsStacks(app, topologyOrExit());
app.synth();
