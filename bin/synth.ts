/**
 * `npm run synth [-- --topology FILE] [--only DONOR]`: synthesizes the app of every donor the topology enables
 * (lib/synth/synthesize.ts), all or nothing.
 */
import { resolve } from 'node:path';
import { choiceFlag, commandLineOrExit, type ParsedFlags } from '../lib/config/command-line';
import { synthesize } from '../lib/synth/synthesize';
import { SYNTH_TARGETS } from '../lib/synth/targets';
import { TOPOLOGY_FLAG, TOPOLOGY_FLAG_USAGE } from '../lib/topology';

const REPO_ROOT = resolve(__dirname, '..');

const APPS = SYNTH_TARGETS.map((t) => t.donor);

const USAGE = `Usage: npm run synth [-- --topology FILE] [--only ${APPS.join('|')}]
Validates the topology and synthesizes the app of every donor it enables into its output directory
(${SYNTH_TARGETS.map((t) => `${t.donor}: ${t.outdir}/`).join(', ')}), all or nothing.
${TOPOLOGY_FLAG_USAGE}
  --only DONOR      synthesize one donor's app only
  -h, --help        this text`;

const FLAGS = { ...TOPOLOGY_FLAG, only: { type: 'string' } } as const;

function options({ values }: ParsedFlags<typeof FLAGS>) {
  return {
    topology: values.topology,
    only: values.only === undefined ? undefined : choiceFlag('--only', values.only.toLowerCase(), APPS),
  };
}

const { topology, only } = commandLineOrExit({ name: 'synth', usage: USAGE, flags: FLAGS }, options);
synthesize({ topology, only, env: process.env, root: REPO_ROOT, stdout: process.stdout, stderr: process.stderr }).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`synth: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
