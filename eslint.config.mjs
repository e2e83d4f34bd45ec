import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'cdk.out/',
      'cdktf.out/',
      'coverage/',
      'dist/',
      '.synth-*/',
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
    // Runtime services ship as small images: they must never pull in infrastructure libraries.
    files: ['lib/redirector/**/*.ts', 'lib/replicator/**/*.ts', 'lib/oci/**/*.ts', 'lib/topology/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['aws-cdk-lib', 'aws-cdk-lib/*', 'cdktf', 'cdktf/*', '@cdktf/*', 'constructs', 'cdk-nag'],
              message: 'runtime code must not import infrastructure libraries',
            },
          ],
        },
      ],
    },
  },
  {
    // The package barrel costs about 1 s and 450 MB per process: import resources by deep path.
    files: ['**/*.ts'],
    ignores: ['lib/redirector/**', 'lib/replicator/**', 'lib/oci/**', 'lib/topology/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: '@cdktf/provider-google', message: 'import from @cdktf/provider-google/lib/<resource>' }] },
      ],
    },
  },
);
