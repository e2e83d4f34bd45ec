/**
 * The Azure side of the registry, one stack: a resource group, a public blob mirror per region, and the identity
 * the replication job writes them with. Its Terraform state lives where the GCP stacks keep theirs
 * (topology.gcp.stateBackend): one place for the state of every Terraform stack.
 */
import { AzurermProvider } from '@cdktf/provider-azurerm/lib/provider';
import { ResourceGroup } from '@cdktf/provider-azurerm/lib/resource-group';
import { TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import type { Topology } from '../../../topology';
import { outputs } from '../../gcp/infra/stack';
import { addStateBackend, stateBackendFor } from '../../gcp/infra/state-backend';
import { azureMirrors } from '../section';
import type { AzureSection } from '../section';
import { AZURE_OUTPUT_IDS } from './names';
import { PublicBlobMirror } from './public-blob-mirror';
import { ReplicatorIdentity } from './replicator-identity';

export interface AzureMirrorsStackProps {
  /** The registry's name (tags) and where Terraform state is kept. */
  readonly topology: Topology;
  readonly azure: AzureSection;
}

export class AzureMirrorsStack extends TerraformStack {
  readonly mirrors: Readonly<Record<string, PublicBlobMirror>>;
  readonly replicator: ReplicatorIdentity;

  constructor(scope: Construct, id: string, { topology, azure }: AzureMirrorsStackProps) {
    super(scope, id);
    new AzurermProvider(this, 'azurerm', {
      features: [{}],
      subscriptionId: azure.subscriptionId,
      tenantId: azure.tenantId,
      // Data-plane calls with Entra ID, never with the account keys the accounts refuse.
      storageUseAzuread: true,
    });
    addStateBackend(this, stateBackendFor(topology, id));
    const tags = { registry: topology.name, managed_by: 'cdktf' };
    const group = new ResourceGroup(this, 'group', { name: azure.resourceGroup, location: azure.location, tags });
    this.mirrors = Object.fromEntries(
      azureMirrors(azure).map((mirror) => [
        mirror.region,
        new PublicBlobMirror(this, `mirror-${mirror.region}`, {
          accountName: mirror.account,
          containerName: mirror.container,
          location: mirror.region,
          resourceGroupName: group.name,
          tags,
        }),
      ]),
    );
    this.replicator = new ReplicatorIdentity(this, 'replicator', {
      identity: azure.replicator,
      location: azure.location,
      resourceGroupName: group.name,
      tags,
      containers: Object.fromEntries(Object.entries(this.mirrors).map(([region, m]) => [region, m.container.id])),
    });
    outputs(this, {
      [AZURE_OUTPUT_IDS.replicatorClientId]: [
        this.replicator.identity.clientId,
        "the replicator managed identity's client ID (the replication job's AZURE_CLIENT_ID)",
      ],
      [AZURE_OUTPUT_IDS.replicatorPrincipalId]: [
        this.replicator.identity.principalId,
        "the replicator managed identity's principal ID",
      ],
    });
  }
}
