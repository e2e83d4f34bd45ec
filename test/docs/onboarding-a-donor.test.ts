/**
 * docs/onboarding-a-donor.md names files, commands, deploy steps, metrics, sections of other documents and Azure's
 * real names: each must exist as written, so the guide cannot drift from the code it walks through.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { azureMirrors } from '../../lib/clouds/azure/section';
import { deployPlan, stepIds } from '../../lib/deploy/plan';
import { readTopologyFile } from '../../lib/topology';

const ROOT = join(__dirname, '../..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const GUIDE_PATH = 'docs/onboarding-a-donor.md';
const GUIDE = read(GUIDE_PATH);
const example = readTopologyFile(join(ROOT, 'examples/azure.yaml'));

/** The guide's text outside code spans and blocks (where prose quotes headings). */
const PROSE = GUIDE.replace(/```[\s\S]*?```/g, '').replace(/`[^`]*`/g, '');

const unique = (values: Iterable<string>) => [...new Set(values)].sort();
const all = (pattern: RegExp, text = GUIDE) => unique([...text.matchAll(pattern)].map((m) => m[1]!));

describe(GUIDE_PATH, () => {
  it('is linked from the README and the architecture document', () => {
    for (const doc of ['README.md', 'docs/architecture.md'])
      expect([doc, read(doc).includes(GUIDE_PATH)]).toEqual([doc, true]);
  });

  it('names only files and folders that exist', () => {
    const paths = all(/(?<![\w./])((?:lib|bin|test|docs|examples|scripts|bench)\/[\w./-]*[\w/]|jest\.config\.js)/g);
    expect(paths.length).toBeGreaterThan(20);
    expect(paths.filter((path) => !existsSync(join(ROOT, path)))).toEqual([]);
  });

  it('runs only npm scripts that exist', () => {
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    const used = all(/npm run (?:-s )?([\w:-]+)/g);
    expect(used).toEqual(expect.arrayContaining(['deploy', 'diff', 'local', 'route', 'synth']));
    expect(used.filter((name) => !(name in scripts))).toEqual([]);
  });

  it('deploys only steps the plan has', () => {
    const steps = new Set(stepIds(deployPlan(example)));
    const named = all(/--(?:only|from) ([\w-]+)/g);
    expect(named.length).toBeGreaterThan(0);
    expect(named.filter((step) => !steps.has(step))).toEqual([]);
  });

  it('names the redirector metrics with the labels they have', () => {
    const source = read('lib/redirector/metrics.ts');
    const named = [...GUIDE.matchAll(/(redirector_\w+)(?:\{([^}]*)\})?/g)];
    expect(named.map((m) => m[1])).toContain('redirector_mirror_share_total');
    for (const [, metric, labels] of named) {
      const definition = new RegExp(`name: '${metric}',[\\s\\S]*?labelNames: \\[([^\\]]*)\\]`).exec(source);
      expect([metric, definition !== null]).toEqual([metric, true]);
      const declared = definition![1]!.match(/'(\w+)'/g)!.map((label) => label.slice(1, -1));
      const used = (labels ?? '')
        .split(',')
        .map((label) => label.split('=')[0]!.trim())
        .filter(Boolean);
      expect([metric, used.filter((label) => !declared.includes(label))]).toEqual([metric, []]);
    }
  });

  it("quotes only sections that exist in the repository's documents (or its own)", () => {
    const headings = ['README.md', ...readdirSync(join(ROOT, 'docs')).map((file) => `docs/${file}`)]
      .filter((path) => path.endsWith('.md'))
      .flatMap((path) => [...read(path).matchAll(/^#+ (.+)$/gm)].map((m) => m[1]!));
    const EXTERNAL = ['Service Tags - Public']; // Microsoft's name for its range file
    const quoted = all(/"([A-Z][^"]+)"/g, PROSE.replace(/\s+/g, ' ')).filter((text) => !EXTERNAL.includes(text));
    expect(quoted.length).toBeGreaterThan(4);
    expect(quoted.filter((text) => !headings.some((heading) => heading.startsWith(text)))).toEqual([]);
  });

  it("uses examples/azure.yaml's real names: its backfill command and containers", () => {
    const backfill = deployPlan(example).steps.find((step) => step.id === 'azure-backfill')!;
    expect(backfill.commands.length).toBeGreaterThan(0);
    for (const command of backfill.commands) expect(GUIDE).toContain([command.tool, ...command.args].join(' '));
    const containers = azureMirrors(example.azure!).map((mirror) => mirror.baseUrl);
    const named = all(/(https:\/\/[a-z0-9]+\.blob\.core\.windows\.net\/[a-z0-9-]+)/g);
    expect(named.length).toBeGreaterThan(0);
    expect(named.filter((url) => !containers.includes(url))).toEqual([]);
  });
});
