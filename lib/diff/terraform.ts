/**
 * A CDK for Terraform app's side (GCP's, Azure's): a resource-level diff of two Terraform JSON configurations.
 * Terraform has no offline plan, so this says what `terraform plan` would: an address only in the head is created,
 * only in the base destroyed, and a changed attribute that the provider marks ForceNew destroys and re-creates the
 * resource.
 */
import { isDeepStrictEqual } from 'node:util';
import type { TerraformConfig } from '../synth/read-output';
import type { Cloud, Grant, ResourceDelta } from './model';
import { valueChanges } from './values';

type Body = Record<string, unknown>;

/**
 * Attributes whose change replaces the resource (ForceNew in the google and azurerm providers), for the types the
 * stacks use and their usual neighbours. Identity attributes (project or resource group, location, name) are
 * ForceNew on nearly every type.
 */
export const FORCE_NEW: ReadonlyArray<{ readonly types: RegExp; readonly attributes: readonly string[] | 'all' }> = [
  { types: /^google_/, attributes: ['project', 'location', 'region', 'zone', 'name'] },
  { types: /^azurerm_/, attributes: ['resource_group_name', 'location', 'name'] },
  // A role assignment is the grant itself, like an IAM member.
  { types: /^azurerm_role_assignment$/, attributes: 'all' },
  {
    types: /^azurerm_storage_account$/,
    attributes: ['account_tier', 'is_hns_enabled', 'infrastructure_encryption_enabled', 'edge_zone'],
  },
  { types: /^azurerm_storage_container$/, attributes: ['storage_account_id', 'storage_account_name'] },
  { types: /^azurerm_federated_identity_credential$/, attributes: ['parent_id'] },
  // An IAM member is the grant itself: any change is a new grant.
  { types: /_iam_member$/, attributes: 'all' },
  { types: /^google_artifact_registry_repository$/, attributes: ['repository_id', 'format', 'mode'] },
  { types: /^google_bigquery_dataset$/, attributes: ['dataset_id'] },
  { types: /^google_bigquery_table$/, attributes: ['dataset_id', 'table_id'] },
  { types: /^google_storage_bucket_object$/, attributes: ['bucket'] },
  { types: /^google_service_account$/, attributes: ['account_id'] },
  {
    types: /^google_iam_workload_identity_pool(_provider)?$/,
    attributes: ['workload_identity_pool_id', 'workload_identity_pool_provider_id'],
  },
];

/** The top-level attributes among `changed` that replace a resource of `type`. */
export function forcedReplacement(type: string, changed: readonly string[]): string[] {
  const rules = FORCE_NEW.filter((rule) => rule.types.test(type));
  return changed.filter((attribute) =>
    rules.some((rule) => rule.attributes === 'all' || rule.attributes.includes(attribute)),
  );
}

const GRANT_KEYS = new Set(['member', 'members', 'role', 'condition', 'policy_data']);

/** What an IAM resource grants on: its identifying attributes (project, location, repository, ...). */
function grantTarget(type: string, body: Body): string {
  const target = Object.entries(body)
    .filter(([key]) => !GRANT_KEYS.has(key))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([, value]) => String(value));
  return `${type.replace(/_iam_(member|binding|policy)$/, '')}:${target.join('/')}`;
}

function policyBindings(policyData: unknown): { role: string; members: string[] }[] {
  if (typeof policyData !== 'string') return [];
  try {
    const parsed = JSON.parse(policyData) as { bindings?: { role: string; members: string[] }[] };
    return parsed.bindings ?? [];
  } catch {
    return []; // an interpolated policy is only known at apply time
  }
}

/**
 * The grants a resource makes: a Google IAM member, binding or policy, or an Azure role assignment (principal ID,
 * role, scope); none for other types.
 */
