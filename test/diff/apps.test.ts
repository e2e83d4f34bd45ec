/**
 * Which apps each side of a diff runs, and how an app that did not run on a side reads: the donors its topology
 * enables (judged by each donor's own section schema) whose script the side has; no output is no stacks.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { embeddedDefaultTopology, enabledInInput, sideTargets } from '../../lib/diff/apps';
import { compareSynthOutputs, readSynthOutput } from '../../lib/diff/compare';
import { awsDonor } from '../../lib/clouds/aws/donor';
import { azureDonor } from '../../lib/clouds/azure/donor';
import { DONORS } from '../../lib/clouds/donors';
import { SYNTH_TARGETS } from '../../lib/synth/targets';
import { DEFAULT_TOPOLOGY } from '../../lib/topology';
import { azureSection } from '../clouds/azure/support';

/** An Azure section whose replicator's subject is left to the deploy. */
const AZURE = azureSection((raw) => (raw.replicator = {}));

describe('enabledInInput', () => {
  it.each<[string, unknown, boolean]>([
    ['an AWS section (on by default)', DEFAULT_TOPOLOGY, true],
    ['an AWS section turned off', { ...DEFAULT_TOPOLOGY, aws: { ...DEFAULT_TOPOLOGY.aws, enabled: false } }, false],
  ])('%s', (_name, raw, expected) => expect(enabledInInput(raw, awsDonor)).toBe(expected));

  it.each<[string, unknown, boolean]>([
    ['no Azure section', DEFAULT_TOPOLOGY, false],
    ['an Azure section (on by default, dark)', { ...DEFAULT_TOPOLOGY, azure: AZURE }, true],
    ['an Azure section turned off', { ...DEFAULT_TOPOLOGY, azure: { ...AZURE, enabled: false } }, false],
    ['an Azure section its schema refuses: run, so its app says why', { azure: { bogus: 1 } }, true],
    ['no topology at all', undefined, false],
  ])('%s', (_name, raw, expected) => expect(enabledInInput(raw, azureDonor)).toBe(expected));
});

describe('sideTargets', () => {
  const ids = (raw: unknown, has: (script: string) => boolean) =>
    sideTargets(raw, SYNTH_TARGETS, has, DONORS).map((t) => t.donor);

  it.each<[string, unknown, (script: string) => boolean, string[]]>([
    ['the default topology: AWS and GCP', DEFAULT_TOPOLOGY, () => true, ['aws', 'gcp']],
    ['Azure onboarded', { ...DEFAULT_TOPOLOGY, azure: AZURE }, () => true, ['aws', 'gcp', 'azure']],
    [
      'a base from before Azure had an app: not run there',
      { ...DEFAULT_TOPOLOGY, azure: AZURE },
      (script) => script !== 'bin/azure.ts',
      ['aws', 'gcp'],
    ],
  ])('%s', (_name, raw, has, expected) => expect(ids(raw, has)).toEqual(expected));
});

describe('an app that did not run on one side', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'diff-apps-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('has no stacks there: its stacks on the other side are all added', () => {
    const head = join(dir, 'head');
    mkdirSync(join(head, 'azure.out', 'stacks', 'azure-mirrors'), { recursive: true });
    writeFileSync(
      join(head, 'azure.out', 'manifest.json'),
      JSON.stringify({ stacks: { 'azure-mirrors': { synthesizedStackPath: 'stacks/azure-mirrors/cdk.tf.json' } } }),
    );
    writeFileSync(
      join(head, 'azure.out', 'stacks', 'azure-mirrors', 'cdk.tf.json'),
      JSON.stringify({ resource: { azurerm_resource_group: { group: { name: 'registry', location: 'westeurope' } } } }),
    );
    const apps = [{ donor: 'azure', outdir: 'azure.out', outputKind: 'terraform-json' as const }];
    const report = compareSynthOutputs(readSynthOutput(join(dir, 'base'), apps), readSynthOutput(head, apps), 'main');
    expect(report.changes).toEqual([
      expect.objectContaining({
        cloud: 'azure',
        stack: 'azure-mirrors',
        resource: 'azurerm_resource_group.group',
        action: 'add',
        danger: [],
      }),
    ]);
  });
});

describe('embeddedDefaultTopology', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(join(tmpdir(), 'diff-default-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));
  const module = () => join(root, 'lib', 'topology', 'default.ts');

  it('is undefined for a checkout without lib/topology/default.ts (then every app it has runs)', () => {
    expect(embeddedDefaultTopology(root, root)).toBeUndefined();
  });

  it("is the working tree's own when the file is the same, without starting a process", () => {
    mkdirSync(join(root, 'lib', 'topology'), { recursive: true });
    copyFileSync(join(__dirname, '../../lib/topology/default.ts'), module());
    expect(embeddedDefaultTopology(root, root)).toBe(DEFAULT_TOPOLOGY);
  });

  it("is read from the checkout's own code when the file differs (a base whose default turned Azure on)", () => {
    mkdirSync(join(root, 'lib', 'topology'), { recursive: true });
    writeFileSync(module(), "export const DEFAULT_TOPOLOGY = { name: 'base', azure: { enabled: true } };\n");
    expect(embeddedDefaultTopology(root, root)).toEqual({ name: 'base', azure: { enabled: true } });
  });
});
