/**
 * The plan learns about donors only through their infrastructure halves: steps in phase order, donors in the given
 * order within a phase, values wired from producer to consumers, and a plan that cannot be made refused by name.
 * The preflight runs each donor's own checks.
 */
import {
  deployPlan,
  DeployPlanError,
  enabledDonorInfras,
  inPhase,
  stepIds,
  type PhasedStep,
} from '../../lib/deploy/plan';
import { preflightFindings } from '../../lib/deploy/preflight/donors';
import type { DonorInfra, DonorStep } from '../../lib/synth/donor-infra';
import { awsDonor } from '../../lib/clouds/aws/donor';
import { gcpDonor } from '../../lib/clouds/gcp/donor';
import { DEFAULT_TOPOLOGY, parseTopology } from '../../lib/topology';

const topology = parseTopology(DEFAULT_TOPOLOGY, 'default');

const step = (id: string, extra: Partial<DonorStep> = {}): DonorStep => ({
  id,
  tool: 'cdktf',
  summary: `deploys ${id}`,
  stacks: [id],
  commands: [{ tool: 'cdktf', args: ['deploy', id], deploys: [id] }],
  ...extra,
});

const infra = (id: string, steps: PhasedStep[], preflight?: DonorInfra['preflight']): DonorInfra => ({
  id,
  app: {
    script: `bin/${id}.ts`,
    outdir: `${id}.out`,
    outdirEnv: 'OUTDIR',
    readOutput: () => [],
    outputKind: 'terraform-json',
  },
  deploySteps: () => steps,
  ...(preflight ? { preflight } : {}),
});

const produces = (key: 'replicatorUniqueId' | 'cdnDomainName') => ({ produces: [{ key, stack: 's', output: 'o' }] });
const consumes = (key: 'replicatorUniqueId' | 'cdnDomainName') => ({ consumes: [{ key, without: 'safe' }] });

describe('a plan made of donors', () => {
  const cases: Array<[string, DonorInfra[], string[] | RegExp]> = [
    [
      'phases order the steps, whatever order a donor lists them in',
      [infra('a', [inPhase('serving')(step('a-serve')), inPhase('bootstrap')(step('a-boot'))])],
      ['a-boot', 'a-serve'],
    ],
    [
      'within a phase, donors in the given order, each donor its own steps in its own order',
      [
        infra('a', [inPhase('storage')(step('a-1')), inPhase('storage')(step('a-2'))]),
        infra('b', [inPhase('bootstrap')(step('b-boot')), inPhase('storage')(step('b-1'))]),
      ],
      ['b-boot', 'a-1', 'a-2', 'b-1'],
    ],
    [
      'a donor without steps adds none',
      [infra('a', [inPhase('edge')(step('a-edge'))]), { ...infra('b', []), deploySteps: undefined }],
      ['a-edge'],
    ],
    [
      'two steps with one id are refused',
      [infra('a', [inPhase('storage')(step('same'))]), infra('b', [inPhase('edge')(step('same'))])],
      /two deploy steps are named "same"/,
    ],
    [
      'a consumer without a producer is refused',
      [infra('a', [inPhase('writers')(step('a-trust', consumes('replicatorUniqueId')))])],
      /a-trust consumes replicatorUniqueId, which no step of the enabled donors produces/,
    ],
    [
      'a consumer before its producer is refused',
      [
        infra('a', [inPhase('storage')(step('a-trust', consumes('replicatorUniqueId')))]),
        infra('b', [inPhase('replication')(step('b-jobs', produces('replicatorUniqueId')))]),
      ],
      /a-trust consumes replicatorUniqueId, which b-jobs produces later/,
    ],
    [
      'one value produced twice is refused',
      [
        infra('a', [inPhase('replication')(step('a-jobs', produces('replicatorUniqueId')))]),
        infra('b', [inPhase('replication')(step('b-jobs', produces('replicatorUniqueId')))]),
      ],
      /replicatorUniqueId is produced by both a-jobs and b-jobs/,
    ],
  ];

  it.each(cases)('%s', (_name, infras, expected) => {
    if (expected instanceof RegExp) {
      expect(() => deployPlan(topology, infras)).toThrow(DeployPlanError);
      expect(() => deployPlan(topology, infras)).toThrow(expected);
    } else expect(stepIds(deployPlan(topology, infras))).toEqual(expected);
  });

  it("wires one donor's value to every consumer of any donor, and drops a value nobody consumes", () => {
    const plan = deployPlan(topology, [
      infra('a', [
        inPhase('replication')(step('a-jobs', produces('replicatorUniqueId'))),
        inPhase('edge')(step('a-cdn', produces('cdnDomainName'))),
      ]),
      infra('b', [inPhase('writers')(step('b-trust', consumes('replicatorUniqueId')))]),
      infra('c', [inPhase('writers')(step('c-trust', consumes('replicatorUniqueId')))]),
    ]);
    const byId = (id: string) => plan.steps.find((s) => s.id === id)!;
    expect(byId('a-jobs').produces).toEqual([
      { key: 'replicatorUniqueId', stack: 's', output: 'o', consumers: ['b-trust', 'c-trust'] },
    ]);
    expect(byId('a-cdn').produces).toEqual([]);
    expect(byId('c-trust').consumes).toEqual([
      { key: 'replicatorUniqueId', from: 'a-jobs', env: 'DEPLOYED_REPLICATOR_UNIQUE_ID', without: 'safe' },
    ]);
    expect(plan.steps.every((s) => s.onDemand === false)).toBe(true);
  });

  it('names the last delivery step as the point where the images can be pushed', () => {
    const plan = deployPlan(topology, [
      infra('a', [inPhase('delivery')(step('a-delivery'))]),
      infra('b', [inPhase('delivery')(step('b-delivery'))]),
    ]);
    expect(plan.prerequisites[1]).toContain('run the steps up to b-delivery, then');
  });

  it('takes the infrastructure halves of the donors a topology enables, in the order given', () => {
    expect(enabledDonorInfras(topology).map((i) => i.id)).toEqual(['aws', 'gcp']);
    expect(enabledDonorInfras(topology, [gcpDonor, awsDonor]).map((i) => i.id)).toEqual(['gcp', 'aws']);
    const disabled = { ...topology, gcp: { ...topology.gcp, enabled: false } };
    expect(enabledDonorInfras(disabled).map((i) => i.id)).toEqual(['aws']);
  });
});

describe('preflight by donor', () => {
  it("runs each donor's checks in the donors' order, says when a donor has none, and reports checks that throw", async () => {
    const findings = await preflightFindings(topology, [
      infra('a', [], () => Promise.resolve([{ check: 'a region', ok: true, detail: 'enabled' }])),
      infra('b', []),
      infra('c', [], () => Promise.reject(new Error('no credentials'))),
    ]);
    expect(findings).toEqual([
      { check: 'a region', ok: true, detail: 'enabled' },
      { check: 'b', ok: true, detail: 'no checks before a first deploy' },
      {
        check: 'c preflight',
        ok: false,
        detail: 'no credentials',
        fix: 'fix what stopped the c checks, then run them again',
      },
    ]);
  });
});
