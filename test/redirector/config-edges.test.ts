/** configFromEnv's less-travelled paths (config.test.ts has the main ones): part of the coverage gate. */
import { configFromEnv } from '../../lib/redirector/config';
import { IP_RANGES, smallTable } from './fixtures';

// Loading a topology fails as a bug would (the ROUTING_TABLE cases below never load one).
jest.mock('../../lib/topology/load', () => ({
  ...jest.requireActual<object>('../../lib/topology/load'),
  loadTopology: () => {
    throw new TypeError('a bug, not a bad setting');
  },
}));

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
    expect(() => configFromEnv({ IP_RANGES })).toThrow(new TypeError('a bug, not a bad setting'));
  });
});
