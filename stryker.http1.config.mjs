/**
 * Mutation testing of the public edge's head parser (`npm run mutation:http1`; not part of `npm test`): what it
 * accepts decides what a request is and where one ends. Its own run, beside the routing core's (stryker.config.mjs,
 * whose settings it keeps): its tests include round trips to a real node:http server, which would slow the core's run
 * several times over if each of its mutants ran them too.
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
import core from './stryker.config.mjs';

export default {
  ...core,
  mutate: ['lib/redirector/http1/head.ts'],
  jest: { ...core.jest, config: { testMatch: ['<rootDir>/test/redirector/http1/head.test.ts'] } },
  htmlReporter: { fileName: 'reports/mutation-http1/index.html' },
};
