/**
 * Azure as a donor: its clients (the `AzureCloud.<region>` tags of the service-tags file) get the blob container of
 * their region's storage account, at the section's traffic share; one replication job writes every region's
 * container, with the replicator's Google identity federated into a managed identity (no keys).
 */
import type { Donor, ReplicationTarget } from '../donor';
import { AZURE_IP_RANGES_LINK, AZURE_IP_RANGES_PAGE, parseAzureRanges } from './ip-ranges';
import { azureMirrorMap, azureMirrors, AzureSchema, validateAzureSection, type AzureSection } from './section';

/**
 * registry -> every Azure container (`replicate azure`, lib/clouds/azure/kind.ts). The managed identity's client ID
 * (AZURE_CLIENT_ID) is an output of the Azure stack's deploy, added to the job by the deploy.
 */
function replicationTarget(azure: AzureSection): ReplicationTarget {
  return {
    job: 'azure',
    kind: 'azure',
    args: azureMirrors(azure).flatMap((mirror) => ['--container-url', mirror.baseUrl]),
    env: {
      AZURE_TENANT_ID: azure.tenantId,
      AZURE_TOKEN_AUDIENCE: azure.replicator.audience,
      ...(azure.replicator.clientId !== undefined ? { AZURE_CLIENT_ID: azure.replicator.clientId } : {}),
    },
    regions: [...azure.mirrorRegions],
    registryHosts: [],
  };
}

export const azureDonor = {
  id: 'azure' as const,
  displayName: 'Azure',
  parseRanges: parseAzureRanges,
  download: { url: AZURE_IP_RANGES_PAGE, linkPattern: AZURE_IP_RANGES_LINK },
  fileName: 'azure.json',
  topology: {
    // Optional: a topology without an `azure:` section has Azure off.
    schema: AzureSchema.optional(),
    validate: validateAzureSection,
    mirrors: azureMirrorMap,
    replicationTargets: (azure) => [replicationTarget(azure)],
  },
  infra: 'lib/clouds/azure/infra/donor',
} satisfies Donor<AzureSection>;
