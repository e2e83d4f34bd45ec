/**
 * The danger rules, one row per situation, each through the real engines: a base and a head resource go in as a
 * one-stack synth output, and the flags of the resulting changes come out.
 */
import { compareSynthOutputs, type SynthOutput } from '../../lib/diff/compare';
import { DANGER_RULES } from '../../lib/diff/danger';

type Resources = Record<string, Record<string, unknown>>;

const aws = (resources: Resources): SynthOutput => ({
  aws: { kind: 'cloudformation-assembly', stacks: { stack: { Resources: resources } as never } },
});
const terraform =
  (cloud: string) =>
  (resource: Record<string, Resources>, extra: Record<string, unknown> = {}): SynthOutput => ({
    [cloud]: { kind: 'terraform-json', stacks: { stack: { resource, ...extra } as never } },
  });
const gcp = terraform('gcp');
const azure = terraform('azure');

const bucket = (properties: Record<string, unknown> = {}, policies: Record<string, unknown> = {}) => ({
  Type: 'AWS::S3::Bucket',
  Properties: { BucketName: 'mirror', ...properties },
  ...policies,
});
const statement = (principal: unknown, action: string | string[], extra: Record<string, unknown> = {}) => ({
  Effect: 'Allow',
  Principal: principal,
  Action: action,
  Resource: 'arn:aws:s3:::mirror/*',
  ...extra,
});
const bucketPolicy = (...statements: unknown[]) => ({
  Type: 'AWS::S3::BucketPolicy',
  Properties: { Bucket: { Ref: 'Bucket' }, PolicyDocument: { Version: '2012-10-17', Statement: statements } },
});
const role = (actions: string[], resource: string = 'arn:aws:s3:::mirror/*', subject = '111') => ({
  Type: 'AWS::IAM::Role',
  Properties: {
    AssumeRolePolicyDocument: {
      Statement: [
        {
          Action: 'sts:AssumeRoleWithWebIdentity',
          Effect: 'Allow',
          Principal: { Federated: 'accounts.google.com' },
          Condition: { StringEquals: { 'accounts.google.com:sub': subject } },
        },
      ],
    },
    Policies: [
      {
        PolicyName: 'write',
        PolicyDocument: { Statement: [{ Effect: 'Allow', Action: actions, Resource: resource }] },
      },
    ],
  },
});
const sameBucketPolicy = bucketPolicy(statement({ Service: 'cloudfront.amazonaws.com' }, 's3:GetObject'));
const repository = (location = 'us-central1') => ({
  location,
  project: 'p',
  repository_id: 'images',
  format: 'DOCKER',
});
const member = (member: string, role = 'roles/artifactregistry.reader', repo = 'images') => ({
  location: 'us-central1',
  project: 'p',
  repository: repo,
  member,
  role,
});
const armorRule = (priority: number, action: string, extra: Record<string, unknown> = {}) => ({
  priority,
  action,
  match: { expr: { expression: `rule-${priority}` } },
  ...extra,
});
const throttle = (count: number) =>
  armorRule(10000, 'throttle', {
    rate_limit_options: { rate_limit_threshold: { count, interval_sec: 60 }, exceed_action: 'deny(429)' },
  });
