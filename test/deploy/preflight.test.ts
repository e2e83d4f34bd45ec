/**
 * The preflight checks against the SDKs' standard mocks (aws-sdk-client-mock) and an injected fetch answering as
 * Google's REST APIs do: each problem is found, and each says exactly what to change.
 */
import { AccountClient, ListRegionsCommand, type Region, type RegionOptStatus } from '@aws-sdk/client-account';
import {
  GetPublicAccessBlockCommand,
  NoSuchPublicAccessBlockConfiguration,
  S3ControlClient,
} from '@aws-sdk/client-s3-control';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { awsRegions } from '../../lib/clouds/aws/infra/names';
import { awsPreflight, regionFindings } from '../../lib/deploy/preflight/aws';
import { renderFindings, type Finding } from '../../lib/deploy/preflight/findings';
import { missingRoles } from '../../lib/deploy/preflight/findings';
import { gcpPreflight, neededPermissions } from '../../lib/deploy/preflight/gcp';
import type { JsonFetch } from '../../lib/deploy/preflight/http';
import { DEFAULT_TOPOLOGY, parseTopology } from '../../lib/topology';

const topology = parseTopology(DEFAULT_TOPOLOGY, 'default');
const ACCOUNT = topology.aws.accountId;
const REGIONS = awsRegions(topology);

const sts = mockClient(STSClient);
const account = mockClient(AccountClient);
const s3control = mockClient(S3ControlClient);

const clients = () => ({
  sts: new STSClient({ region: 'us-east-1' }),
  account: new AccountClient({ region: 'us-east-1' }),
  s3control: new S3ControlClient({ region: 'us-east-1' }),
});

/** Every region enabled except those given. */
function regionsWith(statuses: Record<string, RegionOptStatus>): Region[] {
  return REGIONS.map((RegionName) => ({ RegionName, RegionOptStatus: statuses[RegionName] ?? 'ENABLED_BY_DEFAULT' }));
}

const problems = (findings: Finding[]) => findings.filter((f) => !f.ok);

beforeEach(() => {
  sts.reset();
  account.reset();
  s3control.reset();
  sts.on(GetCallerIdentityCommand).resolves({ Account: ACCOUNT, Arn: `arn:aws:iam::${ACCOUNT}:user/deployer` });
  account.on(ListRegionsCommand).resolves({ Regions: regionsWith({}) });
  s3control.on(GetPublicAccessBlockCommand).rejects(
    new NoSuchPublicAccessBlockConfiguration({
      message: 'The public access block configuration was not found',
      $metadata: {},
    }),
  );
});

