/** configFromEnv's less-travelled paths (config.test.ts has the main ones): part of the coverage gate. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, configFromEnv, parseRangeSources } from '../../lib/redirector/config';
import { parseTopologyText } from '../../lib/topology';
import { loadTopology } from '../../lib/topology/load';
import { IP_RANGES, problemsOf, SMALL_TOPOLOGY, smallTable } from './fixtures';

// The real loader, which one test makes fail as a bug would.
jest.mock('../../lib/topology/load', () => {
  const actual = jest.requireActual<typeof import('../../lib/topology/load')>('../../lib/topology/load');
  return { ...actual, loadTopology: jest.fn(actual.loadTopology) };
});

describe('configFromEnv', () => {
  it("SIGNATURE_UPSTREAM_ENDPOINT moves the table's signature upstream and keeps its path", () => {
    const table = { ...smallTable(), signatureUpstream: { endpoint: 'https://sigs.example.com', path: 'sigs/images' } };
    const config = configFromEnv({
      IP_RANGES,
      ROUTING_TABLE: JSON.stringify(table),
      SIGNATURE_UPSTREAM_ENDPOINT: 'https://sigs.example.org',
    });
    expect(config.table.signatureUpstream).toEqual({ endpoint: 'https://sigs.example.org', path: 'sigs/images' });
  });

  it('lets an unexpected error through instead of reporting it as a configuration problem', () => {
    jest.mocked(loadTopology).mockImplementationOnce(() => {
      throw new TypeError('a bug, not a bad setting');
    });
    expect(() => configFromEnv({ IP_RANGES })).toThrow(new TypeError('a bug, not a bad setting'));
  });

  it('takes an empty REGION as unset', () => {
    expect(configFromEnv({ IP_RANGES, REGION: '' }, { topology: SMALL_TOPOLOGY }).tableSource).toBe(
      `${SMALL_TOPOLOGY}, region us-central1`,
    );
  });

  describe('a topology whose canonical region runs no redirector', () => {
    const dir = mkdtempSync(join(tmpdir(), 'config-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('needs a region, and names the ones that have a redirector', () => {
      const raw = parseTopologyText(readFileSync(SMALL_TOPOLOGY, 'utf8'), SMALL_TOPOLOGY) as {
        gcp: { redirector: { regions: Record<string, unknown> } };
      };
      delete raw.gcp.redirector.regions['us-central1'];
      const file = join(dir, 'europe-only.json');
      writeFileSync(file, JSON.stringify(raw));
      expect(problemsOf({ IP_RANGES }, { topology: file })).toEqual(['--region/REGION: not set (known: europe-west1)']);
    });
  });
});

describe('parseRangeSources', () => {
  it('refuses an index file beside other files: it holds every donor', () => {
    expect(() => parseRangeSources('index=ranges.bin,aws=aws.json', 'IP_RANGES')).toThrow(
      new ConfigError([
        { variable: 'IP_RANGES', message: "index=FILE stands alone: the index holds every donor's ranges" },
      ]),
    );
  });
});
