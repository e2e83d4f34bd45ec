/**
 * How the replicator authenticates to Azure Blob Storage, from the environment only (never flags or files). On Cloud
 * Run: `AZURE_TENANT_ID` and `AZURE_CLIENT_ID` (the replicator's managed identity) set, and the Google ID token of the
 * job's service account for `AZURE_TOKEN_AUDIENCE` (default `api://AzureADTokenExchange`) is the client assertion
 * that Microsoft Entra ID exchanges for an access token, as the identity's federated credential allows. No key, no
 * SAS token. Only for an emulator (Azurite), `AZURE_STORAGE_KEY` signs requests with the account key: the deployed
 * accounts refuse shared keys.
 */
import { ClientAssertionCredential } from '@azure/identity';
import { ContainerClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import type { Env } from '../../config/env';
import { metadataIdentityToken } from '../../replicator/credentials';
import { UsageError } from '../../replicator/errors';
import { AZURE_TOKEN_EXCHANGE_AUDIENCE } from './section';
import type { ContainerLocation } from './urls';

export type AzureCredential = ClientAssertionCredential | StorageSharedKeyCredential;

/** The credential for a storage account, or a UsageError naming what the environment lacks. */
export function azureCredential(env: Env, account: string): AzureCredential {
  if (env.AZURE_STORAGE_KEY) return new StorageSharedKeyCredential(account, env.AZURE_STORAGE_KEY);
  const { AZURE_TENANT_ID: tenantId, AZURE_CLIENT_ID: clientId } = env;
  if (!tenantId || !clientId) {
    throw new UsageError(
      'Azure destinations need AZURE_TENANT_ID and AZURE_CLIENT_ID (the replicator managed identity, an output of the Azure stack)',
    );
  }
  return new ClientAssertionCredential(tenantId, clientId, federatedAssertion(env));
}

/** The client assertion: a Google ID token of the job's service account, for the federated credential's audience. */
export function federatedAssertion(env: Env): () => Promise<string> {
  const audience = env.AZURE_TOKEN_AUDIENCE || AZURE_TOKEN_EXCHANGE_AUDIENCE;
  return () => metadataIdentityToken(env, audience);
}

/** A client of a container, authenticated from the environment. */
export function containerClient(location: ContainerLocation, env: Env): ContainerClient {
  return new ContainerClient(`${location.serviceUrl}/${location.container}`, azureCredential(env, location.account));
}