const policy = (...rule: unknown[]) => ({
  google_compute_security_policy: { armor: { name: 'armor', project: 'p', rule } },
});
const service = (ingress?: string) => ({
  location: 'us-central1',
  name: 'redirector',
  project: 'p',
  ...(ingress ? { ingress } : {}),
});
const storageAccount = (extra: Record<string, unknown> = {}) => ({
  azurerm_storage_account: {
    weu: {
      name: 'k8sregistryweu',
      location: 'westeurope',
      resource_group_name: 'registry',
      account_tier: 'Standard',
      min_tls_version: 'TLS1_2',
      https_traffic_only_enabled: true,
      shared_access_key_enabled: false,
      allow_nested_items_to_be_public: true,
      ...extra,
    },
  },
});
const container = (access: string) => ({
  azurerm_storage_container: {
    images: { name: 'images', storage_account_id: '${azurerm_storage_account.weu.id}', container_access_type: access },
  },
});
const IDENTITY = {
  azurerm_user_assigned_identity: { id: { name: 'replicator', location: 'westeurope', resource_group_name: 'rg' } },
};
const federated = (subject: string, issuer = 'https://accounts.google.com') => ({
  azurerm_federated_identity_credential: {
    job: {
      name: 'replication-job',
      parent_id: '${azurerm_user_assigned_identity.id.id}',
      resource_group_name: 'rg',
      issuer,
      subject,
      audience: ['api://AzureADTokenExchange'],
    },
  },
});
const roleAssignment = (principal: string, role = 'Storage Blob Data Contributor') => ({
  azurerm_role_assignment: {
    writes: { scope: '/subscriptions/s/containers/images', role_definition_name: role, principal_id: principal },
  },
});

