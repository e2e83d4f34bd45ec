/**
 * The `context` of the repository's cdk.json (feature flags). The CDK CLI passes it to the app itself; apps run
 * directly (npm run synth, tests) read it here so that they synthesize exactly what `cdk synth` does.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export const CDK_JSON = resolve(__dirname, '../../../cdk.json');

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
