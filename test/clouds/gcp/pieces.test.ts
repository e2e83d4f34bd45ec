/** The pure decisions of the GCP side, each as a table: job command lines, state backends, names, Cloud Armor rules. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Testing, TerraformStack } from 'cdktf';
import { gcpNames, SERVICE_ACCOUNT_IDS } from '../../../lib/clouds/gcp/infra/names';
import { fanOutJobArgs, s3UploadJobArgs, s3UploadJobEnv } from '../../../lib/clouds/gcp/infra/replication-args';
import { runJobUrl } from '../../../lib/clouds/gcp/infra/scheduled-job';
import {
  DEFAULT_RULE_PRIORITY,
  RegistrySecurityPolicy,
  securityPolicyRules,
  WAF_RULE_SETS,
  wafExpression,
} from '../../../lib/clouds/gcp/infra/security-policy';
import { stateBackendFor } from '../../../lib/clouds/gcp/infra/state-backend';
import { requestLogFilter } from '../../../lib/clouds/gcp/infra/stacks/observability';
import { smallTopology } from './support';

describe('replication command lines', () => {
  it('fan-out: source, one --dest per other region, rates, then repositories when set', () => {
    expect(fanOutJobArgs(smallTopology())).toEqual([
      'registry',
      '--source',
      'us-central1-docker.pkg.dev/small-artifacts/images',
      '--dest',
      'europe-west1-docker.pkg.dev/small-artifacts/images',
      '--concurrency',
      '8',
      '--rps',
      '80',
    ]);
    const limited = smallTopology((t) => {
      t.replication = { concurrency: 4, requestsPerSecond: 20, repositories: ['pause', 'etcd'] };
    });
    expect(fanOutJobArgs(limited).slice(-6)).toEqual(['--concurrency', '4', '--rps', '20', '--repos', 'pause,etcd']);
  });

  it('budgets a registry host apart only in the jobs that speak to it', () => {
    const topology = smallTopology((t) => {
      t.replication = {
        requestsPerSecondByHost: { 'europe-west1-docker.pkg.dev': 200, 'us-central1-docker.pkg.dev': 40 },
      };
    });
    expect(fanOutJobArgs(topology).slice(-6)).toEqual([
      ...['--rps', '80'],
      ...['--host-rps', 'us-central1-docker.pkg.dev=40', '--host-rps', 'europe-west1-docker.pkg.dev=200'],
    ]);
    expect(s3UploadJobArgs(topology).slice(-4)).toEqual(['--rps', '80', '--host-rps', 'us-central1-docker.pkg.dev=40']);
  });

  it('S3 upload: canonical source into the upload bucket, assuming the writer role by web identity', () => {
    const topology = smallTopology();
    expect(s3UploadJobArgs(topology)).toEqual([
      's3',
      '--source',
      'us-central1-docker.pkg.dev/small-artifacts/images',
      '--bucket',
      'small-registry-us-east-2',
      '--region',
      'us-east-2',
      '--concurrency',
      '8',
      '--rps',
      '80',
    ]);
    expect(s3UploadJobEnv(topology)).toEqual({
      REGISTRY_AUTH: 'gcp-metadata',
      AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/registry-replicator-writer',
      AWS_WEB_IDENTITY_AUDIENCE: 'sts.amazonaws.com',
    });
  });

  it('Cloud Scheduler calls the v2 Admin API run method', () => {
    expect(runJobUrl('p', 'us-central1', 'j')).toBe(
      'https://run.googleapis.com/v2/projects/p/locations/us-central1/jobs/j:run',
    );
  });
});

describe('state backend', () => {
  it.each([
    [
      undefined,
      'gcp-frontend',
      { type: 'gcs', bucket: 'small-serving-terraform-state', prefix: 'terraform/state/gcp-frontend' },
    ],
    [{ type: 'local' as const }, 'gcp-frontend', { type: 'local', path: '../../../terraform.gcp-frontend.tfstate' }],
    [
      { type: 'gcs' as const, bucket: 'tf-state' },
      'gcp-frontend',
      { type: 'gcs', bucket: 'tf-state', prefix: 'terraform/state/gcp-frontend' },
    ],
    [
      { type: 'gcs' as const, bucket: 'tf-state', prefix: 'a/b/' },
      'gcp-artifacts',
      { type: 'gcs', bucket: 'tf-state', prefix: 'a/b/gcp-artifacts' },
    ],
    [
      { type: 'gcs' as const, bucket: 'tf-state', prefix: '' },
      'gcp-artifacts',
      { type: 'gcs', bucket: 'tf-state', prefix: 'gcp-artifacts' },
    ],
  ])('%j for %s -> %j', (stateBackend, stackId, expected) => {
    const topology = smallTopology((t) => {
      if (stateBackend) t.gcp.stateBackend = stateBackend;
    });
    expect(stateBackendFor(topology, stackId)).toEqual(expected);
  });
});

describe('names', () => {
  // The longest name the topology schema allows.
  const longest = smallTopology((t) => void (t.name = 'a'.repeat(32)));
  const names = gcpNames(longest);
  const plain = Object.entries(names).filter(([, v]) => typeof v === 'string') as [string, string][];
  const all = [
    ...plain,
    ...[80, 443].flatMap((port) =>
      (['ipv4', 'ipv6'] as const).map((v) => [`forwardingRule(${port}, ${v})`, names.forwardingRule(port, v)]),
    ),
  ];

  it.each(all)('%s (%s) is a valid resource name of at most 63 characters', (_key, name) => {
    expect(name).toMatch(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/);
  });

  it('the Cloud Run service name fits its 49-character limit', () => {
    expect(names.redirectorService.length).toBeLessThanOrEqual(49);
  });

  it.each(Object.entries(SERVICE_ACCOUNT_IDS))('service account %s (%s) is a valid account ID', (_key, id) => {
    expect(id).toMatch(/^[a-z][-a-z0-9]{4,28}[a-z0-9]$/);
  });

  it('forwarding rules are distinct per port and IP version', () => {
    const rules = [80, 443].flatMap((p) => (['ipv4', 'ipv6'] as const).map((v) => names.forwardingRule(p, v)));
    expect(new Set(rules).size).toBe(4);
  });
});

describe('Cloud Armor rules', () => {
  it.each([1, 2, 3, 4] as const)('sensitivity %i reaches every WAF expression', (sensitivity) => {
    const rules = securityPolicyRules(sensitivity, { count: 10, intervalSeconds: 60 });
    const expressions = rules.flatMap((r) => (r.match?.expr ? [r.match.expr.expression] : []));
    expect(expressions).toContain(wafExpression('xss-v33-stable', sensitivity));
    expect(expressions.every((e) => e.endsWith(`{'sensitivity': ${sensitivity}})`))).toBe(true);
  });

  it('priorities are unique and ascend from the WAF through the throttle to the default allow', () => {
    const rules = securityPolicyRules(1, { count: 5000, intervalSeconds: 60 });
    const priorities = rules.map((r) => r.priority as number);
    expect(new Set(priorities).size).toBe(priorities.length);
    expect([...priorities].sort((a, b) => a - b)).toEqual(priorities);
    expect(rules.map((r) => r.action)).toEqual([...Array(rules.length - 2).fill('deny(403)'), 'throttle', 'allow']);
    expect(priorities.at(-1)).toBe(DEFAULT_RULE_PRIORITY);
  });

  it('the construct deploys exactly the rules of the thresholds it is given (the topology resolves them)', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'gcp-armor-'));
    let synthesized: string;
    try {
      const stack = new TerraformStack(Testing.app({ outdir }), 'armor');
      const throttle = { count: 123, intervalSeconds: 10 };
      new RegistrySecurityPolicy(stack, 'policy', { project: 'p', name: 'armor', wafSensitivity: 3, throttle });
      synthesized = Testing.synth(stack);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
    const policies = Object.values(
      (JSON.parse(synthesized) as { resource: Record<string, Record<string, Record<string, unknown>>> }).resource
        .google_compute_security_policy!,
    );
    expect(policies).toHaveLength(1);
    expect(policies[0]).toMatchObject({ name: 'armor', type: 'CLOUD_ARMOR' });
    const rules = policies[0]!.rule as { priority: number; action: string; match: Record<string, unknown> }[];
    expect(rules.map((r) => [r.priority, r.action])).toEqual(
      securityPolicyRules(3, { count: 123, intervalSeconds: 10 }).map((r) => [r.priority, r.action]),
    );
    expect(rules.find((r) => r.action === 'throttle')).toMatchObject({
      rate_limit_options: { rate_limit_threshold: { count: 123, interval_sec: 10 } },
    });
    expect(rules.filter((r) => r.action === 'deny(403)').map((r) => r.match)).toEqual(
      WAF_RULE_SETS.map((set) => ({ expr: { expression: wafExpression(set, 3) } })),
    );
  });
});

describe('request log sink filter', () => {
  it('selects the load balancer request logs of one URL map', () => {
    expect(requestLogFilter('reg-https')).toBe(
      'resource.type="http_load_balancer" AND resource.labels.url_map_name="reg-https"',
    );
  });
});
