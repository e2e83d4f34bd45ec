import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Runtime code and what it may import: everything but the clouds' infrastructure trees and the apps. */
const RUNTIME_SAFE = [
  'lib/redirector/**/*.ts',
  'lib/replicator/**/*.ts',
  'lib/oci/**/*.ts',
  'lib/topology/**/*.ts',
  'lib/config/**/*.ts',
  'lib/clouds/**/*.ts',
  // the service entry points the images run
  'bin/redirector.ts',
  'bin/replicate.ts',
  'bin/route.ts',
  'bin/fetch-ip-ranges.ts',
];
/** Per cloud, its constructs and stacks: imported only by the apps (bin/aws.ts, bin/gcp.ts) and their tests. */
const INFRASTRUCTURE = ['lib/clouds/*/infra/**/*.ts'];

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'cdk.out/',
      'cdktf.out/',
      // each further donor's app writes its own directory beside it (cdktf.out.azure/, ...)
      'cdktf.out.*/',
      'coverage/',
      'dist/',
      '.synth-*/',
      '.stryker-tmp/',
      'reports/',
      '.deploy/',
      '*.js',
      '*.mjs',
      '**/*.cjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': 'off',
    },
  },
  {
    // The package barrel costs about 1 s and 450 MB per process: import resources by deep path. Runtime-safe code
    // gets the stricter rule below, which overrides this one for its files.
    files: ['**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: '@cdktf/provider-google', message: 'import from @cdktf/provider-google/lib/<resource>' },
            { name: '@cdktf/provider-azurerm', message: 'import from @cdktf/provider-azurerm/lib/<resource>' },
          ],
        },
      ],
    },
  },
  {
    // Runtime-safe code (the services, the topology and every cloud's facts) ships in small images and is imported
    // by the services: it must never pull in an infrastructure library, nor any cloud's infrastructure tree.
    files: RUNTIME_SAFE,
    ignores: INFRASTRUCTURE,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['aws-cdk-lib', 'aws-cdk-lib/*', 'cdktf', 'cdktf/*', '@cdktf/*', 'constructs', 'cdk-nag'],
              message: 'runtime-safe code must not import infrastructure libraries',
            },
            {
              group: ['**/infra', '**/infra/**'],
              message: "runtime-safe code must not import a cloud's infrastructure tree (lib/clouds/<cloud>/infra)",
            },
          ],
        },
      ],
    },
  },
);
