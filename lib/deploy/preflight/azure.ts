/**
 * What would stop the Azure side on its first deploy, asked of Azure Resource Manager before anything is deployed:
 * - the subscription exists, is enabled and belongs to the topology's tenant;
 * - the resource providers the stack uses are registered in it (a new subscription has few);
 * - the deployer may create what the stack creates, including the replicator's role assignments (Contributor alone
 *   may not assign roles);
 * - each storage account name is free, or already the registry's: account names are global across Azure.
 */
import type { AzureSection } from '../../clouds/azure/section';
import { azureMirrors } from '../../clouds/azure/section';
import { escapeRegExp } from '../../config/regexp';
import { callFailed, missingRoles, ok, problem, type Finding, type Needed } from './findings';
import { apiError, getJson, type JsonFetch } from './http';

const ARM = 'https://management.azure.com';

/** The resource providers whose resources the stack creates. */
export const AZURE_PROVIDERS = ['Microsoft.Storage', 'Microsoft.ManagedIdentity'] as const;

/** The actions the deploy performs, and the built-in roles that allow them. */
export const AZURE_NEEDED_ACTIONS: readonly Needed[] = [
  { permission: 'Microsoft.Resources/subscriptions/resourceGroups/write', role: 'Contributor' },
  { permission: 'Microsoft.Storage/storageAccounts/write', role: 'Contributor' },
  { permission: 'Microsoft.Storage/storageAccounts/blobServices/containers/write', role: 'Contributor' },
  { permission: 'Microsoft.ManagedIdentity/userAssignedIdentities/write', role: 'Contributor' },
  {
    permission: 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write',
    role: 'Contributor',
  },
  { permission: 'Microsoft.Authorization/roleAssignments/write', role: 'Role Based Access Control Administrator' },
];

/** One entry of the permissions API: what a role assignment allows, minus what it excludes. */
export interface Permission {
  readonly actions: readonly string[];
  readonly notActions: readonly string[];
}

/** Whether an Azure action pattern (`*`, `Microsoft.Storage/*`, exact; case-insensitive) covers an action. */
function covers(pattern: string, action: string): boolean {
  const regex = new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`, 'i');
  return regex.test(action);
}

/** Whether a permission entry allows the action (allowed by its actions and not excluded by its notActions). */
export function allowedBy(permissions: readonly Permission[], action: string): boolean {
  return permissions.some(
    (p) => p.actions.some((a) => covers(a, action)) && !p.notActions.some((n) => covers(n, action)),
  );
}

const subscriptionUrl = (azure: AzureSection) => `${ARM}/subscriptions/${azure.subscriptionId}`;

async function subscription(fetch: JsonFetch, azure: AzureSection): Promise<Finding> {
  const check = `azure subscription ${azure.subscriptionId}`;
  const { status, body } = await getJson(fetch, `${subscriptionUrl(azure)}?api-version=2022-12-01`);
  if (status !== 200)
    return problem(
      check,
      `does not exist or the deployer cannot see it (HTTP ${status}${apiError(body)})`,
      `az login --tenant ${azure.tenantId}, and have the deployer given a role on the subscription (or fix azure.subscriptionId)`,
    );
  if (body.tenantId !== azure.tenantId)
    return problem(
      check,
      `belongs to tenant ${String(body.tenantId)}, the topology says ${azure.tenantId}`,
      'fix azure.tenantId: the replicator exchanges its token in the subscription’s tenant',
    );
  if (body.state !== 'Enabled')
    return problem(check, `is ${String(body.state)}`, 'enable it (billing) in the Azure portal');
  return ok(check, `enabled, in tenant ${azure.tenantId}`);
}

async function providerRegistered(fetch: JsonFetch, azure: AzureSection, namespace: string): Promise<Finding> {
  const check = `azure provider ${namespace}`;
  const url = `${subscriptionUrl(azure)}/providers/${namespace}?api-version=2021-04-01`;
  const { status, body } = await getJson(fetch, url);
  if (status === 200 && body.registrationState === 'Registered') return ok(check, 'registered');
  const state =
    status === 200 ? `is ${String(body.registrationState)}` : `cannot be read (HTTP ${status}${apiError(body)})`;
  return problem(check, state, `az provider register --namespace ${namespace} --subscription ${azure.subscriptionId}`);
}

async function deployerPermissions(fetch: JsonFetch, azure: AzureSection): Promise<Finding[]> {
  const check = `azure subscription ${azure.subscriptionId}: deployer's roles`;
  const url = `${subscriptionUrl(azure)}/providers/Microsoft.Authorization/permissions?api-version=2022-04-01`;
  const { status, body } = await getJson(fetch, url);
  if (status !== 200)
    return [problem(check, `cannot be read (HTTP ${status}${apiError(body)})`, 'check the subscription')];
  const permissions = ((body.value as Partial<Permission>[] | undefined) ?? []).map((p) => ({
    actions: p.actions ?? [],
    notActions: p.notActions ?? [],
  }));
  const missing = missingRoles(AZURE_NEEDED_ACTIONS, (action) => allowedBy(permissions, action));
  if (missing.size === 0)
    return [ok(check, `all ${AZURE_NEEDED_ACTIONS.length} actions the stack performs are allowed`)];
  return [...missing].map(([role, actions]) =>
    problem(
      check,
      `missing ${actions.join(', ')}`,
      `az role assignment create --assignee <the deployer> --role "${role}" --scope /subscriptions/${azure.subscriptionId}`,
    ),
  );
}

