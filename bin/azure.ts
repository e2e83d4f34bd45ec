/**
 * The CDK for Terraform app of the Azure side (bin/synth.ts spawns it for a topology whose `azure:` section is
 * enabled). The topology is validated before the App exists: a bad topology writes nothing.
 */
import { mkdirSync } from 'node:fs';
import { App } from 'cdktf';
import { addAzureStacks } from '../lib/clouds/azure/infra/app';
import { commandLineOrExit } from '../lib/config/command-line';
import { TOPOLOGY_FLAG, TOPOLOGY_FLAG_USAGE, TopologyError } from '../lib/topology';
import { appTopology } from '../lib/topology/app-topology';

const USAGE = `Usage: npx tsx bin/azure.ts [--topology FILE]   (run by \`npm run synth\`)
Synthesizes the Azure stack (CDK for Terraform) into $CDKTF_OUTDIR, else cdktf.out.azure.
${TOPOLOGY_FLAG_USAGE}
  -h, --help        this text`;

const flags = commandLineOrExit({ name: 'azure', usage: USAGE, flags: TOPOLOGY_FLAG }, ({ values }) => values);

function exit(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

// As in bin/gcp.ts: no source-mapped stack trace per token.
process.setSourceMapsEnabled(false);
let topology;
try {
  topology = appTopology({ flag: flags.topology, env: process.env });
} catch (err) {
  if (err instanceof TopologyError) exit(err.message);
  throw err;
}
const azure = topology.azure;
if (!azure?.enabled)
  exit('this topology has no enabled azure section (azure.enabled): there is no Azure app to synthesize');
const outdir = process.env.CDKTF_OUTDIR ?? 'cdktf.out.azure';
mkdirSync(outdir, { recursive: true });
const app = new App({ outdir });
addAzureStacks(app, topology, azure);
app.synth();
