/**
 * The redirector's bundle carries the donor registry, and so Azure's donor.ts and what it imports: that must stay
 * free of the Azure SDK, which only the replicator's `azure` kind loads (lib/clouds/azure/kind.ts).
 */
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

const REPO = resolve(__dirname, '..', '..', '..');

it('bin/redirector.ts bundles Azure facts but no Azure SDK module', async () => {
  const result = await build({
    entryPoints: [join(REPO, 'bin', 'redirector.ts')],
    absWorkingDir: REPO,
    bundle: true,
    platform: 'node',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const inputs = Object.keys(result.metafile.inputs);
  expect(inputs).toContain('lib/clouds/azure/donor.ts');
  expect(inputs.filter((input) => /node_modules\/@azure\//.test(input))).toEqual([]);
});
