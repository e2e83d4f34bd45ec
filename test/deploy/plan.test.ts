/** The deploy plan as a pure function of the topology, the step selection, and the two renderings. */
import { FlagError } from '../../lib/config/command-line';
import { deployPlan, stepIds, type DeployPlan } from '../../lib/deploy/plan';
import { renderPlanJson, renderPlanText } from '../../lib/deploy/render';
import { selectSteps } from '../../lib/deploy/select';
import { DEFAULT_TOPOLOGY, parseTopology, type TopologyInput } from '../../lib/topology';
import { handOffs } from './support';

function planOf(change: (t: TopologyInput) => void = () => {}): DeployPlan {
  const raw = structuredClone(DEFAULT_TOPOLOGY);
  change(raw);
  return deployPlan(parseTopology(raw, 'test'));
}

const ALL_STEPS = [
  'aws-bootstrap',
  'gcp-state-bucket',
  'aws-delivery',
  'gcp-delivery',
  'aws-mirrors',
  'gcp-artifacts',
  'gcp-replication',
  'aws-upload',
  'aws-cdn',
  'gcp-redirector',
  'gcp-frontend',
  'gcp-observability',
  'mirror-backfill',
];

/** What feeds what: `producer.key -> consumer`, in plan order. */
function flows(plan: DeployPlan): string[] {
  return plan.steps.flatMap((step) => step.consumes.map((c) => `${c.from}.${c.key} -> ${step.id} (${c.env})`));
}

