/**
 * The Azure stack's id and the Terraform output names the deploy reads: apart from stack.ts so that the deploy plan
 * (`npm run deploy -- --plan`) names them without loading the azurerm provider.
 */
export const AZURE_STACK_ID = 'azure-mirrors';

export const AZURE_OUTPUT_IDS = {
  /** The managed identity's client ID: the replication job's AZURE_CLIENT_ID. */
  replicatorClientId: 'replicator-client-id',
  /** The managed identity's principal ID, to look up its role assignments. */
  replicatorPrincipalId: 'replicator-principal-id',
} as const;