describe('AWS preflight', () => {
  it('passes an account that is ready, asking about the topology account', async () => {
    const findings = await awsPreflight(topology, clients());
    expect(problems(findings)).toEqual([]);
    expect(findings.map((f) => f.check)).toEqual([
      'aws credentials',
      'aws regions',
      'aws s3 block public access (account)',
    ]);
    expect(s3control.commandCalls(GetPublicAccessBlockCommand)[0]!.args[0].input).toEqual({ AccountId: ACCOUNT });
  });

  it('follows the region list across pages', async () => {
    account.on(ListRegionsCommand, {}).resolves({ Regions: regionsWith({}).slice(0, 10), NextToken: 'page-2' });
    account.on(ListRegionsCommand, { NextToken: 'page-2' }).resolves({ Regions: regionsWith({}).slice(10) });
    expect(problems(await awsPreflight(topology, clients()))).toEqual([]);
    expect(account.commandCalls(ListRegionsCommand)).toHaveLength(2);
  });

  it('names each opt-in region that is not enabled, with the command that enables it', async () => {
    account.on(ListRegionsCommand).resolves({
      Regions: regionsWith({ 'ap-east-1': 'DISABLED', 'me-central-1': 'ENABLING' }).filter(
        (r) => r.RegionName !== 'mx-central-1',
      ),
    });
    expect(problems(await awsPreflight(topology, clients()))).toEqual([
      {
        check: 'aws region ap-east-1',
        ok: false,
        detail: 'is DISABLED: an opt-in region that is not enabled',
        fix: 'aws account enable-region --region-name ap-east-1, then wait until `aws account get-region-opt-status --region-name ap-east-1` says ENABLED (minutes to hours)',
      },
      {
        check: 'aws region me-central-1',
        ok: false,
        detail: 'is being enabled',
        fix: 'wait until `aws account get-region-opt-status --region-name me-central-1` says ENABLED',
      },
      expect.objectContaining({ check: 'aws region mx-central-1', detail: 'is not listed by the account' }),
    ]);
  });

  it.each<[string, Record<string, boolean>, string | undefined]>([
    [
      'all four on (the console default)',
      { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true },
      "BlockPublicPolicy=true, RestrictPublicBuckets=true: the mirrors' public-read bucket policies would be rejected",
    ],
    [
      'only RestrictPublicBuckets',
      { RestrictPublicBuckets: true },
      "RestrictPublicBuckets=true: the mirrors' public-read bucket policies would be ignored",
    ],
    [
      'only the ACL settings (what the mirrors use themselves)',
      { BlockPublicAcls: true, IgnorePublicAcls: true },
      undefined,
    ],
  ])('S3 Block Public Access with %s', async (_name, config, detail) => {
    s3control.on(GetPublicAccessBlockCommand).resolves({ PublicAccessBlockConfiguration: config });
    const [finding] = problems(await awsPreflight(topology, clients()));
    if (detail === undefined) return expect(finding).toBeUndefined();
    expect(finding).toEqual({
      check: 'aws s3 block public access (account)',
      ok: false,
      detail,
      fix:
        `aws s3control put-public-access-block --account-id ${ACCOUNT} --public-access-block-configuration ` +
        'BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=false,RestrictPublicBuckets=false (ACLs stay ' +
        'blocked); if an AWS Organizations S3 policy sets it, exempt this account there',
    });
  });

  it('says when the credentials are for another account', async () => {
    sts.on(GetCallerIdentityCommand).resolves({ Account: '111122223333', Arn: 'arn:aws:iam::111122223333:user/me' });
    expect(problems(await awsPreflight(topology, clients()))).toEqual([
      {
        check: 'aws credentials',
        ok: false,
        detail: `arn:aws:iam::111122223333:user/me is in account 111122223333, the topology deploys to ${ACCOUNT}`,
        fix: `use credentials of account ${ACCOUNT} (e.g. AWS_PROFILE=<its profile>, aws sso login), or fix aws.accountId`,
      },
    ]);
  });

  it('turns a refused call into a problem naming the permission', async () => {
    const denied = Object.assign(new Error('User is not authorized to perform: account:ListRegions'), {
      name: 'AccessDeniedException',
    });
    account.on(ListRegionsCommand).rejects(denied);
    expect(problems(await awsPreflight(topology, clients()))).toEqual([
      {
        check: 'aws regions',
        ok: false,
        detail: 'AccessDeniedException: User is not authorized to perform: account:ListRegions',
        fix: 'allow the deployer account:ListRegions',
      },
    ]);
  });

  it('checks exactly the regions the stacks deploy to', () => {
    expect(regionFindings(topology, new Map(REGIONS.map((r) => [r, 'ENABLED'])))).toEqual([
      { check: 'aws regions', ok: true, detail: 'all 32 regions are enabled' },
    ]);
  });
});

/** Google's APIs as a table: URL (and method) -> status and body. */
function google(answers: Record<string, [number, unknown]>): { fetch: JsonFetch; calls: string[] } {
  const calls: string[] = [];
  const fetch: JsonFetch = async (url, init) => {
    const key = `${init?.method ?? 'GET'} ${url}`;
    calls.push(init?.body ? `${key} ${init.body}` : key);
    const [status, body] = answers[key] ?? [404, { error: { message: `no stub for ${key}` } }];
    return { status, json: async () => body };
  };
  return { fetch, calls };
}

