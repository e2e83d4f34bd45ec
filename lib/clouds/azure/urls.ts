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

/** A container as its URL names it. */
export interface ContainerLocation {
  readonly account: string;
  /** The account's blob endpoint, e.g. `https://k8sregweu.blob.core.windows.net`. */
  readonly serviceUrl: string;
  readonly container: string;
}

/**
 * Reads a container URL: `https://<account>.blob.core.windows.net/<container>`, or an emulator's path-style
 * `http://127.0.0.1:10000/<account>/<container>` (an IP address or localhost as host). Throws a message naming it.
 */
export function containerLocation(text: string): ContainerLocation {
  const problem = (what: string) => new Error(`${JSON.stringify(text)} ${what}`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw problem('is not a URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw problem('is not an http(s) URL');
  if (url.search || url.hash) throw problem('must have no query or fragment');
  const segments = url.pathname.split('/').filter((segment) => segment !== '');
  const pathStyle = url.hostname === 'localhost' || /^[\d.]+$|^\[/.test(url.hostname);
  const [account, container] = pathStyle ? segments : [url.hostname.split('.')[0]!, segments[0]];
  const expected = pathStyle ? '<scheme>://<host>/<account>/<container>' : '<scheme>://<account>.<host>/<container>';
  if (segments.length !== (pathStyle ? 2 : 1) || account === undefined || container === undefined)
    throw problem(`must be a container URL, ${expected}`);
  if (storageAccountNameProblem(account))
    throw problem(`names no valid account: ${storageAccountNameProblem(account)}`);
  if (!CONTAINER_NAME.test(container)) throw problem(`names no valid container: ${JSON.stringify(container)}`);
  const serviceUrl = pathStyle ? `${url.origin}/${account}` : url.origin;
  return { account, serviceUrl, container };
}
