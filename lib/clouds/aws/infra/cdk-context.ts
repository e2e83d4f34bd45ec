/**
 * How the AWS app is constructed, shared by bin/aws.ts and the tests: the `context` of the repository's cdk.json
 * (feature flags) — the CDK CLI passes it itself, but apps run directly (npm run synth, tests) read it here so
 * that they synthesize exactly what `cdk synth` does — and the synthesis settings below.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { AppProps } from 'aws-cdk-lib';
import * as cxapi from 'aws-cdk-lib/cx-api';

export const CDK_JSON = resolve(__dirname, '../../../../cdk.json');

export function cdkJsonContext(path: string = CDK_JSON): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read the CDK context from ${path}: ${(err as Error).message}`);
  }
  const context = (parsed as { context?: unknown }).context;
  if (typeof context !== 'object' || context === null || Array.isArray(context)) {
    throw new Error(`${path} has no "context" object`);
  }
  return context as Record<string, unknown>;
}

export interface AwsAppOptions {
  /** @default CDK_OUTDIR, else cdk.out (the App default) */
  readonly outdir?: string;
  /**
   * Run CDK's built-in CloudFormation schema validation (a WASM linter, about 0.2 s a stack, warnings only).
   * The tests run it; the app leaves it off so that synthesizing 33 stacks stays within a few seconds.
   * @default false
   */
  readonly cfnValidation?: boolean;
}

/** Props for the AWS app's `App`. Context given by the CDK CLI (CDK_CONTEXT_JSON) still overrides these. */
export function awsAppProps(options: AwsAppOptions = {}): AppProps {
  return {
    ...(options.outdir ? { outdir: options.outdir } : {}),
    builtinCloudFormationValidation: options.cfnValidation ?? false,
    context: {
      // Like the CLI without --debug: no creation stack traces (they cost time and put absolute paths in cdk.out).
      [cxapi.DISABLE_METADATA_STACK_TRACE]: true,
      [cxapi.DISABLE_CREATION_STACK_TRACES]: true,
      ...cdkJsonContext(),
    },
  };
}
