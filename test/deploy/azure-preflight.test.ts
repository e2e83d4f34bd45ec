/**
 * Azure's preflight against Azure Resource Manager answered by a table (URL and method -> status and body): the
 * subscription, the resource providers, the deployer's allowed actions and the global storage account names.
 */
import { join } from 'node:path';
import { allowedBy, azurePreflight, AZURE_NEEDED_ACTIONS } from '../../lib/deploy/preflight/azure';
import { missingRoles } from '../../lib/deploy/preflight/findings';
import type { JsonFetch } from '../../lib/deploy/preflight/http';
import { readTopologyFile } from '../../lib/topology';

const azure = readTopologyFile(join(__dirname, '../../examples/azure.yaml')).azure!;
const SUB = `https://management.azure.com/subscriptions/${azure.subscriptionId}`;
const TENANT = azure.tenantId;

function arm(answers: Record<string, [number, unknown]>): JsonFetch {
  return async (url, init) => {
    const key = `${init?.method ?? 'GET'} ${url}`;
    const [status, body] = answers[key] ?? [404, { error: { code: 'NotFound', message: `no stub for ${key}` } }];
    return { status, json: async () => body };
  };
}

const NAME_CHECK = `POST ${SUB}/providers/Microsoft.Storage/checkNameAvailability?api-version=2023-05-01`;
const ours = (name: string) =>
  `GET ${SUB}/resourceGroups/${azure.resourceGroup}/providers/Microsoft.Storage/storageAccounts/${name}?api-version=2023-05-01`;

function ready(overrides: Record<string, [number, unknown]> = {}): Record<string, [number, unknown]> {
  return {
    [`GET ${SUB}?api-version=2022-12-01`]: [200, { state: 'Enabled', tenantId: TENANT }],
    [`GET ${SUB}/providers/Microsoft.Storage?api-version=2021-04-01`]: [200, { registrationState: 'Registered' }],
    [`GET ${SUB}/providers/Microsoft.ManagedIdentity?api-version=2021-04-01`]: [
      200,
      { registrationState: 'Registered' },
    ],
    [`GET ${SUB}/providers/Microsoft.Authorization/permissions?api-version=2022-04-01`]: [
      200,
      { value: [{ actions: ['*'], notActions: [] }] },
    ],
    [NAME_CHECK]: [200, { nameAvailable: true }],
    ...overrides,
  };
}

const problems = (findings: Awaited<ReturnType<typeof azurePreflight>>) =>
  findings.filter((f) => !f.ok).map((f) => `${f.check}: ${f.detail} -> ${f.fix}`);

