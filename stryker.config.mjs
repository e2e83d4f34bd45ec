/**
 * Mutation testing of the redirector's routing core (`npm run mutation`; not part of `npm test`): would the unit tests
 * notice a wrong decision? Each mutant (a `<` turned into `<=`, a branch emptied, a string changed, ...) of the files
 * below is run against the unit tests of those files only, so a run takes minutes on two cores. The score is
 * recorded in docs/benchmarks.md; a score under `thresholds.break` fails the command.
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */

// The property tests try a tenth of their cases for each mutant (test/redirector/properties.test.ts): still hundreds
// of generated inputs, in a fraction of the time. The test workers inherit this variable.
process.env.PROPERTY_RUNS_SCALE ??= '0.1';

export default {
  mutate: [
    'lib/redirector/route.ts',
    'lib/redirector/decide.ts',
    'lib/redirector/client.ts',
    'lib/redirector/range-index.ts',
    'lib/redirector/share.ts',
    'lib/redirector/murmur3.ts',
  ],
  testRunner: 'jest',
  jest: {
    configFile: 'jest.config.js',
    // The unit tests of the mutated files, not the whole suite (no server, no synth, no fuzz over sockets).
    config: {
      testMatch: [
        '<rootDir>/test/redirector/routing.test.ts',
        '<rootDir>/test/redirector/range-index.test.ts',
        '<rootDir>/test/redirector/properties.test.ts',
        '<rootDir>/test/redirector/share.test.ts',
        '<rootDir>/test/redirector/murmur3.test.ts',
      ],
    },
    enableFindRelatedTests: false,
  },
  coverageAnalysis: 'perTest',
  concurrency: 2,
  // Generous: on a busy machine a slow run is not an infinite loop.
  timeoutFactor: 3,
  timeoutMS: 10000,
  // Nothing else is needed in the sandbox: the mutated files, the code and fixtures their tests load.
  ignorePatterns: ['cdk.out', 'cdktf.out', 'coverage', 'dist', 'docs', 'examples', 'docker', '.synth-*', '.deploy'],
  reporters: ['clear-text', 'progress', 'html'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  thresholds: { high: 95, low: 90, break: 95 },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
