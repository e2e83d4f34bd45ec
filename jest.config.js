/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  // Synth tests load aws-cdk-lib and cdktf; two workers match the two cores of the CI machines.
  maxWorkers: 2,
  testTimeout: 120000,
};