describe('Azure preflight', () => {
  it('passes an enabled subscription with the providers registered, an Owner deployer and free names', async () => {
    const findings = await azurePreflight(azure, arm(ready()));
    expect(findings.map((f) => `${f.ok ? 'ok' : 'FAIL'} ${f.check}`)).toEqual([
      `ok azure subscription ${azure.subscriptionId}`,
      'ok azure provider Microsoft.Storage',
      'ok azure provider Microsoft.ManagedIdentity',
      `ok azure subscription ${azure.subscriptionId}: deployer's roles`,
      'ok azure storage account k8sregistryweu',
      'ok azure storage account k8sregistryeus2',
    ]);
  });

  it.each<[string, Record<string, [number, unknown]>, string[]]>([
    [
      'a subscription of another tenant: nothing else is asked',
      { [`GET ${SUB}?api-version=2022-12-01`]: [200, { state: 'Enabled', tenantId: 'other' }] },
      [
        `azure subscription ${azure.subscriptionId}: belongs to tenant other, the topology says ${TENANT} -> fix azure.tenantId: the replicator exchanges its token in the subscription’s tenant`,
      ],
    ],
    [
      'a disabled subscription: nothing else is asked',
      { [`GET ${SUB}?api-version=2022-12-01`]: [200, { state: 'Disabled', tenantId: TENANT }] },
      [`azure subscription ${azure.subscriptionId}: is Disabled -> enable it (billing) in the Azure portal`],
    ],
    [
      'a subscription the deployer cannot see',
      { [`GET ${SUB}?api-version=2022-12-01`]: [403, { error: { message: 'AuthorizationFailed' } }] },
      [
        `azure subscription ${azure.subscriptionId}: does not exist or the deployer cannot see it (HTTP 403: AuthorizationFailed) -> az login --tenant ${TENANT}, and have the deployer given a role on the subscription (or fix azure.subscriptionId)`,
      ],
    ],
    [
      'a provider not registered',
      {
        [`GET ${SUB}/providers/Microsoft.ManagedIdentity?api-version=2021-04-01`]: [
          200,
          { registrationState: 'NotRegistered' },
        ],
      },
      [
        `azure provider Microsoft.ManagedIdentity: is NotRegistered -> az provider register --namespace Microsoft.ManagedIdentity --subscription ${azure.subscriptionId}`,
      ],
    ],
    [
      'a Contributor deployer: it cannot assign the replicator its role',
      {
        [`GET ${SUB}/providers/Microsoft.Authorization/permissions?api-version=2022-04-01`]: [
          200,
          {
            value: [
              { actions: ['*'], notActions: ['Microsoft.Authorization/*/Write', 'Microsoft.Authorization/*/Delete'] },
            ],
          },
        ],
      },
      [
        `azure subscription ${azure.subscriptionId}: deployer's roles: missing Microsoft.Authorization/roleAssignments/write -> az role assignment create --assignee <the deployer> --role "Role Based Access Control Administrator" --scope /subscriptions/${azure.subscriptionId}`,
      ],
    ],
    [
      "a name taken by someone else's account",
      {
        [NAME_CHECK]: [
          200,
          {
            nameAvailable: false,
            reason: 'AlreadyExists',
            message: 'The storage account named k8sregistryweu is already taken.',
          },
        ],
      },
      [
        'azure storage account k8sregistryweu: the name is taken (AlreadyExists: The storage account named k8sregistryweu is already taken.); account names are global -> choose another azure.storageAccountPrefix',
        'azure storage account k8sregistryeus2: the name is taken (AlreadyExists: The storage account named k8sregistryweu is already taken.); account names are global -> choose another azure.storageAccountPrefix',
      ],
    ],
    [
      'names taken by the registry itself (deployed before)',
      {
        [NAME_CHECK]: [200, { nameAvailable: false, reason: 'AlreadyExists' }],
        [ours('k8sregistryweu')]: [200, { name: 'k8sregistryweu' }],
        [ours('k8sregistryeus2')]: [200, { name: 'k8sregistryeus2' }],
      },
      [],
    ],
  ])('%s', async (_name, overrides, expected) => {
    expect(problems(await azurePreflight(azure, arm(ready(overrides))))).toEqual(expected);
  });

  it('says how to log in when no credential works', async () => {
    const findings = await azurePreflight(azure, async () => {
      throw Object.assign(new Error('no account found: run az login'), { name: 'CredentialUnavailableError' });
    });
    expect(findings).toEqual([
      {
        check: `azure subscription ${azure.subscriptionId}`,
        ok: false,
        detail: 'CredentialUnavailableError: no account found: run az login',
        fix: `log in to Azure: az login --tenant ${TENANT}`,
      },
    ]);
  });
});

describe('the actions the deployer lacks (allowedBy)', () => {
  it.each<[string, { actions: string[]; notActions: string[] }[], string[]]>([
    ['Owner (*)', [{ actions: ['*'], notActions: [] }], []],
    ['nothing', [], AZURE_NEEDED_ACTIONS.map((n) => n.permission)],
    [
      'Contributor plus RBAC administrator (another entry)',
      [
        { actions: ['*'], notActions: ['Microsoft.Authorization/*/Write'] },
        { actions: ['Microsoft.Authorization/roleAssignments/*'], notActions: [] },
      ],
      [],
    ],
    [
      'storage only, in another case',
      [{ actions: ['microsoft.storage/*'], notActions: [] }],
      AZURE_NEEDED_ACTIONS.map((n) => n.permission).filter((a) => !a.startsWith('Microsoft.Storage/')),
    ],
  ])('%s', (_name, permissions, expected) => {
    const missing = missingRoles(AZURE_NEEDED_ACTIONS, (action) => allowedBy(permissions, action));
    expect([...missing.values()].flat()).toEqual(expected);
  });
});