describe('the plan of a topology', () => {
  const cases: Array<[string, (t: TopologyInput) => void, { steps: string[]; flows: string[] }]> = [
    [
      'the default topology',
      () => {},
      {
        steps: ALL_STEPS,
        flows: [
          'gcp-replication.replicatorUniqueId -> aws-upload (DEPLOYED_REPLICATOR_UNIQUE_ID)',
          'aws-cdn.cdnDomainName -> gcp-redirector (DEPLOYED_CDN_DOMAIN_NAME)',
        ],
      },
    ],
    [
      'local Terraform state: no bucket to create',
      (t) => (t.gcp.stateBackend = { type: 'local' }),
      { steps: ALL_STEPS.filter((s) => s !== 'gcp-state-bucket'), flows: expect.any(Array) },
    ],
    [
      'a CDN with its own domain: its address is known, nothing flows from it',
      (t) => (t.aws.cdn.domainName = 'cdn.example.com'),
      { steps: ALL_STEPS, flows: ['gcp-replication.replicatorUniqueId -> aws-upload (DEPLOYED_REPLICATOR_UNIQUE_ID)'] },
    ],
    [
      'no CDN: no CDN step',
      (t) => {
        t.aws.cdn.enabled = false;
        for (const region of Object.values(t.gcp.redirector.regions))
          if (region.defaultBlobBackend === 'cdn') region.defaultBlobBackend = 'us-east-2';
      },
      {
        steps: ALL_STEPS.filter((s) => s !== 'aws-cdn'),
        flows: ['gcp-replication.replicatorUniqueId -> aws-upload (DEPLOYED_REPLICATOR_UNIQUE_ID)'],
      },
    ],
    [
      'a CI issuer with its subject written: the writer role consumes nothing',
      (t) =>
        Object.assign(t.aws.writer, { oidcIssuer: 'https://token.actions.githubusercontent.com', subject: 'repo:o/r' }),
      { steps: ALL_STEPS, flows: ['aws-cdn.cdnDomainName -> gcp-redirector (DEPLOYED_CDN_DOMAIN_NAME)'] },
    ],
    [
      'a single mirror region: no destinations to deploy, nothing to backfill',
      (t) => {
        t.aws.mirrorRegions = ['us-east-2'];
        t.aws.regionAliases = {};
        t.aws.cdn.enabled = false;
        t.gcp.redirector.regions = { 'us-central1': { defaultBlobBackend: 'us-east-2' } };
      },
      {
        steps: ALL_STEPS.filter((s) => !['aws-mirrors', 'aws-cdn', 'mirror-backfill'].includes(s)),
        flows: ['gcp-replication.replicatorUniqueId -> aws-upload (DEPLOYED_REPLICATOR_UNIQUE_ID)'],
      },
    ],
  ];

  it.each(cases)('%s', (_name, change, expected) => {
    const plan = planOf(change);
    expect({ steps: stepIds(plan), flows: flows(plan) }).toEqual(expected);
  });

  it.each(cases)('%s: every producer comes before its consumers, and names them', (_name, change) => {
    const plan = planOf(change);
    const ids = stepIds(plan);
    for (const step of plan.steps) {
      for (const consumed of step.consumes) {
        expect(ids.indexOf(consumed.from)).toBeLessThan(ids.indexOf(step.id));
        const producer = plan.steps.find((s) => s.id === consumed.from)!;
        expect(producer.produces.find((p) => p.key === consumed.key)?.consumers).toContain(step.id);
      }
      for (const produced of step.produces) expect(produced.consumers.length).toBeGreaterThan(0);
    }
  });

  describe('the default topology, step by step', () => {
    const plan = planOf();
    const step = (id: string) => plan.steps.find((s) => s.id === id)!;
    const argv = (id: string) => step(id).commands.map((c) => [c.tool, ...c.args].join(' '));

    it('creates the versioned state bucket in the serving project unless it exists', () => {
      const bucket = 'gs://k8s-infra-oci-proxy-prod-terraform-state';
      expect(step('gcp-state-bucket').commands).toEqual([
        {
          tool: 'gcloud',
          args: [
            'storage',
            'buckets',
            'create',
            bucket,
            '--project=k8s-infra-oci-proxy-prod',
            '--location=us-central1',
            '--uniform-bucket-level-access',
            '--public-access-prevention',
          ],
          unless: {
            tool: 'gcloud',
            args: ['storage', 'buckets', 'describe', bucket, '--project=k8s-infra-oci-proxy-prod'],
          },
        },
        {
          tool: 'gcloud',
          args: ['storage', 'buckets', 'update', bucket, '--project=k8s-infra-oci-proxy-prod', '--versioning'],
        },
      ]);
    });

    it('bootstraps the CDK once in every region a stack deploys to (the 32 mirrors; us-east-1 holds the CDN too)', () => {
      const [command] = step('aws-bootstrap').commands;
      expect(command!.args[0]).toBe('bootstrap');
      expect(command!.args.slice(1)).toHaveLength(32);
      expect(command!.args).toContain('aws://513428760722/us-east-1');
      expect(command!.args).toContain('aws://513428760722/ap-east-1');
    });

    it('deploys each AWS stack in exactly one step, each step only its own stacks', () => {
      const cdkStacks = plan.steps.filter((s) => s.tool === 'cdk').flatMap((s) => s.stacks);
      expect(cdkStacks).toHaveLength(34);
      expect(new Set(cdkStacks).size).toBe(34);
      expect(step('aws-mirrors').stacks).not.toContain('registry-k8s-io-us-east-2');
      expect(argv('aws-upload')).toEqual(['cdk deploy registry-k8s-io-us-east-2 --exclusively']);
      expect(argv('aws-cdn')).toEqual(['cdk deploy registry-k8s-io-cdn --exclusively']);
    });

    it('deploys each GCP stack with cdktf in its own step', () => {
      for (const id of [
        'gcp-delivery',
        'gcp-artifacts',
        'gcp-replication',
        'gcp-redirector',
        'gcp-frontend',
        'gcp-observability',
      ])
        expect(argv(id)).toEqual([`cdktf deploy ${id}`]);
    });

    it('says what each consumer is until its producer exists', () => {
      expect(step('aws-upload').consumes).toEqual([
        {
          key: 'replicatorUniqueId',
          from: 'gcp-replication',
          env: 'DEPLOYED_REPLICATOR_UNIQUE_ID',
          without: 'the writer role trusts no one (its trust policy denies every token)',
        },
      ]);
      expect(step('gcp-redirector').consumes[0]!.without).toBe(
        "regions whose default backend is the CDN send those clients to the us-east-2 bucket (the CDN's primary origin)",
      );
      expect(handOffs(plan)).toEqual([
        ['gcp-replication', 'replicatorUniqueId', 'gcp-replication', 'replicator-unique-id', ['aws-upload']],
        ['aws-cdn', 'cdnDomainName', 'registry-k8s-io-cdn', 'DistributionDomainName', ['gcp-redirector']],
      ]);
    });

    it('backfills every mirror but the upload bucket with the replication job, only on demand', () => {
      const backfill = step('mirror-backfill');
      expect(backfill.onDemand).toBe(true);
      expect(backfill.commands).toHaveLength(31);
      expect(backfill.commands[0]).toEqual({
        tool: 'replicator',
        args: [
          's3',
          '--source',
          'us-central1-docker.pkg.dev/k8s-artifacts-prod/images',
          '--bucket',
          'prod-registry-k8s-io-af-south-1',
          '--region',
          'af-south-1',
          '--concurrency',
          '8',
          '--rps',
          '80',
        ],
      });
      expect(plan.steps.filter((s) => s.onDemand).map((s) => s.id)).toEqual(['mirror-backfill']);
    });
  });
});

