/**
 * The Azure stack, synthesized: each security property of the mirrors and of the replicator's identity is asserted
 * on the Terraform JSON, resource by resource.
 */
import { BLOB_WRITER_ROLE } from '../../../lib/clouds/azure/infra/replicator-identity';
import { resourcesOf, smallTopology, type TerraformJson } from '../gcp/support';
import { azureSection, synthesizeAzure } from './support';

type Config = Record<string, unknown>;

const topology = smallTopology();
const { json, stack } = synthesizeAzure(topology, azureSection());
const accounts = resourcesOf(stack, 'azurerm_storage_account');
const containers = resourcesOf(stack, 'azurerm_storage_container');

/** The Terraform reference to a resource's attribute, as cdktf writes it: `${azurerm_x.<logical id>.id}`. */
function referenceTo(stackJson: TerraformJson, type: string, config: Config, attribute: string): string {
  const [id] = Object.entries(stackJson.resource[type]!).find(([, c]) => c === config)!;
  return `\${${type}.${id}.${attribute}}`;
}

describe('the Azure mirrors stack', () => {
  it('puts everything in one resource group, a storage account and a container per mirror region', () => {
    expect(resourcesOf(stack, 'azurerm_resource_group')).toEqual([
      expect.objectContaining({ name: 'small-registry', location: 'westeurope' }),
    ]);
    expect(accounts.map((a) => [a.name, a.location])).toEqual([
      ['smallregeus2', 'eastus2'],
      ['smallregweu', 'westeurope'],
    ]);
    expect(containers).toHaveLength(2);
    for (const [i, container] of containers.entries()) {
      expect(container).toMatchObject({ name: 'images' });
      expect(container.storage_account_id).toBe(referenceTo(stack, 'azurerm_storage_account', accounts[i]!, 'id'));
    }
  });

  it.each([
    ['StorageV2', { account_kind: 'StorageV2' }],
    ['HTTPS only', { https_traffic_only_enabled: true }],
    ['TLS 1.2 at least', { min_tls_version: 'TLS1_2' }],
    ['no shared keys (so no account SAS)', { shared_access_key_enabled: false, default_to_oauth_authentication: true }],
    ['infrastructure encryption', { infrastructure_encryption_enabled: true }],
    [
      'no local users, no SFTP, no cross-tenant replication',
      { local_user_enabled: false, sftp_enabled: false, cross_tenant_replication_enabled: false },
    ],
    ['public blobs possible (granted by the container only)', { allow_nested_items_to_be_public: true }],
  ])('every account: %s', (_property, settings) => {
    for (const account of accounts) expect(account).toMatchObject(settings);
  });

  it('keeps deleted blobs and containers restorable for 30 days', () => {
    for (const account of accounts) {
      expect(account.blob_properties).toMatchObject({
        delete_retention_policy: { days: 30 },
        container_delete_retention_policy: { days: 30 },
      });
    }
  });

  it('lets anyone read a blob by its name, and no one list a container', () => {
    for (const container of containers) expect(container.container_access_type).toBe('blob');
  });

  it('trusts the replicator service account through a federated credential, and nothing else', () => {
    const [identity, ...others] = resourcesOf(stack, 'azurerm_user_assigned_identity');
    expect(others).toEqual([]);
    expect(identity).toMatchObject({ name: 'registry-replicator', location: 'westeurope' });
    expect(resourcesOf(stack, 'azurerm_federated_identity_credential')).toEqual([
      expect.objectContaining({
        issuer: 'https://accounts.google.com',
        subject: '111111111111111111111',
        audience: ['api://AzureADTokenExchange'],
        parent_id: referenceTo(stack, 'azurerm_user_assigned_identity', identity!, 'id'),
      }),
    ]);
  });

  it('trusts no one until the service account is known', () => {
    const dark = synthesizeAzure(
      topology,
      azureSection((raw) => delete raw.replicator),
    ).stack;
    expect(resourcesOf(dark, 'azurerm_user_assigned_identity')).toHaveLength(1);
    expect(resourcesOf(dark, 'azurerm_federated_identity_credential')).toEqual([]);
  });

  it('grants the identity Storage Blob Data Contributor on each container only', () => {
    const identity = resourcesOf(stack, 'azurerm_user_assigned_identity')[0]!;
    const assignments = resourcesOf(stack, 'azurerm_role_assignment');
    expect(assignments.map((a) => a.scope)).toEqual(
      containers.map((c) => referenceTo(stack, 'azurerm_storage_container', c, 'id')),
    );
    for (const assignment of assignments) {
      expect(assignment).toMatchObject({
        role_definition_name: BLOB_WRITER_ROLE,
        principal_id: referenceTo(stack, 'azurerm_user_assigned_identity', identity, 'principal_id'),
      });
    }
  });

  it('holds no key, connection string or SAS token anywhere', () => {
    const settings = json.replaceAll('"shared_access_key_enabled": false', '');
    expect(settings).not.toMatch(/access_key|connection_string|sas|secret|password/i);
    expect(Object.keys(stack.resource).sort()).toEqual([
      'azurerm_federated_identity_credential',
      'azurerm_resource_group',
      'azurerm_role_assignment',
      'azurerm_storage_account',
      'azurerm_storage_container',
      'azurerm_user_assigned_identity',
    ]);
  });

  it('manages containers through Resource Manager and Entra ID, its state where the GCP stacks keep theirs', () => {
    expect(stack.provider.azurerm).toEqual([
      expect.objectContaining({
        subscription_id: '00000000-0000-0000-0000-000000000001',
        tenant_id: '00000000-0000-0000-0000-000000000002',
        storage_use_azuread: true,
      }),
    ]);
    expect(stack.terraform.backend).toEqual({
      gcs: { bucket: 'small-serving-terraform-state', prefix: 'terraform/state/azure-mirrors' },
    });
    expect(Object.keys(stack.output ?? {}).sort()).toEqual(['replicator-client-id', 'replicator-principal-id']);
  });
});
