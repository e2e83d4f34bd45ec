/**
 * The AWS CDK app (`cdk synth`, or spawned by `npm run synth` with CDK_OUTDIR set). An invalid topology is
 * reported before anything is written.
 */
import { App } from 'aws-cdk-lib';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { addAwsStacks } from '../lib/clouds/aws/app';
import { cdkJsonContext } from '../lib/clouds/aws/cdk-context';
import { loadTopology, TopologyError, type Topology } from '../lib/topology';

// cdk.json's feature flags also apply when this file runs without the CDK CLI (npm run synth): same templates either
// way. Like the CLI without --debug, record no creation stack traces: they cost time and put absolute paths in cdk.out.
// The built-in CloudFormation schema validation (a WASM linter, about 0.2 s a stack, warnings only) runs in the
// tests instead (test/clouds/aws/app.test.ts), so that synthesizing 33 stacks stays within a few seconds.
const app = new App({
  builtinCloudFormationValidation: false,
  context: {
    [cxapi.DISABLE_METADATA_STACK_TRACE]: true,
    [cxapi.DISABLE_CREATION_STACK_TRACES]: true,
    ...cdkJsonContext(),
  },
});

function topologyOrExit(): Topology {
  try {
    return loadTopology({
      argv: process.argv.slice(2),
      env: process.env,
      contextPath: app.node.tryGetContext('topology'),
    }).topology;
  } catch (err) {
    if (err instanceof TopologyError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

addAwsStacks(app, topologyOrExit());
app.synth();
