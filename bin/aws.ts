/**
 * The AWS CDK app (`cdk synth`, or spawned by `npm run synth` with CDK_OUTDIR set). An invalid topology is
 * reported and leaves nothing behind.
 */
import { existsSync, readdirSync, rmdirSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { addAwsStacks } from '../lib/clouds/aws/infra/app';
import { awsAppProps } from '../lib/clouds/aws/infra/cdk-context';
import { commandLineOrExit } from '../lib/config/command-line';
import { TOPOLOGY_FLAG, TOPOLOGY_FLAG_USAGE, TopologyError, type Topology } from '../lib/topology';
// The topology file and the deploy outputs earlier steps produced (without them, docs/deploy.md's safe state).
import { appTopology } from '../lib/topology/app-topology';

const USAGE = `Usage: npx tsx bin/aws.ts [--topology FILE]   (run by \`cdk synth [-c topology=FILE]\` and \`npm run synth\`)
Synthesizes the AWS stacks (CDK) into $CDK_OUTDIR, else cdk.out. The topology: --topology, else the CDK context
value \`topology\`, else $TOPOLOGY, else the embedded registry.k8s.io topology.
${TOPOLOGY_FLAG_USAGE}
  -h, --help        this text`;

// Before the App exists: a bad command line leaves no output directory behind.
const flags = commandLineOrExit({ name: 'aws', usage: USAGE, flags: TOPOLOGY_FLAG }, ({ values }) => values);
const outdirExisted = process.env.CDK_OUTDIR !== undefined && existsSync(process.env.CDK_OUTDIR);
// cdk.json's feature flags apply even without the CDK CLI: `cdk synth` and `npm run synth` write the same templates.
const app = new App(awsAppProps());

function topologyOrExit(): Topology {
  try {
    const contextPath: string | undefined = app.node.tryGetContext('topology');
    return appTopology({ flag: flags.topology, env: process.env, contextPath });
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
