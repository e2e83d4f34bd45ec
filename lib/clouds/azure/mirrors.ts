/**
 * What the redirector and the replicator derive from the `azure` section: each mirror region's storage account and
 * public container URL, and which client regions each serves. Pure functions of the section.
 */
import type { AzureSection } from './topology';
import { tagRegionsOf } from './regions';
import { blobServiceUrl, containerBaseUrl, storageAccountName } from './urls';

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

export function azureMirror(azure: AzureSection, region: string): AzureMirror {
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

/** The mirror region serving clients of a location (itself, or its alias target); undefined if none. */
export function azureMirrorRegionFor(azure: AzureSection, location: string): string | undefined {
  if (azure.mirrorRegions.includes(location)) return location;
  return azure.regionAliases[location];
}

/**
 * Client region -> mirror base URL, keyed as the redirector locates Azure clients: by the service-tags file's region
 * names, which for a few regions differ from the location (`germanywc` for `germanywestcentral`); sorted.
 */
export function azureMirrorMap(azure: AzureSection): Record<string, string> {
  const locations = [...azure.mirrorRegions, ...Object.keys(azure.regionAliases)];
  const entries = locations.flatMap((location) => {
    const url = azureMirror(azure, azureMirrorRegionFor(azure, location)!).baseUrl;
    return tagRegionsOf(location).map((tagRegion) => [tagRegion, url] as const);
  });
  return Object.fromEntries(entries.sort(([a], [b]) => a.localeCompare(b)));
}