describe('selecting steps', () => {
  const plan = planOf();
  const regular = ALL_STEPS.filter((s) => s !== 'mirror-backfill');

  it.each<[string, Parameters<typeof selectSteps>[1], string[]]>([
    ['everything but what runs on demand', {}, regular],
    ['--only one', { only: ['gcp-frontend'] }, ['gcp-frontend']],
    ['--only several, in plan order', { only: ['gcp-redirector', 'aws-cdn'] }, ['aws-cdn', 'gcp-redirector']],
    ['--only a step on demand', { only: ['mirror-backfill'] }, ['mirror-backfill']],
    ['--from one on', { from: 'gcp-redirector' }, ['gcp-redirector', 'gcp-frontend', 'gcp-observability']],
    ['--from a step on demand runs it', { from: 'mirror-backfill' }, ['mirror-backfill']],
  ])('%s', (_name, selection, expected) => {
    expect(selectSteps(plan, selection).map((s) => s.id)).toEqual(expected);
  });

  it.each<[Parameters<typeof selectSteps>[1], string]>([
    [{ only: ['gcp-nope'] }, '--only "gcp-nope" is not a step (steps: aws-bootstrap, gcp-state-bucket,'],
    [{ from: 'later' }, '--from "later" is not a step'],
    [{ only: ['aws-cdn'], from: 'aws-cdn' }, '--only and --from cannot be combined'],
  ])('refuses %j', (selection, message) => {
    expect(() => selectSteps(plan, selection)).toThrow(FlagError);
    expect(() => selectSteps(plan, selection)).toThrow(message);
  });
});

describe('rendering', () => {
  const plan = planOf();

  it('text: numbered steps, the commands as typed, the flows, and the steps on demand last', () => {
    const text = renderPlanText(plan);
    expect(text).toMatch(/^Deploy plan for registry-k8s-io: 12 steps, 1 on demand\.\n/);
    expect(text).toContain(' 7. gcp-replication (cdktf)\n');
    expect(text).toContain('    $ cdktf deploy gcp-replication\n');
    expect(text).toContain(
      '    produces: replicatorUniqueId (output replicator-unique-id of gcp-replication) for aws-upload\n',
    );
    expect(text).toContain('    consumes: cdnDomainName from aws-cdn, as DEPLOYED_CDN_DOMAIN_NAME\n');
    expect(text).toContain('    redeploy after aws-cdn whenever');
    expect(text).toMatch(/On demand \(only with --only STEP\):\n\n13\. mirror-backfill \(replicator\)\n/);
    expect(text).toContain('    $ npm run -s replicate -- s3 --source');
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(116);
  });

  it('json: each command as the words one types', () => {
    const json = JSON.parse(renderPlanJson(plan)) as {
      topology: string;
      steps: { id: string; commands: { argv: string[]; unless?: string[] }[]; onDemand: boolean }[];
    };
    expect(json.topology).toBe('registry-k8s-io');
    expect(json.steps.map((s) => s.id)).toEqual(ALL_STEPS);
    expect(json.steps[1]!.commands[0]!.unless).toEqual([
      'gcloud',
      'storage',
      'buckets',
      'describe',
      'gs://k8s-infra-oci-proxy-prod-terraform-state',
      '--project=k8s-infra-oci-proxy-prod',
    ]);
    expect(json.steps.find((s) => s.id === 'aws-cdn')!.commands[0]!.argv).toEqual([
      'cdk',
      'deploy',
      'registry-k8s-io-cdn',
      '--exclusively',
    ]);
    expect(json.steps.at(-1)!.commands[0]!.argv.slice(0, 6)).toEqual(['npm', 'run', '-s', 'replicate', '--', 's3']);
  });
});
