/**
 * What a request asks for, from its method and raw request target alone: a pure function with no knowledge of
 * backends. Every part that will end up in a Location header is validated here (OCI grammar for names and
 * digests, a strict segment grammar for everything else), so decide() only ever concatenates checked text.
 */
import { isCosignTag, isDigest, isRepositoryName, isTag } from '../oci/grammar';
import { LIVENESS_PATH, READINESS_PATH } from './service-contract';

export type Route =
  | { readonly kind: 'method-not-allowed' }
  | { readonly kind: 'root' }
  | { readonly kind: 'privacy' }
  | { readonly kind: 'healthy' }
  | { readonly kind: 'ready' }
  | { readonly kind: 'v2-base' }
  | { readonly kind: 'catalog' }
  | {
      readonly kind: 'manifest';
      readonly repository: string;
      readonly reference: string;
      /** A cosign `sha256-<hex>.sig|.att|.sbom` tag (isCosignTag): routed to the signature upstream. */
      readonly signature: boolean;
      readonly query: string;
    }
  | { readonly kind: 'blob'; readonly repository: string; readonly digest: string; readonly query: string }
  /** tags/list, referrers, uploads, ...: `rest` is the checked path after `/v2/`, sent to the upstream as is. */
  | { readonly kind: 'other-v2'; readonly rest: string; readonly query: string }
  | { readonly kind: 'not-found' }
  | { readonly kind: 'bad-name'; readonly name: string }
  | { readonly kind: 'bad-digest'; readonly digest: string }
  | { readonly kind: 'bad-reference'; readonly reference: string };

export type RouteKind = Route['kind'];

const METHOD_NOT_ALLOWED: Route = { kind: 'method-not-allowed' };
const ROOT: Route = { kind: 'root' };
const PRIVACY: Route = { kind: 'privacy' };
const HEALTHY: Route = { kind: 'healthy' };
const READY: Route = { kind: 'ready' };
const V2_BASE: Route = { kind: 'v2-base' };
const CATALOG: Route = { kind: 'catalog' };
const NOT_FOUND: Route = { kind: 'not-found' };

/** A path segment that is safe to forward: no dots-only segment, no percent-escape, no empty segment. */
const SAFE_SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

/**
 * The query string made safe for a Location header: kept as sent (tags/list pagination needs it, production
 * dropped it), with every character outside RFC 3986's query set percent-encoded.
 */
export function safeQuery(query: string): string {
  if (query.length <= 1) return '';
  // The common case without a copy; the loop below returns the same text for it, so a mutant here changes nothing.
  // Stryker disable next-line ConditionalExpression,Regex: a fast path, equivalent to the loop
  if (/^\?[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]*$/.test(query)) return query;
  let out = '?';
  for (let i = 1; i < query.length; i++) {
    const ch = query[i]!;
    out += /[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]/.test(ch) ? ch : percentEncode(ch.charCodeAt(0));
  }
  return out;
}

function percentEncode(code: number): string {
  // req.url is latin1-decoded by node: every char is one byte.
  return `%${(code & 0xff).toString(16).toUpperCase().padStart(2, '0')}`;
}

/** Parses `/v2/<name>/<endpoint>/<tail>` where the endpoint is one of the pull API's. */
function parseV2(path: string, query: string): Route {
  const rest = path.slice(4); // after "/v2/"
  if (rest === '_catalog') return CATALOG;
  const lastSlash = rest.lastIndexOf('/');
  // Without a slash (or with only a leading one) this finds none, or the leading one: no endpoint either way.
  const endpointSlash = rest.lastIndexOf('/', lastSlash - 1);
  if (endpointSlash > 0) {
    const tail = rest.slice(lastSlash + 1);
    const endpoint = rest.slice(endpointSlash + 1, lastSlash);
    const name = rest.slice(0, endpointSlash);
    switch (endpoint) {
      case 'manifests':
        if (!isRepositoryName(name)) return { kind: 'bad-name', name };
        if (isTag(tail))
          return { kind: 'manifest', repository: name, reference: tail, signature: isCosignTag(tail), query };
        if (isDigest(tail)) return { kind: 'manifest', repository: name, reference: tail, signature: false, query };
        return tail.includes(':') ? { kind: 'bad-digest', digest: tail } : { kind: 'bad-reference', reference: tail };
      case 'blobs':
        if (!isRepositoryName(name)) return { kind: 'bad-name', name };
        if (!isDigest(tail)) return { kind: 'bad-digest', digest: tail };
        return { kind: 'blob', repository: name, digest: tail, query };
      case 'referrers':
        if (!isRepositoryName(name)) return { kind: 'bad-name', name };
        if (!isDigest(tail)) return { kind: 'bad-digest', digest: tail };
        return { kind: 'other-v2', rest, query };
      case 'tags':
        if (tail !== 'list') break;
        if (!isRepositoryName(name)) return { kind: 'bad-name', name };
        return { kind: 'other-v2', rest, query };
    }
  }
  // Anything else under /v2 (uploads, future endpoints) is forwarded if every segment is safe; a trailing "/" is kept.
  const segments = (rest.endsWith('/') ? rest.slice(0, -1) : rest).split('/');
  if (!segments.every((segment) => SAFE_SEGMENT.test(segment))) return { kind: 'bad-name', name: rest };
  return { kind: 'other-v2', rest, query };
}

/** The route of a request; `target` is the raw request target (`req.url`: path and query). */
export function parseRequest(method: string | undefined, target: string): Route {
  if (method !== 'GET' && method !== 'HEAD') return METHOD_NOT_ALLOWED;
  const q = target.indexOf('?');
  // Stryker disable next-line EqualityOperator: with the "?" first (q = 0) the path is "" or "?...": not found either way
  const path = q < 0 ? target : target.slice(0, q);
  switch (path) {
    case '/':
      return ROOT;
    case '/privacy':
      return PRIVACY;
    case LIVENESS_PATH:
      return HEALTHY;
    case READINESS_PATH:
      return READY;
    case '/v2':
    case '/v2/':
      return V2_BASE;
  }
  if (!path.startsWith('/v2/')) return NOT_FOUND;
  return parseV2(path, safeQuery(target.slice(path.length)));
}

/** Routes whose decision depends on who the client is (blobs) or is logged with it (manifests). */
export function needsClient(route: Route): boolean {
  return route.kind === 'blob' || route.kind === 'manifest';
}