export function terraformGrants(type: string, body: Body | undefined): Grant[] {
  if (!body) return [];
  if (type === 'azurerm_role_assignment')
    return [
      {
        principal: String(body.principal_id),
        effect: 'allow',
        actions: [String(body.role_definition_name ?? body.role_definition_id)],
        resources: [String(body.scope)],
        conditional: body.condition !== undefined,
      },
    ];
  const grant = (principal: string, role: string): Grant => ({
    principal,
    effect: 'allow',
    actions: [role],
    resources: [grantTarget(type, body)],
    conditional: body.condition !== undefined,
  });
  if (/_iam_member$/.test(type)) return [grant(String(body.member), String(body.role))];
  if (/_iam_binding$/.test(type)) return ((body.members as string[]) ?? []).map((m) => grant(m, String(body.role)));
  if (/_iam_policy$/.test(type))
    return policyBindings(body.policy_data).flatMap((b) => b.members.map((m) => grant(m, b.role)));
  return [];
}

const without = (grants: readonly Grant[], others: readonly Grant[]) =>
  grants.filter((g) => !others.some((o) => isDeepStrictEqual(g, o)));

/** CDKTF's construct metadata (`//`) is not configuration. */
function configurationOf(body: unknown): Body {
  const { ['//']: _metadata, ...rest } = body as Body;
  return rest;
}

/** Address -> {type, body} for every resource, data source, backend and provider of a configuration. */
function addressable(config: TerraformConfig | undefined): Map<string, { type: string; body: Body }> {
  const entries = new Map<string, { type: string; body: Body }>();
  if (!config) return entries;
  const blocks = (kind: 'resource' | 'data', prefix: string) => {
    const byType = (config[kind] ?? {}) as Record<string, Record<string, unknown>>;
    for (const [type, named] of Object.entries(byType))
      for (const [name, body] of Object.entries(named))
        entries.set(`${prefix}${type}.${name}`, { type, body: configurationOf(body) });
  };
  blocks('resource', '');
  blocks('data', 'data.');
  const terraform = (config.terraform ?? {}) as Body;
  // The backend holds the state: pointing it elsewhere makes Terraform forget (or re-create) every resource.
  if (terraform.backend !== undefined)
    entries.set('terraform.backend', { type: 'terraform_backend', body: terraform.backend as Body });
  for (const [name, body] of Object.entries((config.provider ?? {}) as Body))
    entries.set(`provider.${name}`, { type: 'provider', body: { configurations: body } });
  return entries;
}

function terraformDelta(
  cloud: Cloud,
  stack: string,
  address: string,
  type: string,
  before: Body | undefined,
  after: Body | undefined,
): ResourceDelta {
  const values = before && after ? valueChanges(before, after) : [];
  const changedAttributes = [...new Set(values.map((value) => value.path.split(/[.[]/, 1)[0]!))];
  const replacedBecause = before && after ? forcedReplacement(type, changedAttributes) : [];
  const beforeGrants = terraformGrants(type, before);
  const afterGrants = terraformGrants(type, after);
  return {
    cloud,
    stack,
    resource: address,
    type,
    action: !before ? 'add' : !after ? 'remove' : replacedBecause.length > 0 ? 'replace' : 'modify',
    ...(before ? { before } : {}),
    ...(after ? { after } : {}),
    values,
    ...(replacedBecause.length > 0 ? { replacedBecause } : {}),
    grants: {
      added: without(afterGrants, beforeGrants),
      removed: without(beforeGrants, afterGrants),
      before: beforeGrants,
    },
  };
}

/** Every resource of one stack that differs; a missing side is an empty configuration. */
export function terraformDeltas(
  cloud: Cloud,
  stack: string,
  base: TerraformConfig | undefined,
  head: TerraformConfig | undefined,
): ResourceDelta[] {
  const before = addressable(base);
  const after = addressable(head);
  const addresses = [...new Set([...before.keys(), ...after.keys()])].sort();
  return addresses
    .filter((address) => !isDeepStrictEqual(before.get(address), after.get(address)))
    .map((address) => {
      const type = (after.get(address) ?? before.get(address))!.type;
      return terraformDelta(cloud, stack, address, type, before.get(address)?.body, after.get(address)?.body);
    });
}

/** Every grant a configuration makes, e.g. to know the base's principals. */
export function terraformConfigGrants(config: TerraformConfig): Grant[] {
  return Object.entries(config.resource ?? {}).flatMap(([type, named]) =>
    Object.values(named).flatMap((body) => terraformGrants(type, configurationOf(body))),
  );
}
