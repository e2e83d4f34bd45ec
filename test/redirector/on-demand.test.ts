/**
 * What the image's start-up path loads: with the default topology's tables and the range index built beside the
 * bundle, the entry's modules and its configuration never load a module that builds the topology's schemas
 * (lib/redirector/on-demand.ts). Each such module is wrapped so that loading it is recorded; the same start-up
 * without the built tables loads them (the guard can fail).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { encodeRangeIndex } from '../../lib/redirector/range-index-file';
import { builtSmallTables, fixtureIndex, RANGE_SOURCES } from './fixtures';

const ROOT = resolve(__dirname, '../..');
/**
 * The modules that build zod schemas of the topology, the donors' sections or the routing table as they load: every
 * donor's section.ts is found in lib/clouds, so that a donor onboarded later is held to the same.
 */
const SCHEMA_MODULES = [
  'lib/topology/index.ts',
  'lib/topology/load.ts',
  'lib/topology/schema.ts',
  'lib/topology/routing-table.ts',
  'lib/clouds/donors.ts',
  ...readdirSync(join(ROOT, 'lib/clouds'))
    .map((entry) => `lib/clouds/${entry}/section.ts`)
    .filter((file) => existsSync(join(ROOT, file))),
];

/** The modules bin/redirector.ts imports, by their specifiers in its source. */
function entryImports(): string[] {
  const source = readFileSync(join(ROOT, 'bin/redirector.ts'), 'utf8');
  return [...source.matchAll(/^import (?:[^'"]+ from )?'(\.[^']+)';$/gm)].map((m) => join(ROOT, 'bin', m[1]!));
}

const work = mkdtempSync(join(tmpdir(), 'on-demand-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const indexFile = join(work, 'ip-ranges.bin');
writeFileSync(indexFile, encodeRangeIndex(fixtureIndex().tables, []));
const built = builtSmallTables(join(work, 'routing-tables.json'));

/** Starts the entry's configuration as bin/redirector.ts does; returns the schema modules that were loaded. */
function schemaModulesLoadedBy(
  start: (modules: {
    config: typeof import('../../lib/redirector/config');
    ranges: typeof import('../../lib/redirector/load-ranges');
  }) => void,
): string[] {
  const loaded: string[] = [];
  jest.isolateModules(() => {
    for (const file of SCHEMA_MODULES) {
      jest.doMock(join(ROOT, file), () => {
        loaded.push(file);
        return jest.requireActual(join(ROOT, file));
      });
    }
    // requireActual: the module itself, its own imports through the registry (and the mocks above).
    for (const file of entryImports()) jest.requireActual(file);
    start({
      config: jest.requireActual('../../lib/redirector/config'),
      ranges: jest.requireActual('../../lib/redirector/load-ranges'),
    });
  });
  for (const file of SCHEMA_MODULES) jest.dontMock(join(ROOT, file));
  return loaded;
}

describe("the image's start-up", () => {
  it('imports the entry, reads its configuration and its index without loading a schema module', () => {
    expect(entryImports()).toContain(join(ROOT, 'lib/redirector/config'));
    const loaded = schemaModulesLoadedBy(({ config, ranges }) => {
      const { ipRanges } = config.configFromEnv({ IP_RANGES: `index=${indexFile}`, PORT: '0' }, {}, built);
      ranges.loadRangeIndex(ipRanges);
    });
    expect(loaded).toEqual([]);
  });

  it.each([
    ['without the built tables: all of them', { IP_RANGES: `index=${indexFile}` }, undefined, SCHEMA_MODULES],
    [
      "with ROUTING_TABLE (production's): only the table's",
      { IP_RANGES: `index=${indexFile}`, ROUTING_TABLE: JSON.stringify(built.tables['us-central1']) },
      built,
      ['lib/topology/routing-table.ts'],
    ],
    [
      "with a donor's published file: the donors'",
      { IP_RANGES: `aws=${RANGE_SOURCES[0]!.file}` },
      built,
      SCHEMA_MODULES.filter((file) => file.startsWith('lib/clouds/') || file.endsWith('routing-table.ts')),
    ],
  ])('loads them %s', (_, env, tables, expected) => {
    const loaded = schemaModulesLoadedBy(({ config, ranges }) =>
      ranges.loadRangeIndex(config.configFromEnv(env, {}, tables).ipRanges),
    );
    expect(loaded.sort()).toEqual([...expected].sort());
  });
});
