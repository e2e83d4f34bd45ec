/**
 * The default topology's tables built beside the bundle: how configFromEnv takes them (the region, what overrides
 * them), and every way a damaged file is refused, naming the file. build.test.ts holds the built file to
 * routingTableFor and serves from it.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeBuiltTables, encodeBuiltTables, readBuiltTables } from '../../lib/redirector/built-tables';
import { configFromEnv } from '../../lib/redirector/config';
import { IMAGE_FILES } from '../../lib/redirector/image-files';
import { builtSmallTables, IP_RANGES, SMALL_TOPOLOGY, smallTable } from './fixtures';

const FILE = '/image/routing-tables.json';
const BUILT = builtSmallTables(FILE);
const SOURCE = `embedded default (registry.k8s.io) as built into ${FILE}`;

describe('configFromEnv with built tables', () => {
  const base = { IP_RANGES };

  it.each([
    [{}, {}, 'us-central1'],
    [{ REGION: 'europe-west1' }, {}, 'europe-west1'],
    [{ REGION: 'us-central1' }, { region: 'europe-west1' }, 'europe-west1'],
  ])('env %j, flags %j: serves %s from the file', (env, flags, region) => {
    const config = configFromEnv({ ...base, ...env }, flags, BUILT);
    expect(config.table).toBe(BUILT.tables[region]);
    expect(config.tableSource).toBe(`${SOURCE}, region ${region}`);
  });

  it('refuses a region the file has no table of, naming the ones it has', () => {
    expect(() => configFromEnv({ ...base, REGION: 'asia-east1' }, {}, BUILT)).toThrow(
      `--region/REGION: "asia-east1" runs no redirector in ${SOURCE} (known: europe-west1, us-central1)`,
    );
  });

  it('needs a region when the canonical one has no table', () => {
    const built = { ...BUILT, canonicalRegion: 'asia-east1' };
    expect(() => configFromEnv(base, {}, built)).toThrow('--region/REGION: not set (known: europe-west1, us-central1)');
  });

  it.each([
    ['--topology', {}, { topology: SMALL_TOPOLOGY }],
    ['TOPOLOGY', { TOPOLOGY: SMALL_TOPOLOGY }, {}],
  ])('%s is the table over the built tables', (_, env, flags) => {
    const config = configFromEnv({ ...base, ...env, REGION: 'europe-west1' }, flags, BUILT);
    expect(config.tableSource).toBe(`${SMALL_TOPOLOGY}, region europe-west1`);
  });

  it('ROUTING_TABLE is the table over the built tables', () => {
    const table = { ...smallTable('europe-west1'), region: 'elsewhere' };
    const config = configFromEnv({ ...base, ROUTING_TABLE: JSON.stringify(table) }, {}, BUILT);
    expect([config.table, config.tableSource]).toEqual([table, 'ROUTING_TABLE']);
  });

  it("production's variables override a built table", () => {
    const config = configFromEnv({ ...base, UPSTREAM_REGISTRY_PATH: 'proj/repo' }, {}, BUILT);
    expect(config.table.upstream).toEqual({
      endpoint: BUILT.tables['us-central1']!.upstream.endpoint,
      path: 'proj/repo',
    });
  });
});

describe('decodeBuiltTables', () => {
  const { file: _file, ...content } = BUILT;

  it('reads what encodeBuiltTables wrote', () => {
    expect(decodeBuiltTables(encodeBuiltTables(content), FILE)).toEqual(BUILT);
  });

  it.each([
    ['cut short', '{"format":1,', 'not valid JSON'],
    ['of a list', '[]', 'format none, expected 1: rebuild it with npm run build:redirector'],
    ['of a string', '"tables"', 'format none, expected 1'],
    ['without a format', '{"tables":{}}', 'format undefined, expected 1'],
    ['of another format', JSON.stringify({ ...content, format: 2 }), 'format 2, expected 1: rebuild it'],
    ['with a numeric region', JSON.stringify({ ...content, canonicalRegion: 1 }), 'canonicalRegion is not a string'],
    [
      'with a list of tables',
      JSON.stringify({ ...content, tables: [] }),
      'tables is not an object of tables by region',
    ],
    ['without tables', JSON.stringify({ ...content, tables: {} }), 'tables is not an object of tables by region'],
    [
      'with a null table',
      JSON.stringify({ ...content, tables: { x: null } }),
      'tables.x is not the routing table of x',
    ],
    [
      "with another region's table",
      JSON.stringify({ ...content, tables: { 'asia-east1': BUILT.tables['us-central1'] } }),
      'tables.asia-east1 is not the routing table of asia-east1',
    ],
  ])('refuses a file %s', (_, text, problem) => {
    expect(() => decodeBuiltTables(text, FILE)).toThrow(
      expect.objectContaining({
        name: 'BuiltTablesError',
        message: expect.stringContaining(`invalid routing tables file ${FILE}: ${problem}`),
      }),
    );
  });
});

describe('readBuiltTables', () => {
  const dir = mkdtempSync(join(tmpdir(), 'built-tables-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the file beside the bundle, and is undefined without one (a bundle run from the sources)', () => {
    const { file: _file, ...content } = BUILT;
    const withFile = join(dir, 'with');
    mkdirSync(withFile);
    writeFileSync(join(withFile, IMAGE_FILES.routingTables), encodeBuiltTables(content));
    expect(readBuiltTables(withFile)).toEqual({ ...BUILT, file: join(withFile, IMAGE_FILES.routingTables) });
    expect(readBuiltTables(join(dir, 'nothing-here'))).toBeUndefined();
  });

  it('names a file it cannot read', () => {
    const unreadable = join(dir, 'unreadable');
    mkdirSync(join(unreadable, IMAGE_FILES.routingTables), { recursive: true });
    expect(() => readBuiltTables(unreadable)).toThrow(
      `invalid routing tables file ${join(unreadable, IMAGE_FILES.routingTables)}: cannot read: EISDIR`,
    );
  });
});
