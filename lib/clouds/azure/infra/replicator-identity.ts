/**
 * ReplicatorIdentity: the only identity that may write the mirrors, for the replication job on Google Cloud. A
 * user-assigned managed identity without secrets: its federated credential lets Microsoft Entra ID exchange a token
 * of one issuer, subject and audience (the job's Google service account) for the identity's own. It holds "Storage
 * Blob Data Contributor" on each mirror's container, nothing on the accounts or above. Until the subject is known (a
 * GCP deploy produces it: the service account's unique ID) there is no federated credential, and no one can use it.
 */
import { FederatedIdentityCredential } from '@cdktf/provider-azurerm/lib/federated-identity-credential';
import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import { UserAssignedIdentity } from '@cdktf/provider-azurerm/lib/user-assigned-identity';
import { Construct } from 'constructs';
import type { AzureSection } from '../section';

/** The built-in role that reads, writes and deletes blobs, and nothing of the account's configuration. */
export const BLOB_WRITER_ROLE = 'Storage Blob Data Contributor';

export interface ReplicatorIdentityProps {
  readonly identity: AzureSection['replicator'];
  readonly location: string;
  readonly resourceGroupName: string;
  readonly tags: Record<string, string>;
  /** Resource Manager IDs of the containers it writes, by a stable key (the region). */
  readonly containers: Readonly<Record<string, string>>;
}

export class ReplicatorIdentity extends Construct {
  readonly identity: UserAssignedIdentity;
  readonly federatedCredential?: FederatedIdentityCredential;

  constructor(scope: Construct, id: string, props: ReplicatorIdentityProps) {
    super(scope, id);
    const { identity: trust, resourceGroupName } = props;
    this.identity = new UserAssignedIdentity(this, 'identity', {
      name: trust.identityName,
      location: props.location,
      resourceGroupName,
      tags: props.tags,
    });
    if (trust.subject !== undefined) {
      this.federatedCredential = new FederatedIdentityCredential(this, 'federated', {
        name: 'replication-job',
        parentId: this.identity.id,
        resourceGroupName,
        issuer: trust.oidcIssuer,
        subject: trust.subject,
        audience: [trust.audience],
      });
    }
    for (const [key, scope] of Object.entries(props.containers)) {
      new RoleAssignment(this, `writes-${key}`, {
        scope,
        roleDefinitionName: BLOB_WRITER_ROLE,
        principalId: this.identity.principalId,
        principalType: 'ServicePrincipal',
        // A new identity takes a while to reach every Entra ID replica; the assignment need not wait for it.
        skipServicePrincipalAadCheck: true,
      });
    }
  }
}
