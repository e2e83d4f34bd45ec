/**
 * The danger rules, one named entry each: what a reviewer must not miss in a change. Each rule looks at one
 * resource delta (and, for "new principal", at what the base already granted) and says why it is dangerous, in
 * as many details as it finds. A flag reads `<rule>: <detail>`.
 */
import type { Cloud, Grant, ResourceDelta, ValueChange } from './model';

export interface DangerContext {
  /** `<cloud>/<stack>/<resource>` of every resource the change adds. */
  readonly added: ReadonlySet<string>;
  /** `<cloud>/<stack>/<resource>` of every resource the change removes. */
  readonly removed: ReadonlySet<string>;
  /** Every principal the base grants anything to, in one cloud. */
  readonly basePrincipals: (cloud: Cloud) => ReadonlySet<string>;
}

export interface DangerRule {
  readonly name: string;
  /** What the rule guards against, for the docs and --help. */
  readonly description: string;
  readonly check: (delta: ResourceDelta, context: DangerContext) => readonly string[];
}

/** Resource types that hold data nobody can re-create: deleting or replacing one loses it. */
export const STATEFUL_TYPES: Readonly<Record<string, string>> = {
  'AWS::S3::Bucket': 'S3 bucket',
  'AWS::DynamoDB::Table': 'DynamoDB table',
  'AWS::RDS::DBInstance': 'RDS instance',
  'AWS::RDS::DBCluster': 'RDS cluster',
  'AWS::EFS::FileSystem': 'EFS file system',
  'AWS::KMS::Key': 'KMS key',
  google_storage_bucket: 'Cloud Storage bucket',
  google_artifact_registry_repository: 'Artifact Registry repository',
  google_bigquery_dataset: 'BigQuery dataset',
  google_bigquery_table: 'BigQuery table',
  google_sql_database_instance: 'Cloud SQL instance',
  google_kms_crypto_key: 'KMS key',
  azurerm_resource_group: 'Azure resource group (every resource in it)',
  azurerm_storage_account: 'Azure storage account',
  azurerm_storage_container: 'Azure blob container',
};

const PUBLIC_PRINCIPALS = new Set(['*', 'AWS:*', 'allUsers', 'allAuthenticatedUsers']);
/** Roles that can do nearly anything: Google's basic roles, Azure's broad built-in roles. */
const BASIC_ROLES = new Set(['roles/owner', 'roles/editor', 'Owner', 'Contributor', 'User Access Administrator']);

const isPublic = (grant: Grant) => PUBLIC_PRINCIPALS.has(grant.principal) && !grant.conditional;
const key = (cloud: Cloud, stack: string, resource: string) => `${cloud}/${stack}/${resource}`;
const describe = (grant: Grant) =>
  `${grant.principal} gets ${grant.actions.join(', ')} on ${grant.resources.join(', ')}`;

