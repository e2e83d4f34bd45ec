/**
 * Azure Blob Storage addressing, shared by the topology's views (mirror URLs), the Azure stack (account names) and
 * the replication destination: one storage account per mirror region, one public container in each.
 */
import { azureRegionCode } from './regions';

/** The public blob endpoint of Azure's global cloud; `{account}` is substituted. */
export const AZURE_BLOB_ENDPOINT_TEMPLATE = 'https://{account}.blob.core.windows.net';

/** Storage account names: 3-24 lowercase letters and digits, unique across all of Azure. */
export const STORAGE_ACCOUNT_NAME = /^[a-z0-9]{3,24}$/;

/** Blob container names: 3-63 lowercase letters, digits and single hyphens, starting and ending alphanumeric. */
export const CONTAINER_NAME = /^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$/;

/**
 * The storage account of a mirror region: the topology's prefix and the region's short code, e.g. `k8sregweu`.
 * Account names are global, so the prefix is what makes them ours; the code keeps them within 24 characters.
 */
export function storageAccountName(prefix: string, region: string): string {
  return `${prefix}${azureRegionCode(region)}`;
}

/** Why a storage account name cannot be used, or undefined when it can. */
export function storageAccountNameProblem(name: string): string | undefined {
  if (STORAGE_ACCOUNT_NAME.test(name)) return undefined;
  if (name.length > 24) return `storage account name ${JSON.stringify(name)} is longer than 24 characters`;
  return `storage account name ${JSON.stringify(name)} must be 3-24 lowercase letters and digits`;
}

/** The account's blob endpoint from a template (Azure's, or a local emulator's `http://127.0.0.1:10000/{account}`). */
export function blobServiceUrl(endpointTemplate: string, account: string): string {
  return endpointTemplate.replaceAll('{account}', account);
}

/** The public base URL of a container: blob URL = base + `/containers/images/<digest>` (lib/topology/blob-layout.ts). */
export function containerBaseUrl(endpointTemplate: string, account: string, container: string): string {
  return `${blobServiceUrl(endpointTemplate, account)}/${container}`;
}