type Case = [string, SynthOutput, SynthOutput, string[]];
const cases: Case[] = [
  [
    'an ordinary change',
    aws({ Bucket: bucket({ Tags: [] }) }),
    aws({ Bucket: bucket({ Tags: [{ Key: 'a', Value: 'b' }] }) }),
    [],
  ],
  [
    'an S3 bucket deleted',
    aws({ Bucket: bucket() }),
    aws({}),
    ['stateful-removed: deletes the S3 bucket and its data'],
  ],
  [
    'a retained S3 bucket removed',
    aws({ Bucket: bucket({}, { DeletionPolicy: 'Retain' }) }),
    aws({}),
    ['stateful-removed: deletes the S3 bucket (retained: it stays, unmanaged)'],
  ],
  [
    'an S3 bucket renamed',
    aws({ Bucket: bucket() }),
    aws({ Bucket: bucket({ BucketName: 'other' }) }),
    ['stateful-replaced: replaces the S3 bucket and its data: changes BucketName'],
  ],
  [
    'an Artifact Registry repository moved',
    gcp({ google_artifact_registry_repository: { repo: repository() } }),
    gcp({ google_artifact_registry_repository: { repo: repository('europe-west1') } }),
    ['stateful-replaced: replaces the Artifact Registry repository and its data: changes location'],
  ],
  [
    'a BigQuery dataset deleted',
    gcp({ google_bigquery_dataset: { logs: { dataset_id: 'logs', project: 'p' } } }),
    gcp({}),
    ['stateful-removed: deletes the BigQuery dataset and its data'],
  ],
  [
    'the Terraform state bucket changed',
    gcp({}, { terraform: { backend: { gcs: { bucket: 'state-a' } } } }),
    gcp({}, { terraform: { backend: { gcs: { bucket: 'state-b' } } } }),
    ['state-backend-changed: the backend points elsewhere'],
  ],
  [
    'an action added to a role',
    aws({ Role: role(['s3:PutObject']) }),
    aws({ Role: role(['s3:PutObject', 's3:DeleteObject']) }),
    ['iam-widened: new action s3:DeleteObject for AWS:${Role}'],
  ],
  [
    'a role reaching more buckets with the same actions',
    aws({ Role: role(['s3:PutObject']) }),
    aws({ Role: role(['s3:PutObject'], 'arn:aws:s3:::*-mirror/*') }),
    [],
  ],
  [
    'a wildcard action and resource',
    aws({ Role: role(['s3:PutObject']) }),
    aws({ Role: role(['s3:*'], '*') }),
    ['iam-widened: wildcard action s3:* for AWS:${Role}', 'iam-widened: every resource (*) for AWS:${Role}'],
  ],
  [
    'a new principal in a bucket policy',
    aws({ Bucket: bucket(), Policy: sameBucketPolicy }),
    aws({
      Bucket: bucket(),
      Policy: bucketPolicy(
        statement({ Service: 'cloudfront.amazonaws.com' }, 's3:GetObject'),
        statement({ AWS: 'arn:aws:iam::999999999999:root' }, 's3:GetObject'),
      ),
    }),
    ['iam-widened: new principal AWS:arn:aws:iam::999999999999:root (s3:GetObject)'],
  ],
  [
    'a deny removed',
    aws({ Bucket: bucket(), Policy: bucketPolicy(statement({ AWS: '*' }, 's3:*', { Effect: 'Deny' })) }),
    aws({ Bucket: bucket(), Policy: bucketPolicy() }),
    ['iam-widened: deny removed: AWS:* was refused s3:*'],
  ],
  [
    'a bucket policy with two denies removed while its bucket stays',
    aws({
      Bucket: bucket(),
      Policy: bucketPolicy(
        statement({ AWS: '*' }, 's3:*', { Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        statement({ AWS: '*' }, 's3:*', { Effect: 'Deny', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
      ),
    }),
    aws({ Bucket: bucket() }),
    ['iam-widened: deny removed: AWS:* was refused s3:*'],
  ],
  [
    'a bucket policy removed with its bucket',
    aws({ Bucket: bucket(), Policy: bucketPolicy(statement({ AWS: '*' }, 's3:*', { Effect: 'Deny' })) }),
    aws({}),
    ['stateful-removed: deletes the S3 bucket and its data'],
  ],
  [
    'the trust policy changed',
    aws({ Role: role(['s3:PutObject']) }),
    aws({ Role: role(['s3:PutObject'], undefined, '222') }),
    ['trust-changed: AssumeRolePolicyDocument changed'],
  ],
  [
    'an existing bucket made public',
    aws({ Bucket: bucket(), Policy: sameBucketPolicy }),
    aws({
      Bucket: bucket(),
      Policy: bucketPolicy(
        statement({ Service: 'cloudfront.amazonaws.com' }, 's3:GetObject'),
        statement({ AWS: '*' }, 's3:GetObject'),
      ),
    }),
    ['public-access: AWS:* gets s3:GetObject on arn:aws:s3:::mirror/*'],
  ],
  [
    'a new bucket created public, as mirrors are',
    aws({}),
    aws({ Bucket: bucket(), Policy: bucketPolicy(statement({ AWS: '*' }, 's3:GetObject')) }),
    [],
  ],
  [
    'a public-access block loosened',
    aws({ Bucket: bucket({ PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true } }) }),
    aws({ Bucket: bucket({ PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: false } }) }),
    ['public-access: BlockPublicPolicy turned off'],
  ],
  [
    'allUsers granted on an existing repository',
    gcp({ google_artifact_registry_repository: { repo: repository() } }),
    gcp({
      google_artifact_registry_repository: { repo: repository() },
      google_artifact_registry_repository_iam_member: { public: member('allUsers') },
    }),
    [
      'public-access: allUsers gets roles/artifactregistry.reader on google_artifact_registry_repository:us-central1/p/images',
    ],
  ],
  [
    'a new repository created public',
    gcp({}),
    gcp({
      google_artifact_registry_repository: { repo: repository() },
      google_artifact_registry_repository_iam_member: {
        public: member('allUsers', undefined, '${google_artifact_registry_repository.repo.name}'),
      },
    }),
    [],
  ],
  [
    'a basic role for a known principal',
    gcp({ google_project_iam_member: { a: { project: 'p', member: 'user:a@example.com', role: 'roles/viewer' } } }),
    gcp({
      google_project_iam_member: {
        a: { project: 'p', member: 'user:a@example.com', role: 'roles/viewer' },
        b: { project: 'p', member: 'user:a@example.com', role: 'roles/editor' },
      },
    }),
    [
      'iam-widened: new action roles/editor for user:a@example.com',
      'iam-widened: basic role roles/editor for user:a@example.com',
    ],
  ],
  [
    'a Cloud Armor rule removed, relaxed and its limit raised',
    gcp(
      policy(
        armorRule(1000, 'deny(403)'),
        armorRule(1001, 'deny(403)'),
        throttle(5000),
        armorRule(2147483647, 'allow'),
      ),
    ),
    gcp(policy(armorRule(1001, 'allow'), throttle(10000), armorRule(2147483647, 'allow'))),
    [
      'firewall-relaxed: rule 1000 removed',
      'firewall-relaxed: rule 1001: deny(403) -> allow',
      'firewall-relaxed: rule 10000: rate limit raised',
    ],
  ],
  [
    'a WAF rule removed',
    aws({ Acl: { Type: 'AWS::WAFv2::WebACL', Properties: { Rules: [{ Name: 'a', Action: { Block: {} } }] } } }),
    aws({ Acl: { Type: 'AWS::WAFv2::WebACL', Properties: { Rules: [] } } }),
    ['firewall-relaxed: rule a removed'],
  ],
  [
    'Cloud Run ingress opened',
    gcp({ google_cloud_run_v2_service: { svc: service('INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER') } }),
    gcp({ google_cloud_run_v2_service: { svc: service('INGRESS_TRAFFIC_ALL') } }),
    ['ingress-opened: INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER -> INGRESS_TRAFFIC_ALL'],
  ],
  [
    'a new Cloud Run service open to all by default',
    gcp({}),
    gcp({ google_cloud_run_v2_service: { svc: service() } }),
    ['ingress-opened: (new service) -> INGRESS_TRAFFIC_ALL (default)'],
  ],
  ['an Azure storage account re-tagged', azure(storageAccount()), azure(storageAccount({ tags: { a: 'b' } })), []],
  [
    'an Azure storage account deleted',
    azure(storageAccount()),
    azure({}),
    ['stateful-removed: deletes the Azure storage account and its data'],
  ],
  [
    'an Azure blob container deleted',
    azure({ ...storageAccount(), ...container('blob') }),
    azure(storageAccount()),
    ['stateful-removed: deletes the Azure blob container and its data'],
  ],
  [
    'an Azure storage account moved to another region',
    azure(storageAccount()),
    azure(storageAccount({ location: 'northeurope' })),
    ['stateful-replaced: replaces the Azure storage account and its data: changes location'],
  ],
  [
    'an Azure container that anyone may list',
    azure({ ...storageAccount(), ...container('blob') }),
    azure({ ...storageAccount(), ...container('container') }),
    ['public-access: anyone may list the container (container_access_type blob -> container)'],
  ],
  [
    'a new Azure container that anyone may list',
    azure(storageAccount()),
    azure({ ...storageAccount(), ...container('container') }),
    ['public-access: anyone may list the container (container_access_type (new container) -> container)'],
  ],
  [
    'a new Azure container readable by blob name only',
    azure(storageAccount()),
    azure({ ...storageAccount(), ...container('blob') }),
    [],
  ],
  [
    'an Azure container already listable, its metadata changed (not flagged again)',
    azure({ ...storageAccount(), ...container('container') }),
    azure({
      ...storageAccount(),
      azurerm_storage_container: {
        images: { ...container('container').azurerm_storage_container.images, metadata: { a: 'b' } },
      },
    }),
    [],
  ],
  [
    'an Azure account whose containers may now be public',
    azure(storageAccount({ allow_nested_items_to_be_public: false })),
    azure(storageAccount()),
    ["public-access: the account's containers may now be made public"],
  ],
  [
    'an Azure account accepting TLS 1.0',
    azure(storageAccount()),
    azure(storageAccount({ min_tls_version: 'TLS1_0' })),
    ['storage-weakened: TLS below 1.2 accepted (min_tls_version TLS1_0)'],
  ],
  [
    'an Azure account accepting plain HTTP',
    azure(storageAccount()),
    azure(storageAccount({ https_traffic_only_enabled: false })),
    ['storage-weakened: plain HTTP accepted (HTTPS-only off)'],
  ],
  [
    'an Azure account accepting plain HTTP by the older attribute name',
    azure(storageAccount()),
    azure(storageAccount({ https_traffic_only_enabled: undefined, enable_https_traffic_only: false })),
    ['storage-weakened: plain HTTP accepted (HTTPS-only off)'],
  ],
  [
    'an Azure account already accepting TLS 1.0, re-tagged (not flagged again)',
    azure(storageAccount({ min_tls_version: 'TLS1_0' })),
    azure(storageAccount({ min_tls_version: 'TLS1_0', tags: { a: 'b' } })),
    [],
  ],
  [
    'an Azure account accepting shared keys (the attribute left to its default)',
    azure(storageAccount()),
    azure(storageAccount({ shared_access_key_enabled: undefined })),
    ['storage-weakened: shared keys (account keys, SAS tokens) accepted (shared_access_key_enabled true by default)'],
  ],
  [
    'a new Azure account with every weakness',
    azure({}),
    azure(
      storageAccount({ min_tls_version: 'TLS1_1', https_traffic_only_enabled: false, shared_access_key_enabled: true }),
    ),
    [
      'storage-weakened: TLS below 1.2 accepted (min_tls_version TLS1_1)',
      'storage-weakened: plain HTTP accepted (HTTPS-only off)',
      'storage-weakened: shared keys (account keys, SAS tokens) accepted (shared_access_key_enabled true)',
    ],
  ],
  [
    "the federated credential's subject changed",
    azure({ ...IDENTITY, ...federated('111') }),
    azure({ ...IDENTITY, ...federated('222') }),
    ['trust-changed: subject changed'],
  ],
  [
    "the federated credential's issuer changed",
    azure({ ...IDENTITY, ...federated('111') }),
    azure({ ...IDENTITY, ...federated('111', 'https://token.actions.githubusercontent.com') }),
    ['trust-changed: issuer changed'],
  ],
  [
    'a federated credential added to an existing identity',
    azure(IDENTITY),
    azure({ ...IDENTITY, ...federated('111') }),
    [
      'trust-changed: tokens of https://accounts.google.com with subject 111 may act as ${azurerm_user_assigned_identity.id.id}',
    ],
  ],
  ['a new identity with its federated credential', azure({}), azure({ ...IDENTITY, ...federated('111') }), []],
  [
    'an Azure role for a principal the base did not know',
    azure(roleAssignment('aaa')),
    azure(roleAssignment('bbb')),
    ['iam-widened: new principal bbb (Storage Blob Data Contributor)'],
  ],
  ...['Owner', 'Contributor'].map((role): Case => [
    `an Azure ${role} role for a known principal`,
    azure(roleAssignment('aaa')),
    azure({
      azurerm_role_assignment: {
        ...roleAssignment('aaa').azurerm_role_assignment,
        broad: { scope: '/subscriptions/s', role_definition_name: role, principal_id: 'aaa' },
      },
    }),
    [`iam-widened: new action ${role} for aaa`, `iam-widened: basic role ${role} for aaa`],
  ]),
  [
    'a security-group ingress rule added',
    aws({ Sg: { Type: 'AWS::EC2::SecurityGroup', Properties: { GroupDescription: 'x' } } }),
    aws({
      Sg: {
        Type: 'AWS::EC2::SecurityGroup',
        Properties: {
          GroupDescription: 'x',
          SecurityGroupIngress: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, CidrIp: '0.0.0.0/0' }],
        },
      },
    }),
    ['security-group-opened: ingress TCP 22 from Everyone (IPv4)'],
  ],
];

describe('danger rules', () => {
  it.each(cases)('%s', (_name, base, head, expected) => {
    const report = compareSynthOutputs(base, head, 'main');
    expect(report.changes.length).toBeGreaterThan(0);
    expect(report.changes.flatMap((change) => change.danger)).toEqual(expected);
  });

  it('every rule has a unique name and a description, and some row raises it', () => {
    const names = DANGER_RULES.map((rule) => rule.name);
    expect(new Set(names).size).toBe(names.length);
    const raised = new Set(cases.flatMap(([, , , expected]) => expected.map((flag) => flag.split(':')[0])));
    for (const rule of DANGER_RULES) {
      expect(rule.description.length).toBeGreaterThan(10);
      expect(raised).toContain(rule.name);
    }
  });
});