/** Logical IDs (CloudFormation Ref/GetAtt) and addresses (Terraform `${type.name.attr}`) a body refers to. */
export function references(body: unknown): string[] {
  const found = new Set<string>();
  const walk = (value: unknown): void => {
    if (typeof value === 'string') {
      for (const match of value.matchAll(/\$\{([a-z][a-z0-9_]*\.[\w-]+)\./g)) found.add(match[1]!);
    } else if (Array.isArray(value)) {
      value.forEach(walk);
    } else if (typeof value === 'object' && value !== null) {
      const object = value as Record<string, unknown>;
      if (typeof object.Ref === 'string') found.add(object.Ref);
      const getAtt = object['Fn::GetAtt'];
      if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') found.add(getAtt[0]);
      Object.values(object).forEach(walk);
    }
  };
  walk(body);
  return [...found];
}

/** A resource created together with what it grants on: opening a new resource as designed is not a change of access. */
function grantsOnNewResource(delta: ResourceDelta, context: DangerContext): boolean {
  return (
    delta.action === 'add' &&
    references(delta.after).some((ref) => context.added.has(key(delta.cloud, delta.stack, ref)))
  );
}

/** A policy removed together with what it guards: its denies go with the resource, nothing is opened. */
function guardsRemovedResource(delta: ResourceDelta, context: DangerContext): boolean {
  return (
    delta.action === 'remove' &&
    references(delta.before).some((ref) => context.removed.has(key(delta.cloud, delta.stack, ref)))
  );
}

const changedUnder = (delta: ResourceDelta, prefix: string): ValueChange[] =>
  delta.values.filter(
    (value) => value.path === prefix || value.path.startsWith(`${prefix}.`) || value.path.startsWith(`${prefix}[`),
  );

const existedBefore = (delta: ResourceDelta) => delta.action === 'modify' || delta.action === 'replace';

/** What deleting or replacing a stateful resource loses, or undefined for a resource without data. */
function statefulLoss(delta: ResourceDelta): string | undefined {
  const label = STATEFUL_TYPES[delta.type];
  if (!label) return undefined;
  // CloudFormation keeps a retained resource but stops managing it: the data stays, orphaned.
  const policy = delta.action === 'remove' ? 'DeletionPolicy' : 'UpdateReplacePolicy';
  return delta.before?.[policy] === 'Retain' ? `${label} (retained: it stays, unmanaged)` : `${label} and its data`;
}

const PUBLIC_ACCESS_BLOCK = ['BlockPublicAcls', 'BlockPublicPolicy', 'IgnorePublicAcls', 'RestrictPublicBuckets'];

function publicAccessSettings(delta: ResourceDelta): string[] {
  if (!existedBefore(delta)) return [];
  const property = (body: Record<string, unknown> | undefined, ...path: string[]): unknown =>
    path.reduce<unknown>((value, step) => (value as Record<string, unknown> | undefined)?.[step], body);
  const details: string[] = [];
  if (delta.type === 'AWS::S3::Bucket') {
    for (const flag of PUBLIC_ACCESS_BLOCK) {
      const path = ['Properties', 'PublicAccessBlockConfiguration', flag];
      if (property(delta.before, ...path) === true && property(delta.after, ...path) !== true)
        details.push(`${flag} turned off`);
    }
    const acl = property(delta.after, 'Properties', 'AccessControl');
    if (
      typeof acl === 'string' &&
      /^Public|AuthenticatedRead/.test(acl) &&
      acl !== property(delta.before, 'Properties', 'AccessControl')
    )
      details.push(`canned ACL ${acl}`);
  }
  if (delta.type === 'google_storage_bucket') {
    if (delta.before?.public_access_prevention === 'enforced' && delta.after?.public_access_prevention !== 'enforced')
      details.push('public access prevention no longer enforced');
  }
  if (delta.type === 'azurerm_storage_account') {
    if (
      delta.before?.allow_nested_items_to_be_public === false &&
      delta.after?.allow_nested_items_to_be_public !== false
    )
      details.push("the account's containers may now be made public");
  }
  return details;
}

/**
 * Anonymous access to a blob container wider than reading a blob by its name (`blob`): `container` lets anyone list
 * it. Flagged on a new container too: a mirror's container is never meant to be listed.
 */
function containerListing(delta: ResourceDelta): string[] {
  if (delta.type !== 'azurerm_storage_container' || !delta.after) return [];
  const [before, after] = [delta.before?.container_access_type, delta.after.container_access_type];
  if (after !== 'container' || before === 'container') return [];
  return [`anyone may list the container (container_access_type ${String(before ?? '(new container)')} -> container)`];
}

/**
 * A storage account's hardening, each check saying what is weak in a body (an attribute left out takes the azurerm
 * provider's default: TLS 1.2, HTTPS only, shared keys on).
 */
const STORAGE_ACCOUNT_HARDENING: readonly { readonly weak: (body: Record<string, unknown>) => string | undefined }[] = [
  {
    weak: (body) =>
      body.min_tls_version === 'TLS1_0' || body.min_tls_version === 'TLS1_1'
        ? `TLS below 1.2 accepted (min_tls_version ${String(body.min_tls_version)})`
        : undefined,
  },
  {
    weak: (body) =>
      body.https_traffic_only_enabled === false || body.enable_https_traffic_only === false
        ? 'plain HTTP accepted (HTTPS-only off)'
        : undefined,
  },
  {
    weak: (body) =>
      body.shared_access_key_enabled !== false
        ? `shared keys (account keys, SAS tokens) accepted (shared_access_key_enabled ${String(body.shared_access_key_enabled ?? 'true by default')})`
        : undefined,
  },
];

/** What a new or changed storage account weakens: a check that now fails and did not before (or is new). */
function storageWeakened(delta: ResourceDelta): string[] {
  if (delta.type !== 'azurerm_storage_account' || !delta.after) return [];
  const { before, after } = delta;
  return STORAGE_ACCOUNT_HARDENING.flatMap(({ weak }) => {
    const now = weak(after);
    return now !== undefined && (before === undefined || weak(before) === undefined) ? [now] : [];
  });
}

type ArmorRule = Record<string, unknown> & { priority?: number; action?: string; preview?: boolean };

/** Cloud Armor actions from strictest to most lenient. */
const armorLeniency = (action: string | undefined) =>
  action === undefined
    ? 3
    : action.startsWith('deny')
      ? 0
      : action === 'rate_based_ban'
        ? 1
        : action === 'throttle'
          ? 2
          : 3;

function rateOf(rule: ArmorRule | undefined): number | undefined {
  const threshold = (rule?.rate_limit_options as { rate_limit_threshold?: { count: number; interval_sec: number } })
    ?.rate_limit_threshold;
  return threshold ? threshold.count / threshold.interval_sec : undefined;
}

function armorRuleChanges(before: readonly ArmorRule[], after: readonly ArmorRule[]): string[] {
  const details: string[] = [];
  const name = (rule: ArmorRule) => `rule ${rule.priority}${rule.description ? ` (${String(rule.description)})` : ''}`;
  for (const old of before) {
    const now = after.find((rule) => rule.priority === old.priority);
    if (!now) {
      if (armorLeniency(old.action) < 3) details.push(`${name(old)} removed`);
      continue;
    }
    if (armorLeniency(now.action) > armorLeniency(old.action))
      details.push(`${name(old)}: ${old.action} -> ${now.action}`);
    if (!old.preview && now.preview) details.push(`${name(old)} now only previews`);
    const [oldRate, newRate] = [rateOf(old), rateOf(now)];
    if (oldRate !== undefined && (newRate === undefined || newRate > oldRate))
      details.push(`${name(old)}: rate limit raised`);
    if (armorLeniency(old.action) < 3 && JSON.stringify(old.match) !== JSON.stringify(now.match))
      details.push(`${name(old)}: match changed`);
  }
  return details;
}

type WafRule = { Name?: string; Action?: Record<string, unknown>; OverrideAction?: Record<string, unknown> };

function wafRuleChanges(before: readonly WafRule[], after: readonly WafRule[]): string[] {
  const details: string[] = [];
  for (const old of before) {
    const now = after.find((rule) => rule.Name === old.Name);
    if (!now) details.push(`rule ${old.Name} removed`);
    else if (old.Action?.Block && !now.Action?.Block) details.push(`rule ${old.Name} no longer blocks`);
    else if (old.OverrideAction?.None && now.OverrideAction?.Count) details.push(`rule group ${old.Name} only counts`);
  }
  return details;
}

function firewallRelaxations(delta: ResourceDelta): string[] {
  if (delta.type === 'google_compute_security_policy' || delta.type === 'AWS::WAFv2::WebACL') {
    if (delta.action === 'remove') return ['the whole policy is removed'];
    if (!existedBefore(delta)) return [];
  }
  if (delta.type === 'google_compute_security_policy') {
    const rules = (body: Record<string, unknown> | undefined) => (body?.rule as ArmorRule[] | undefined) ?? [];
    return armorRuleChanges(rules(delta.before), rules(delta.after));
  }
  if (delta.type === 'AWS::WAFv2::WebACL') {
    const properties = (body: Record<string, unknown> | undefined) =>
      (body?.Properties as { Rules?: WafRule[]; DefaultAction?: Record<string, unknown> } | undefined) ?? {};
    const [old, now] = [properties(delta.before), properties(delta.after)];
    const details = wafRuleChanges(old.Rules ?? [], now.Rules ?? []);
    if (old.DefaultAction?.Block && !now.DefaultAction?.Block) details.push('default action no longer blocks');
    return details;
  }
  if (delta.type === 'google_compute_backend_service' && existedBefore(delta)) {
    const [old, now] = [delta.before?.security_policy, delta.after?.security_policy];
    if (old !== undefined && old !== now)
      return [`security policy ${String(old)} -> ${now === undefined ? '(none)' : String(now)}`];
  }
  return [];
}

/** Cloud Run ingress settings from the most closed to the most open (unset means all traffic). */
const INGRESS_OPENNESS: Readonly<Record<string, number>> = {
  INGRESS_TRAFFIC_INTERNAL_ONLY: 0,
  INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER: 1,
  INGRESS_TRAFFIC_ALL: 2,
};

function ingressOpened(delta: ResourceDelta): string[] {
  if (delta.type !== 'google_cloud_run_v2_service' || !delta.after) return [];
  const openness = (ingress: unknown) => INGRESS_OPENNESS[String(ingress ?? 'INGRESS_TRAFFIC_ALL')] ?? 2;
  const now = openness(delta.after.ingress);
  // A new service is measured against the load-balancer-only ingress every redirector region uses.
  const before = delta.before
    ? openness(delta.before.ingress)
    : INGRESS_OPENNESS.INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER!;
  if (now <= before) return [];
  return [
    `${String(delta.before?.ingress ?? '(new service)')} -> ${String(delta.after.ingress ?? 'INGRESS_TRAFFIC_ALL (default)')}`,
  ];
}

/** Trust: who may become an identity. */
const TRUST_PATHS: Readonly<Record<string, readonly string[]>> = {
  'AWS::IAM::Role': ['AssumeRolePolicyDocument'],
  'AWS::IAM::OIDCProvider': ['Url', 'ClientIdList', 'ThumbprintList'],
  google_iam_workload_identity_pool_provider: ['attribute_condition', 'attribute_mapping', 'oidc', 'aws', 'saml'],
  azurerm_federated_identity_credential: ['issuer', 'subject', 'audience'],
};

/** A federated credential added to an identity that exists: another issuer's tokens may now act as it. */
function federatedCredentialAdded(delta: ResourceDelta, context: DangerContext): string[] {
  if (delta.type !== 'azurerm_federated_identity_credential' || delta.action !== 'add') return [];
  if (grantsOnNewResource(delta, context)) return [];
  const { issuer, subject } = delta.after!;
  return [`tokens of ${String(issuer)} with subject ${String(subject)} may act as ${String(delta.after!.parent_id)}`];
}

function trustChanges(delta: ResourceDelta, context: DangerContext): string[] {
  if (/^google_service_account_iam_(member|binding|policy)$/.test(delta.type) && !grantsOnNewResource(delta, context))
    return delta.grants.added.map(
      (grant) => `${grant.principal} may act as the service account (${grant.actions.join(', ')})`,
    );
  if (!existedBefore(delta)) return federatedCredentialAdded(delta, context);
  return (TRUST_PATHS[delta.type] ?? []).flatMap((path) =>
    changedUnder(delta, path).length > 0 ? [`${path} changed`] : [],
  );
}

/** Actions a grant gives its principal that no grant of the resource gave it before (more resources is not more actions). */
function actionsNewTo(grant: Grant, before: readonly Grant[]): string[] {
  const had = new Set(
    before.filter((g) => g.effect === 'allow' && g.principal === grant.principal).flatMap((g) => g.actions),
  );
  return grant.actions.filter((action) => !had.has(action) && !action.includes('*'));
}

function iamWidening(delta: ResourceDelta, context: DangerContext): string[] {
  const details: string[] = [];
  const denies = guardsRemovedResource(delta, context) ? [] : delta.grants.removed;
  for (const grant of denies)
    if (grant.effect === 'deny')
      details.push(`deny removed: ${grant.principal} was refused ${grant.actions.join(', ')}`);
  for (const grant of delta.grants.added) {
    if (grant.effect !== 'allow' || isPublic(grant)) continue;
    if (!context.basePrincipals(delta.cloud).has(grant.principal)) {
      details.push(`new principal ${grant.principal} (${grant.actions.join(', ')})`);
      continue;
    }
    const newActions = grantsOnNewResource(delta, context) ? [] : actionsNewTo(grant, delta.grants.before);
    if (newActions.length > 0) details.push(`new action ${newActions.join(', ')} for ${grant.principal}`);
    const wildcards = grant.actions.filter((action) => action.includes('*'));
    if (wildcards.length > 0) details.push(`wildcard action ${wildcards.join(', ')} for ${grant.principal}`);
    if (grant.resources.includes('*')) details.push(`every resource (*) for ${grant.principal}`);
    const basic = grant.actions.filter((role) => BASIC_ROLES.has(role));
    if (basic.length > 0) details.push(`basic role ${basic.join(', ')} for ${grant.principal}`);
  }
  return details;
}

function publicAccess(delta: ResourceDelta, context: DangerContext): string[] {
  const grants = grantsOnNewResource(delta, context)
    ? []
    : delta.grants.added.filter((grant) => grant.effect === 'allow' && isPublic(grant)).map(describe);
  return [...grants, ...publicAccessSettings(delta), ...containerListing(delta)];
}

export const DANGER_RULES: readonly DangerRule[] = [
  {
    name: 'stateful-removed',
    description: 'deletes a bucket, repository, dataset or other resource holding data',
    check: (delta) => {
      const loss = delta.action === 'remove' ? statefulLoss(delta) : undefined;
      return loss ? [`deletes the ${loss}`] : [];
    },
  },
  {
    name: 'stateful-replaced',
    description: 'replaces a resource holding data: the new one starts empty',
    check: (delta) => {
      const loss = delta.action === 'replace' ? statefulLoss(delta) : undefined;
      return loss ? [`replaces the ${loss}: changes ${(delta.replacedBecause ?? ['its type']).join(', ')}`] : [];
    },
  },
  {
    name: 'state-backend-changed',
    description: 'moves or drops the Terraform state (its bucket): Terraform would forget what it manages',
    check: (delta) =>
      delta.type === 'terraform_backend' && delta.action !== 'add'
        ? [delta.action === 'remove' ? 'the backend is removed' : 'the backend points elsewhere']
        : [],
  },
  {
    name: 'iam-widened',
    description: 'a new principal, an action a principal did not have, a wildcard, a basic role, or a removed deny',
    check: iamWidening,
  },
  {
    name: 'trust-changed',
    description: 'changes who may assume a role, act as a service account or as a managed identity',
    check: trustChanges,
  },
  {
    name: 'public-access',
    description:
      'grants to everyone (*, allUsers, allAuthenticatedUsers), loosens a public-access block, or lets anyone list a blob container',
    check: publicAccess,
  },
  {
    name: 'storage-weakened',
    description: 'a storage account accepts TLS below 1.2, plain HTTP, or shared keys (account keys, SAS tokens)',
    check: storageWeakened,
  },
  {
    name: 'firewall-relaxed',
    description: 'removes or relaxes a Cloud Armor or WAF rule, or detaches the policy',
    check: firewallRelaxations,
  },
  {
    name: 'ingress-opened',
    description: 'lets more traffic reach a Cloud Run service directly',
    check: ingressOpened,
  },
  {
    name: 'security-group-opened',
    description: 'adds a security-group ingress rule',
    check: (delta) => (delta.ingressAdded ?? []).map((rule) => `ingress ${rule}`),
  },
];

/** Every flag the rules raise for one delta, as `<rule>: <detail>`. */
export function dangerOf(delta: ResourceDelta, context: DangerContext): string[] {
  const flags = DANGER_RULES.flatMap((rule) => rule.check(delta, context).map((detail) => `${rule.name}: ${detail}`));
  return [...new Set(flags)]; // two statements can say the same thing (e.g. two denies for one principal)
}
