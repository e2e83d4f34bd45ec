/**
 * .github/workflows/images.yml and deploy.yml: they parse, run when they should with the least permissions, and
 * authenticate with exactly the identities the delivery stacks create (each repository variable they read is one
 * of those stacks' outputs, README "Continuous delivery"). Neither is run here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { AWS_OUTPUT_IDS } from '../../lib/clouds/aws/infra/names';
import { GCP_OUTPUT_IDS } from '../../lib/clouds/gcp/infra/names';
import { DEFAULT_TOPOLOGY, parseTopology } from '../../lib/topology';

const ROOT = join(__dirname, '../..');

/** Each repository variable the workflows read, and the stack output it is set from. */
const VARIABLES: Record<string, string> = {
  AWS_DEPLOY_ROLE_ARN: AWS_OUTPUT_IDS.deployRoleArn,
  GCP_WORKLOAD_IDENTITY_PROVIDER: GCP_OUTPUT_IDS.workloadIdentityProvider,
  GCP_DEPLOY_SERVICE_ACCOUNT: GCP_OUTPUT_IDS.deployServiceAccount,
  GCP_IMAGES_SERVICE_ACCOUNT: GCP_OUTPUT_IDS.imagesServiceAccount,
  SERVICES_REPOSITORY: GCP_OUTPUT_IDS.servicesRepository,
};

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, string | number | boolean>;
  env?: Record<string, string>;
}
interface Workflow {
  on: Record<string, unknown>;
  permissions: Record<string, string>;
  jobs: Record<string, { environment?: string; steps: Step[]; env?: Record<string, string> }>;
}

function workflow(name: string): { text: string; parsed: Workflow } {
  const text = readFileSync(join(ROOT, '.github/workflows', name), 'utf8');
  return { text, parsed: parse(text) as Workflow };
}

const stepsOf = (w: Workflow) => Object.values(w.jobs).flatMap((job) => job.steps);
const action = (w: Workflow, name: string) => stepsOf(w).filter((s) => s.uses?.startsWith(`${name}@`));
const variables = (text: string) => [...new Set([...text.matchAll(/\bvars\.(\w+)/g)].map((m) => m[1]!))].sort();

describe.each(['images.yml', 'deploy.yml'])('%s', (name) => {
  const { text, parsed } = workflow(name);

  it('asks for an OIDC token and may only read the repository', () => {
    expect(parsed.permissions).toEqual({ contents: 'read', 'id-token': 'write' });
  });

  it('reads only variables that are outputs of the delivery stacks, and no secret', () => {
    for (const variable of variables(text))
      expect([variable, VARIABLES[variable]]).toEqual([variable, expect.any(String)]);
    expect(text).not.toMatch(/secrets\./);
  });

  it('authenticates to Google through the workload identity provider', () => {
    expect(action(parsed, 'google-github-actions/auth')).toEqual([
      expect.objectContaining({
        with: expect.objectContaining({ workload_identity_provider: '${{ vars.GCP_WORKLOAD_IDENTITY_PROVIDER }}' }),
      }),
    ]);
  });
});

describe('images.yml', () => {
  const { parsed } = workflow('images.yml');
  const steps = stepsOf(parsed);

  it('runs on every push to main and on tags', () => {
    expect(parsed.on).toEqual({ push: { branches: ['main'], tags: ['*'] } });
  });

  it('builds both images from docker/ and pushes them to the services repository as the image publisher', () => {
    expect(Object.values(parsed.jobs)[0]!.env).toEqual({ SERVICES_REPOSITORY: '${{ vars.SERVICES_REPOSITORY }}' });
    expect(JSON.stringify(parsed.jobs)).toContain('"image":["redirector","replicator"]');
    expect(action(parsed, 'docker/build-push-action')).toEqual([
      expect.objectContaining({
        with: expect.objectContaining({ file: 'docker/${{ matrix.image }}.Dockerfile', push: true }),
      }),
    ]);
    expect(action(parsed, 'google-github-actions/auth')[0]!.with).toMatchObject({
      service_account: '${{ vars.GCP_IMAGES_SERVICE_ACCOUNT }}',
    });
  });

  it('signs the pushed digest keyless with cosign and prints it', () => {
    expect(action(parsed, 'sigstore/cosign-installer')).toHaveLength(1);
    const sign = steps.find((s) => s.run?.includes('cosign sign'))!;
    expect(sign.run).toBe('cosign sign --yes "${IMAGE}@${DIGEST}"');
    expect(sign.env).toEqual({
      IMAGE: '${{ steps.names.outputs.image }}',
      DIGEST: '${{ steps.build.outputs.digest }}',
    });
    expect(steps.find((s) => s.run?.includes('GITHUB_STEP_SUMMARY'))!.run).toContain('${IMAGE}@${DIGEST}');
    // No key: the signing identity is this workflow's OIDC token.
    expect(JSON.stringify(parsed)).not.toMatch(/--key\b|COSIGN_PRIVATE_KEY/);
  });
});

describe('deploy.yml', () => {
  const { parsed } = workflow('deploy.yml');
  const job = Object.values(parsed.jobs)[0]!;

  it('runs on pushes to main and by hand, in the environment the deploy identities trust', () => {
    expect(parsed.on).toEqual({ push: { branches: ['main'] }, workflow_dispatch: null });
    const { github } = parseTopology(DEFAULT_TOPOLOGY, 'default');
    expect(job.environment).toBe(github.environment);
  });

  it('assumes the AWS deploy role and the Google deploy account, then runs npm run deploy', () => {
    expect(action(parsed, 'aws-actions/configure-aws-credentials')[0]!.with).toMatchObject({
      'role-to-assume': '${{ vars.AWS_DEPLOY_ROLE_ARN }}',
      'role-duration-seconds': 14400,
    });
    expect(action(parsed, 'google-github-actions/auth')[0]!.with).toMatchObject({
      service_account: '${{ vars.GCP_DEPLOY_SERVICE_ACCOUNT }}',
    });
    const runs = job.steps.map((s) => s.run).filter(Boolean);
    expect(runs.at(-1)).toBe('npm run deploy -- --auto-approve');
  });
});
