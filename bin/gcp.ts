/**
 * The CDK for Terraform app of the GCP side (cdktf.json runs it; bin/synth.ts spawns it).
 * The topology is validated before the App exists: a bad topology writes nothing.
 */
import { mkdirSync } from 'node:fs';
import { App } from 'cdktf';
import { addGcpStacks } from '../lib/clouds/gcp/infra/app';
import { commandLineOrExit } from '../lib/config/command-line';
import { TOPOLOGY_FLAG, TOPOLOGY_FLAG_USAGE, TopologyError } from '../lib/topology';
// The topology file and the deploy outputs earlier steps produced (without them, docs/deploy.md's safe state).
import { appTopology } from '../lib/topology/app-topology';

const USAGE = `Usage: npx tsx bin/gcp.ts [--topology FILE]   (run by \`cdktf synth\` and \`npm run synth\`)
Synthesizes the GCP stacks (CDK for Terraform) into $CDKTF_OUTDIR, else cdktf.out.
${TOPOLOGY_FLAG_USAGE}
  -h, --help        this text`;

const flags = commandLineOrExit({ name: 'gcp', usage: USAGE, flags: TOPOLOGY_FLAG }, ({ values }) => values);

/** A topology problem (found loading it, or by a stack: the replication schedule's period) exits 1 with its message. */
function orExit<T>(build: () => T): T {
  try {
    return build();
  } catch (err) {
    if (err instanceof TopologyError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

// cdktf captures a stack trace for every token; mapping each through tsx's source maps costs about a quarter of
// the synth CPU. Synth errors are messages, not stack traces, so nothing is lost.
process.setSourceMapsEnabled(false);
const topology = orExit(() => appTopology({ flag: flags.topology, env: process.env }));
// Same precedence as cdktf itself (config, then CDKTF_OUTDIR, then cdktf.out), spelled out because the cdktf CLI
// sets CDKTF_OUTDIR and bin/synth.ts relies on it.
const outdir = process.env.CDKTF_OUTDIR ?? 'cdktf.out';
// cdktf creates only the last path segment; a fresh nested output directory (a temp dir's child) needs its parents.
mkdirSync(outdir, { recursive: true });
const app = new App({ outdir });
orExit(() => addGcpStacks(app, topology));
app.synth();
