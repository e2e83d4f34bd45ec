/**
 * Azure's section of the topology (`azure:`): where the Azure mirrors are, how they are named, which identity may
 * write them; its rules; and the mirrors derived from it. Optional: the default topology has none, and a section that
 * is written starts dark (trafficShare 0) until the mirrors are filled and tried on a share of Azure's clients.
 *
 * Runtime-safe: the topology (and so the redirector) imports it.
 */
import * as z from 'zod';
import type { TopologyProblem } from '../../topology/errors';
import { BaseUrlSchema } from '../../topology/routing-table';
import { duplicates, GOOGLE_OIDC_ISSUER, subjectIsKnown, unknownRegions } from '../../topology/rule-helpers';
import { aliasesPointAtMirrors, checkSection, donorSectionSchema, mirrorRegionFor, type SectionRule } from '../donor';
import { AZURE_REGION_NAME, KNOWN_AZURE_REGIONS, tagRegionsOf } from './regions';
import {
  AZURE_BLOB_ENDPOINT_TEMPLATE,
  blobServiceUrl,
  CONTAINER_NAME,
  containerBaseUrl,
  storageAccountName,
  storageAccountNameProblem,
} from './urls';

const azureRegionName = z.string().regex(AZURE_REGION_NAME, { error: 'is not an Azure region name' });
/** A Microsoft Entra ID / Azure GUID: subscription, tenant, managed identity client ID. */
export const GuidSchema = z.guid({ error: 'must be a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)' });

/** The audience Microsoft Entra ID requires of a federated token. */
export const AZURE_TOKEN_EXCHANGE_AUDIENCE = 'api://AzureADTokenExchange';

export const AzureReplicatorIdentitySchema = z.strictObject({
  /** The user-assigned managed identity the replicator acts as. @default 'registry-replicator' */
  identityName: z
    .string()
    .regex(/^[a-zA-Z0-9][\w-]{2,127}$/, { error: 'must be 3-128 letters, digits, "-" or "_"' })
    .default('registry-replicator'),
  /** Issuer of the replicator's tokens, trusted by the identity's federated credential. @default Google's */
  oidcIssuer: z.url({ protocol: /^https$/, error: 'must be an https URL' }).default(GOOGLE_OIDC_ISSUER),
  /** @default 'api://AzureADTokenExchange' */
  audience: z.string().min(1).default(AZURE_TOKEN_EXCHANGE_AUDIENCE),
  /**
   * Subject of the replicator's tokens. Required for any issuer but Google's.
   * @default with Google's issuer, the unique ID of the replicator's service account, which a GCP deploy produces;
   * until it is known, the identity has no federated credential and trusts no one
   */
  subject: z.string().min(1).optional(),
  /**
   * The managed identity's client ID, which the replication job presents (AZURE_CLIENT_ID).
   * @default from the deploy (an output of azure-mirrors); until it is known the Azure job stops at start, naming it
   */
  clientId: GuidSchema.optional(),
});

export const AzureSchema = donorSectionSchema(
  {
    subscriptionId: GuidSchema,
    /** The Microsoft Entra tenant of the subscription; the replicator's identity exchanges its token there. */
    tenantId: GuidSchema,
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
  },
  // A new donor starts dark: on (deployed, replicated) but serving none of its clients until its share is raised.
  { enabled: true, trafficShare: 0 },
);

export type AzureSectionInput = z.input<typeof AzureSchema>;
/** An `azure` section with every default filled in. */
export type AzureSection = z.output<typeof AzureSchema>;

export interface AzureMirror {
  /** The location the storage account is in, e.g. `westeurope`. */
  readonly region: string;
  readonly account: string;
  /** The account's blob endpoint, e.g. `https://k8sregweu.blob.core.windows.net`. */
  readonly serviceUrl: string;
  readonly container: string;
  /** Blob URL = base + `/containers/images/<digest>`. */
  readonly baseUrl: string;
}

function azureMirror(azure: AzureSection, region: string): AzureMirror {
  const account = storageAccountName(azure.storageAccountPrefix, region);
  return {
    region,
    account,
    serviceUrl: blobServiceUrl(azure.blobEndpointTemplate, account),
    container: azure.container,
    baseUrl: containerBaseUrl(azure.blobEndpointTemplate, account, azure.container),
  };
}

/** Every mirror region's account, in topology order. */
export function azureMirrors(azure: AzureSection): AzureMirror[] {
  return azure.mirrorRegions.map((region) => azureMirror(azure, region));
}

/**
 * Client region -> mirror base URL, keyed as the redirector locates Azure clients: by the service-tags file's region
 * names, which for a few regions differ from the location (`germanywc` for `germanywestcentral`); sorted.
 */
export function azureMirrorMap(azure: AzureSection): Record<string, string> {
  const locations = [...azure.mirrorRegions, ...Object.keys(azure.regionAliases)];
  const entries = locations.flatMap((location) => {
    const url = azureMirror(azure, mirrorRegionFor(azure, location)!).baseUrl;
    return tagRegionsOf(location).map((tagRegion) => [tagRegion, url] as const);
  });
  return Object.fromEntries(entries.sort(([a], [b]) => a.localeCompare(b)));
}

type Rule = SectionRule<AzureSection>;

const regionsExist: Rule = (azure) => [
  ...unknownRegions(() => 'location', [azure.location], KNOWN_AZURE_REGIONS, 'Azure'),
  ...unknownRegions((i) => `mirrorRegions[${i}]`, azure.mirrorRegions, KNOWN_AZURE_REGIONS, 'Azure'),
  ...unknownRegions((_, r) => `regionAliases.${r}`, Object.keys(azure.regionAliases), KNOWN_AZURE_REGIONS, 'Azure'),
];

const regionsListedOnce: Rule = (azure) => duplicates('mirrorRegions', azure.mirrorRegions, 'azure.mirrorRegions');

const aliasesPointAtAccounts = aliasesPointAtMirrors('storage account', 'azure.mirrorRegions');

/** Account names are `<prefix><region code>` and must fit 24 characters (only a known region has a code). */
const accountNamesAreValid: Rule = (azure) =>
  azure.mirrorRegions.flatMap((region, i) => {
    if (!KNOWN_AZURE_REGIONS.has(region)) return [];
    const problem = storageAccountNameProblem(storageAccountName(azure.storageAccountPrefix, region));
    return problem ? [{ path: `mirrorRegions[${i}]`, message: `${problem} (shorten azure.storageAccountPrefix)` }] : [];
  });

const replicatorSubjectIsKnown: Rule = ({ replicator }) => subjectIsKnown('replicator.subject', replicator);

const RULES: readonly Rule[] = [
  regionsExist,
  regionsListedOnce,
  aliasesPointAtAccounts,
  accountNamesAreValid,
  replicatorSubjectIsKnown,
];

/** Every problem of a schema-valid section, paths relative to it (`mirrorRegions[3]`). */
export function validateAzureSection(azure: AzureSection): TopologyProblem[] {
  return checkSection(RULES, azure);
}
