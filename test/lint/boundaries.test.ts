/**
 * The layer boundary is a lint rule: runtime-safe code (services, topology, every cloud's facts) never imports an
 * infrastructure library or a cloud's infrastructure tree. These feed the real eslint configuration files that
 * break the rule (and files that may do what they do) and check the verdicts.
 */
import { execFileSync } from 'node:child_process';

/** Lints each (path, code) with the repository's eslint.config.mjs in one child process (jest cannot load ESM configs). */
function restrictedImportsOf(files: ReadonlyArray<readonly [string, string]>): string[][] {
  const script = `
    const { ESLint } = require('eslint');
    const files = JSON.parse(process.argv[1]);
    (async () => {
      const eslint = new ESLint({ cwd: process.cwd() });
      const out = [];
      for (const [filePath, code] of files) {
        const [result] = await eslint.lintText(code, { filePath });
        out.push(result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message));
      }
      process.stdout.write(JSON.stringify(out));
    })().catch((err) => { console.error(err); process.exit(1); });`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script, JSON.stringify(files)], { encoding: 'utf8' }));
}

const cases: ReadonlyArray<[file: string, code: string, expected: RegExp | null]> = [
  [
    'lib/clouds/aws/urls.ts',
    "import { Stack } from 'aws-cdk-lib';\nexport const s = Stack;\n",
    /infrastructure libraries/,
  ],
  ['lib/clouds/gcp/urls.ts', "import { App } from 'cdktf';\nexport const a = App;\n", /infrastructure libraries/],
  [
    // A fact the CDN construct maps to aws-cdk-lib's enum: the mapping lives in infra/, never here.
    'lib/clouds/aws/logs.ts',
    "import * as logs from 'aws-cdk-lib/aws-logs';\nexport const r = logs.RetentionDays;\n",
    /infrastructure libraries/,
  ],
  [
    'lib/clouds/ranges.ts',
    "import { Construct } from 'constructs';\nexport const c = Construct;\n",
    /infrastructure libraries/,
  ],
  [
    'lib/topology/views.ts',
    "import { NagSuppressions } from 'cdk-nag';\nexport const n = NagSuppressions;\n",
    /infrastructure libraries/,
  ],
  [
    'lib/redirector/decide.ts',
    "import { addAwsStacks } from '../clouds/aws/infra/app';\nexport const a = addAwsStacks;\n",
    /infrastructure tree/,
  ],
  [
    'lib/replicator/run.ts',
    "import { GCP_STACK_IDS } from '../clouds/gcp/infra/names';\nexport const g = GCP_STACK_IDS;\n",
    /infrastructure tree/,
  ],
  [
    'bin/redirector.ts',
    "import { addGcpStacks } from '../lib/clouds/gcp/infra/app';\nexport const g = addGcpStacks;\n",
    /infrastructure tree/,
  ],
  ['lib/clouds/aws/infra/stacks.ts', "import { Stack } from 'aws-cdk-lib';\nexport const s = Stack;\n", null],
  ['lib/clouds/gcp/infra/stack.ts', "import { Fn } from 'cdktf';\nexport const f = Fn;\n", null],
  ['bin/aws.ts', "import { addAwsStacks } from '../lib/clouds/aws/infra/app';\nexport const a = addAwsStacks;\n", null],
  [
    'lib/clouds/gcp/infra/iam.ts',
    "import * as g from '@cdktf/provider-google';\nexport const x = g;\n",
    /deep path|provider-google\/lib/,
  ],
];

describe('layer boundaries (eslint no-restricted-imports)', () => {
  let verdicts: string[][];
  beforeAll(() => {
    verdicts = restrictedImportsOf(cases.map(([file, code]) => [file, code] as const));
  });

  it.each(cases.map((c, i) => [...c, i] as const))('%s: %j', (_file, _code, expected, i) => {
    const messages = verdicts[i]!;
    if (expected === null) expect(messages).toEqual([]);
    else expect(messages).toEqual([expect.stringMatching(expected)]);
  });
});