async function accountName(fetch: JsonFetch, azure: AzureSection, name: string): Promise<Finding> {
  const check = `azure storage account ${name}`;
  const { status, body } = await getJson(
    fetch,
    `${subscriptionUrl(azure)}/providers/Microsoft.Storage/checkNameAvailability?api-version=2023-05-01`,
    { method: 'POST', body: JSON.stringify({ name, type: 'Microsoft.Storage/storageAccounts' }) },
  );
  if (status !== 200)
    return problem(check, `cannot be checked (HTTP ${status}${apiError(body)})`, 'check the subscription');
  if (body.nameAvailable === true) return ok(check, 'the name is free');
  const ours = await getJson(
    fetch,
    `${subscriptionUrl(azure)}/resourceGroups/${azure.resourceGroup}/providers/Microsoft.Storage/storageAccounts/${name}?api-version=2023-05-01`,
  );
  if (ours.status === 200) return ok(check, `exists in ${azure.resourceGroup} (deployed before)`);
  return problem(
    check,
    `the name is taken (${String(body.reason)}${body.message ? `: ${String(body.message)}` : ''}); account names are global`,
    'choose another azure.storageAccountPrefix',
  );
}

export async function azurePreflight(azure: AzureSection, fetch: JsonFetch): Promise<Finding[]> {
  try {
    const found = await subscription(fetch, azure);
    if (!found.ok) return [found];
    const rest = await Promise.all([
      ...AZURE_PROVIDERS.map((namespace) => providerRegistered(fetch, azure, namespace).then((f) => [f])),
      deployerPermissions(fetch, azure),
      ...azureMirrors(azure).map((mirror) => accountName(fetch, azure, mirror.account).then((f) => [f])),
    ]);
    return [found, ...rest.flat()];
  } catch (err) {
    return [
      callFailed(
        `azure subscription ${azure.subscriptionId}`,
        err,
        `log in to Azure: az login --tenant ${azure.tenantId}`,
      ),
    ];
  }
}

/** fetch with the deployer's Azure credentials (az login, or the environment's; @azure/identity's default chain). */
export async function armFetch(): Promise<JsonFetch> {
  const { DefaultAzureCredential } = await import('@azure/identity');
  const credential = new DefaultAzureCredential();
  return async (url, init) => {
    const token = await credential.getToken(`${ARM}/.default`);
    return fetch(url, {
      method: init?.method ?? 'GET',
      body: init?.body,
      headers: { authorization: `Bearer ${token.token}`, 'content-type': 'application/json' },
    });
  };
}