const RM = 'https://cloudresourcemanager.googleapis.com/v3/projects';
const BILLING = 'https://cloudbilling.googleapis.com/v1/projects';
const PROJECTS = ['k8s-artifacts-prod', 'k8s-infra-oci-proxy-prod'];

/** Both projects ready: active, billed, every needed permission granted. */
function readyProjects(overrides: Record<string, [number, unknown]> = {}): Record<string, [number, unknown]> {
  const needed = neededPermissions(topology);
  return {
    ...Object.fromEntries(
      PROJECTS.flatMap((project) => [
        [`GET ${RM}/${project}`, [200, { projectId: project, state: 'ACTIVE' }]],
        [
          `GET ${BILLING}/${project}/billingInfo`,
          [200, { billingEnabled: true, billingAccountName: 'billingAccounts/0X0X0X' }],
        ],
        [
          `POST ${RM}/${project}:testIamPermissions`,
          [200, { permissions: needed.get(project)!.map((n) => n.permission) }],
        ],
      ]),
    ),
    ...overrides,
  };
}

describe('Google preflight', () => {
  it('passes projects that exist, are billed and grant the deployer what the stacks need', async () => {
    const { fetch, calls } = google(readyProjects());
    const findings = await gcpPreflight(topology, fetch);
    expect(problems(findings)).toEqual([]);
    expect(findings).toHaveLength(6);
    const tested = calls.find((c) => c.startsWith(`POST ${RM}/k8s-infra-oci-proxy-prod:testIamPermissions`))!;
    expect(tested).toContain('"run.services.create"');
    expect(tested).toContain('"storage.buckets.create"'); // the state bucket lives in the serving project
  });

  it('names a project that does not exist and says how to create it, without asking more of it', async () => {
    const { fetch, calls } = google(
      readyProjects({
        [`GET ${RM}/k8s-artifacts-prod`]: [403, { error: { message: 'Permission denied on resource' } }],
      }),
    );
    expect(problems(await gcpPreflight(topology, fetch))).toEqual([
      {
        check: 'gcp project k8s-artifacts-prod',
        ok: false,
        detail: 'does not exist or the deployer cannot see it (HTTP 403: Permission denied on resource)',
        fix: 'create it (gcloud projects create k8s-artifacts-prod) or grant the deployer roles/browser on it',
      },
    ]);
    expect(calls.filter((c) => c.includes('k8s-artifacts-prod'))).toHaveLength(1);
  });

  it('names a project pending deletion and says how to restore it', async () => {
    const { fetch } = google(
      readyProjects({
        [`GET ${RM}/k8s-artifacts-prod`]: [200, { projectId: 'k8s-artifacts-prod', state: 'DELETE_REQUESTED' }],
      }),
    );
    expect(problems(await gcpPreflight(topology, fetch))).toEqual([
      {
        check: 'gcp project k8s-artifacts-prod',
        ok: false,
        detail: 'is DELETE_REQUESTED',
        fix: 'restore it: gcloud projects undelete k8s-artifacts-prod',
      },
    ]);
  });

  it('says when billing is off, with the command that links an account', async () => {
    const { fetch } = google(
      readyProjects({ [`GET ${BILLING}/k8s-infra-oci-proxy-prod/billingInfo`]: [200, { billingEnabled: false }] }),
    );
    expect(problems(await gcpPreflight(topology, fetch))).toEqual([
      {
        check: 'gcp project k8s-infra-oci-proxy-prod: billing',
        ok: false,
        detail: 'is not enabled: no API can be enabled and no resource created',
        fix: 'gcloud billing projects link k8s-infra-oci-proxy-prod --billing-account=<ACCOUNT_ID>',
      },
    ]);
  });

  it('names the missing permissions, grouped by the role to grant', async () => {
    const granted = neededPermissions(topology)
      .get('k8s-infra-oci-proxy-prod')!
      .map((n) => n.permission)
      .filter((p) => !p.startsWith('run.') && p !== 'compute.securityPolicies.create');
    const { fetch } = google(
      readyProjects({ [`POST ${RM}/k8s-infra-oci-proxy-prod:testIamPermissions`]: [200, { permissions: granted }] }),
    );
    expect(problems(await gcpPreflight(topology, fetch))).toEqual([
      {
        check: "gcp project k8s-infra-oci-proxy-prod: deployer's roles",
        ok: false,
        detail: 'missing run.services.create, run.services.setIamPolicy, run.jobs.create, run.jobs.setIamPolicy',
        fix: 'gcloud projects add-iam-policy-binding k8s-infra-oci-proxy-prod --member=<the deployer> --role=roles/run.admin',
      },
      {
        check: "gcp project k8s-infra-oci-proxy-prod: deployer's roles",
        ok: false,
        detail: 'missing compute.securityPolicies.create',
        fix: 'gcloud projects add-iam-policy-binding k8s-infra-oci-proxy-prod --member=<the deployer> --role=roles/compute.securityAdmin',
      },
    ]);
  });

  it('says how to log in when there are no credentials', async () => {
    const fetch: JsonFetch = async () => {
      throw new Error('Could not load the default credentials.');
    };
    const findings = await gcpPreflight(topology, fetch);
    expect(findings).toHaveLength(2);
    expect(findings[0]).toEqual({
      check: 'gcp project k8s-artifacts-prod',
      ok: false,
      detail: 'Could not load the default credentials.',
      fix: 'log in to Google Cloud with application default credentials: gcloud auth application-default login',
    });
  });

  it('asks each project for what the stacks there need, once each', () => {
    const needed = neededPermissions(topology);
    expect([...needed.keys()]).toEqual(PROJECTS);
    for (const list of needed.values()) {
      expect(new Set(list.map((n) => n.permission)).size).toBe(list.length);
      expect(list.map((n) => n.permission)).toContain('serviceusage.services.enable');
    }
    expect(needed.get('k8s-artifacts-prod')!.map((n) => n.permission)).not.toContain('run.services.create');
  });

  it('asks one project serving as both for each permission once', () => {
    const oneProject = { ...topology, gcp: { ...topology.gcp, artifactsProject: topology.gcp.servingProject } };
    const needed = neededPermissions(oneProject);
    expect([...needed.keys()]).toEqual([topology.gcp.servingProject]);
    const permissions = needed.get(topology.gcp.servingProject)!.map((n) => n.permission);
    expect(new Set(permissions).size).toBe(permissions.length);
    expect(permissions).toEqual(
      expect.arrayContaining(['artifactregistry.repositories.create', 'run.services.create']),
    );
  });

  it('groups missing permissions by role', () => {
    const needed = [
      { permission: 'a.x', role: 'roles/a' },
      { permission: 'b.x', role: 'roles/b' },
      { permission: 'a.y', role: 'roles/a' },
    ];
    expect(missingRoles(needed, (permission) => permission === 'b.x')).toEqual(new Map([['roles/a', ['a.x', 'a.y']]]));
  });
});

describe('the report', () => {
  it('shows each finding, what to change, and the count of problems', () => {
    expect(
      renderFindings([
        { check: 'aws regions', ok: true, detail: 'all 32 regions are enabled' },
        {
          check: 'aws region ap-east-1',
          ok: false,
          detail: 'is DISABLED',
          fix: 'aws account enable-region --region-name ap-east-1',
        },
      ]),
    ).toBe(
      [
        'ok    aws regions: all 32 regions are enabled',
        'FAIL  aws region ap-east-1: is DISABLED',
        '      change: aws account enable-region --region-name ap-east-1',
        'preflight: 1 problem; nothing was deployed',
        '',
      ].join('\n'),
    );
  });
});
