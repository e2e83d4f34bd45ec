/** The clouds' management REST APIs as the preflight checks call them: an injectable fetch, so tests answer for the cloud. */

/** The part of fetch the checks use. */
export type JsonFetch = (
  url: string,
  init?: { readonly method?: string; readonly body?: string },
) => Promise<{ readonly status: number; json(): Promise<unknown> }>;

/** The status and JSON body of a call (an empty object for a body that is not JSON). */
export async function getJson(fetch: JsonFetch, url: string, init?: Parameters<JsonFetch>[1]) {
  const response = await fetch(url, init);
  return { status: response.status, body: (await response.json().catch(() => ({}))) as Record<string, unknown> };
}

/** The message of a JSON error body (`{"error": {"message": ...}}`, as Google and Azure answer), if any. */
export function apiError(body: Record<string, unknown>): string {
  const error = body.error as { message?: unknown } | undefined;
  return typeof error?.message === 'string' ? `: ${error.message}` : '';
}
