/**
 * PublicBlobMirror: one region's storage account and its container, serving blobs to anyone over HTTPS and nothing
 * else. Anonymous reads are allowed on the account only so that the one container can grant them, at `blob` level:
 * a blob is readable by its name, the container cannot be listed. Requests must be HTTPS with TLS 1.2 at least;
 * shared keys (and so account SAS tokens) are refused, so every write is an Entra ID identity with a role; data is
 * encrypted twice at rest (service and infrastructure). Deleted blobs and containers stay restorable for a while.
 */
import { StorageAccount } from '@cdktf/provider-azurerm/lib/storage-account';
import { StorageContainer } from '@cdktf/provider-azurerm/lib/storage-container';
import { Construct } from 'constructs';

export interface PublicBlobMirrorProps {
  readonly accountName: string;
  readonly containerName: string;
  readonly location: string;
  readonly resourceGroupName: string;
  readonly tags: Record<string, string>;
  /** Days a deleted blob or container can be restored. @default 30 */
  readonly softDeleteDays?: number;
}

export class PublicBlobMirror extends Construct {
  readonly account: StorageAccount;
  readonly container: StorageContainer;

  constructor(scope: Construct, id: string, props: PublicBlobMirrorProps) {
    super(scope, id);
    const softDeleteDays = props.softDeleteDays ?? 30;
    this.account = new StorageAccount(this, 'account', {
      name: props.accountName,
      resourceGroupName: props.resourceGroupName,
      location: props.location,
      accountKind: 'StorageV2',
      accountTier: 'Standard',
      // A mirror holds copies of the canonical repository: a lost zone's blobs are copied again, not irreplaceable.
      accountReplicationType: 'LRS',
      httpsTrafficOnlyEnabled: true,
      minTlsVersion: 'TLS1_2',
      allowNestedItemsToBePublic: true,
      sharedAccessKeyEnabled: false,
      defaultToOauthAuthentication: true,
      infrastructureEncryptionEnabled: true,
      crossTenantReplicationEnabled: false,
      localUserEnabled: false,
      sftpEnabled: false,
      publicNetworkAccessEnabled: true,
      blobProperties: {
        deleteRetentionPolicy: { days: softDeleteDays },
        containerDeleteRetentionPolicy: { days: softDeleteDays },
      },
      tags: props.tags,
    });
    this.container = new StorageContainer(this, 'container', {
      name: props.containerName,
      // Through Resource Manager, not the data plane: the account refuses the shared key the data plane would use.
      storageAccountId: this.account.id,
      containerAccessType: 'blob',
    });
  }
}
