/**
 * The `azure` section of a topology: where the Azure mirrors are, how they are named, which identity may write them,
 * and how much of Azure's clients they serve. Optional: the default topology has no Azure section, and a section
 * that is written starts dark (trafficShare 0) until the mirrors are filled and tried on a share of the clients.
 * Cross-field rules are in rules.ts. Runtime-safe: zod only.
 */
import { z } from 'zod';
import { BaseUrlSchema, MirrorShareSchema } from '../../topology/routing-table';
import { AZURE_REGION_NAME } from './regions';
import { AZURE_BLOB_ENDPOINT_TEMPLATE, CONTAINER_NAME } from './urls';

const azureRegionName = z.string().regex(AZURE_REGION_NAME, { error: 'is not an Azure region name' });
const guid = z.guid({ error: 'must be a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)' });

/** Google's OIDC issuer: the replicator's ID tokens come from it, with its service account's unique ID as subject. */
const GOOGLE_ISSUER = 'https://accounts.google.com';
/** The audience Microsoft Entra ID requires of a federated token. */
export const AZURE_TOKEN_EXCHANGE_AUDIENCE = 'api://AzureADTokenExchange';

export const AzureReplicatorIdentitySchema = z.strictObject({
  /** The user-assigned managed identity the replicator acts as. @default 'registry-replicator' */
  identityName: z
    .string()
    .regex(/^[a-zA-Z0-9][\w-]{2,127}$/, { error: 'must be 3-128 letters, digits, "-" or "_"' })
    .default('registry-replicator'),
  /** Issuer of the replicator's tokens, trusted by the identity's federated credential. @default Google's */
  oidcIssuer: z.url({ protocol: /^https$/, error: 'must be an https URL' }).default(GOOGLE_ISSUER),
  /** @default 'api://AzureADTokenExchange' */
  audience: z.string().min(1).default(AZURE_TOKEN_EXCHANGE_AUDIENCE),
  /**
   * Subject of the replicator's tokens. Required for any issuer but Google's.
   * @default with Google's issuer, the unique ID of the replicator's service account, which a GCP deploy produces;
   * until it is known, the identity has no federated credential and trusts no one
   */
  subject: z.string().min(1).optional(),
});

export const AzureSchema = z.strictObject({
  /** Deploy the Azure mirrors and route Azure clients to them. @default true (leaving the section out disables Azure) */
  enabled: z.boolean().default(true),
  /**
   * Percent of Azure's clients (0..100, at most two decimals) sent to the Azure mirrors, the same clients at a given
   * share; the others get the redirector region's default. @default 0: a new donor starts dark
   */
  trafficShare: MirrorShareSchema.default(0),
  subscriptionId: guid,
  /** The Microsoft Entra tenant of the subscription; the replicator's identity exchanges its token there. */
  tenantId: guid,
  /** The one resource group holding every Azure resource of the registry. */
  resourceGroup: z.string().regex(/^[\w.()-]{0,89}[\w()-]$/, {
    error: 'must be a resource group name (1-90 characters, not ending with ".")',
  }),
  /** Where the resource group (and the identity) live. */
  location: azureRegionName,
  /** Storage account names are `<storageAccountPrefix><region code>`, e.g. `k8sregistryweu`; they are global. */
  storageAccountPrefix: z
    .string()
    .regex(/^[a-z][a-z0-9]{2,19}$/, { error: 'must be 3-20 lowercase letters and digits, starting with a letter' }),
  /** The public container in each account; blobs are `<container>/containers/images/<digest>`. @default 'images' */
  container: z
    .string()
    .regex(CONTAINER_NAME, { error: 'must be a blob container name (3-63 lowercase letters, digits, single "-")' })
    .default('images'),
  /** Regions that get their own storage account. */
  mirrorRegions: z.array(azureRegionName).min(1),
  /** Regions without an account whose clients use another region's (`westus` -> `westus2`). */
  regionAliases: z.record(azureRegionName, azureRegionName).default({}),
  /**
   * An account's blob endpoint; `{account}` is substituted. Point it at Azurite in tests
   * (`http://127.0.0.1:10000/{account}`). @default 'https://{account}.blob.core.windows.net'
   */
  blobEndpointTemplate: BaseUrlSchema.refine((u) => u.includes('{account}'), {
    error: 'must contain {account}',
  }).default(AZURE_BLOB_ENDPOINT_TEMPLATE),
  /** The identity the replication job writes the blobs with. @default Google's issuer, the exchange audience */
  replicator: AzureReplicatorIdentitySchema.default(AzureReplicatorIdentitySchema.parse({})),
});

export type AzureSectionInput = z.input<typeof AzureSchema>;
/** An `azure` section with every default filled in. */
export type AzureSection = z.output<typeof AzureSchema>;
