/**
 * The modules that build zod schemas as they load, required at their first use instead of at start-up: the routing
 * table's schema, the topology (every donor's section schema with it) and the donor registry. An instance started
 * as the image starts (the default topology's table and the range index built beside the bundle) never loads them,
 * and one started with ROUTING_TABLE loads only the table's schema: building the topology's schemas took about a
 * quarter of a cold start (docs/benchmarks.md). esbuild bundles a module reached by require() as code that runs at
 * that call.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- loaded at first use (above) */
export function routingTableModule(): typeof import('../topology/routing-table') {
  return require('../topology/routing-table') as typeof import('../topology/routing-table');
}

export function topologyModule(): typeof import('../topology') {
  return require('../topology') as typeof import('../topology');
}

export function donorsModule(): typeof import('../clouds/donors') {
  return require('../clouds/donors') as typeof import('../clouds/donors');
}
