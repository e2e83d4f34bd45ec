/**
 * Where a request goes: a pure function of the route, the client's location and the routing table. The server
 * and the explain tool (bin/route.ts) both call decide(); when the decision depends on whether a mirror holds the
 * blob, it names the URL to check and settle() picks the outcome from the check's answer.
 */
import { blobKey } from '../topology/blob-layout';
import type { RoutingTable, Upstream } from '../topology';
import type { ClientLocation } from './range-index';
import type { Route } from './route';
import { inShare, NO_BUCKET, sharePercent } from './share';

/**
 * What kind of answer a decision is: a backend the client is sent to (upstream, mirror, ...), or the redirector's
 * own answer (health, registry-api, none for errors). The `decision` label of the request metric; logged and
 * printed by the explain tool as `backend`.
 */
export type DecisionLabel =
  'info' | 'privacy' | 'upstream' | 'signature-upstream' | 'mirror' | 'default' | 'health' | 'registry-api' | 'none';

/**
 * The client as the server resolved it. A located client carries its share bucket (share.ts) when its cloud's
 * mirrors take a partial share; without one it is outside every partial share.
 */
export type Client =
  | { readonly kind: 'located'; readonly location: ClientLocation; readonly bucket?: number }
  | { readonly kind: 'unlisted' }
  | { readonly kind: 'not-needed' }
  | { readonly kind: 'invalid'; readonly message: string };

export const UNLISTED_CLIENT: Client = { kind: 'unlisted' };
export const CLIENT_NOT_NEEDED: Client = { kind: 'not-needed' };

export const JSON_TYPE = 'application/json; charset=utf-8';
export const TEXT_TYPE = 'text/plain; charset=utf-8';

/** A response body and its media type. */
export interface Body {
  readonly contentType: string;
  readonly text: string;
}

export interface Decision {
  readonly status: number;
  readonly label: DecisionLabel;
  /** Why, in a few words (for the explain tool and debug logs). */
  readonly reason: string;
  readonly location?: string;
  /** Response headers the decision needs besides Location and the body's (e.g. Allow on a 405). */
  readonly headers?: Readonly<Record<string, string>>;
  /** An OCI error (JSON) or plain text; none for redirects. */
  readonly body?: Body;
  /**
   * Set when the decision holds only if `url` answers a HEAD with 200; otherwise `fallback()` applies (built only
   * when needed: most checks are cache hits that keep the decision).
   */
  readonly check?: { readonly url: string; readonly fallback: () => Decision };
  /**
   * For a blob or a manifest of a client whose cloud's mirrors take a share of its clients (`mirrorShares`) and
   * which has a mirror for its region: whether the client is in that share (its blobs go to the mirror). Undefined
   * when no share applies.
   */
  readonly inShare?: boolean;
}

export interface Health {
  /** False while draining: readiness answers 503 so the load balancer stops sending traffic. */
  readonly ready: boolean;
}

const ALWAYS_READY: Health = { ready: true };

/** An OCI distribution error body. */
export function ociError(code: string, message: string): Body {
  return { contentType: JSON_TYPE, text: JSON.stringify({ errors: [{ code, message }] }) };
}

function plainText(text: string): Body {
  return { contentType: TEXT_TYPE, text };
}

const NOT_FOUND: Decision = { status: 404, label: 'none', reason: 'no such path', body: plainText('Not Found\n') };
const METHOD_NOT_ALLOWED: Decision = {
  status: 405,
  label: 'none',
  reason: 'only GET and HEAD are allowed',
  headers: { allow: 'GET, HEAD' },
  body: plainText('Only GET and HEAD are allowed.\n'),
};
const CATALOG: Decision = {
  status: 404,
  label: 'none',
  reason: 'the catalog is not served',
  body: ociError('UNSUPPORTED', 'the catalog API is not supported'),
};
const V2_BASE: Decision = {
  status: 200,
  label: 'registry-api',
  reason: 'registry API version check',
  headers: { 'docker-distribution-api-version': 'registry/2.0' },
};
const OK = plainText('ok\n');
const HEALTHY: Decision = { status: 200, label: 'health', reason: 'alive', body: OK };
const READY: Decision = { status: 200, label: 'health', reason: 'ready', body: OK };
const DRAINING: Decision = { status: 503, label: 'health', reason: 'draining', body: plainText('draining\n') };

function upstreamUrl(upstream: Upstream, rest: string, query: string): string {
  return `${upstream.endpoint}/v2/${upstream.path}/${rest}${query}`;
}

function toUpstream(table: RoutingTable, rest: string, query: string, reason: string, share?: boolean): Decision {
  return { status: 307, label: 'upstream', reason, location: upstreamUrl(table.upstream, rest, query), inShare: share };
}

/** The mirror serving a located client's region, if its cloud has one there. */
function mirrorOf(table: RoutingTable, location: ClientLocation): string | undefined {
  return table.mirrors[location.cloud]?.[location.region];
}

/**
 * Whether a client with a mirror for its region is in its cloud's share (`mirrorShares`), with the share; undefined
 * when the table sets no share for the cloud.
 */
function shareOf(
  table: RoutingTable,
  client: Extract<Client, { kind: 'located' }>,
): { readonly percent: number; readonly inShare: boolean } | undefined {
  const percent = sharePercent(table, client.location.cloud);
  if (percent === undefined) return undefined;
  return { percent, inShare: inShare(client.bucket ?? NO_BUCKET, percent) };
}

/** A manifest client's share, for the pull line: where its blobs will go. */
function manifestShare(client: Client, table: RoutingTable): boolean | undefined {
  if (client.kind !== 'located' || mirrorOf(table, client.location) === undefined) return undefined;
  return shareOf(table, client)?.inShare;
}

function badRequest(code: string, message: string): Decision {
  return { status: 400, label: 'none', reason: message, body: ociError(code, message) };
}

function blobRest(route: Extract<Route, { kind: 'blob' }>): string {
  return `${route.repository}/blobs/${route.digest}`;
}

/**
 * Where a blob goes: upstream for clients in the upstream's cloud, else the mirror of the client's region (when the
 * client is in its cloud's share) or the default, if it has the blob.
 */
function decideBlob(route: Extract<Route, { kind: 'blob' }>, client: Client, table: RoutingTable): Decision {
  if (client.kind !== 'located') return toBackend(route, table, undefined, 'client in no donor range: default backend');
  const location = client.location;
  if (table.upstreamClouds.includes(location.cloud)) {
    return toUpstream(table, blobRest(route), route.query, 'client is in the upstream cloud');
  }
  const mirror = mirrorOf(table, location);
  if (mirror === undefined) {
    return toBackend(route, table, undefined, 'no mirror for the client region: default backend');
  }
  const share = shareOf(table, client);
  if (share === undefined) return toBackend(route, table, mirror, 'mirror of the client region');
  const reason = share.inShare
    ? `mirror of the client region (client in the ${share.percent}% share of ${location.cloud} clients)`
    : `client outside the ${share.percent}% share of ${location.cloud} clients sent to mirrors: default backend`;
  return toBackend(route, table, share.inShare ? mirror : undefined, reason, share.inShare);
}

/** A blob redirect to a mirror (or, without one, the region's default), checked to have the blob. */
function toBackend(
  route: Extract<Route, { kind: 'blob' }>,
  table: RoutingTable,
  mirror: string | undefined,
  reason: string,
  share?: boolean,
): Decision {
  const label: DecisionLabel = mirror === undefined ? 'default' : 'mirror';
  const url = `${mirror ?? table.defaultBlobBaseUrl}/${blobKey(route.digest)}`;
  return {
    status: 307,
    label,
    reason,
    location: url,
    check: {
      url,
      fallback: () => toUpstream(table, blobRest(route), route.query, `${label} backend does not have the blob`, share),
    },
    inShare: share,
  };
}

export function decide(route: Route, client: Client, table: RoutingTable, health: Health = ALWAYS_READY): Decision {
  if (client.kind === 'invalid')
    return { status: 400, label: 'none', reason: client.message, body: plainText(`${client.message}\n`) };
  switch (route.kind) {
    case 'method-not-allowed':
      return METHOD_NOT_ALLOWED;
    case 'root':
      return { status: 307, label: 'info', reason: 'project information', location: table.infoUrl };
    case 'privacy':
      return { status: 307, label: 'privacy', reason: 'privacy policy', location: table.privacyUrl };
    case 'healthy':
      return HEALTHY;
    case 'ready':
      return health.ready ? READY : DRAINING;
    case 'v2-base':
      return V2_BASE;
    case 'catalog':
      return CATALOG;
    case 'not-found':
      return NOT_FOUND;
    case 'bad-name':
      return badRequest('NAME_INVALID', `invalid repository name ${JSON.stringify(route.name)}`);
    case 'bad-digest':
      return badRequest(
        'DIGEST_INVALID',
        `invalid digest ${JSON.stringify(route.digest)} (sha256:<64 hex> or sha512:<128 hex>)`,
      );
    case 'bad-reference':
      return badRequest('MANIFEST_INVALID', `invalid tag ${JSON.stringify(route.reference)}`);
    case 'manifest': {
      const rest = `${route.repository}/manifests/${route.reference}`;
      const share = manifestShare(client, table);
      if (route.signature && table.signatureUpstream) {
        return {
          status: 307,
          label: 'signature-upstream',
          reason: 'cosign signature',
          location: upstreamUrl(table.signatureUpstream, rest, route.query),
          inShare: share,
        };
      }
      return toUpstream(table, rest, route.query, 'manifests come from the upstream', share);
    }
    case 'blob':
      return decideBlob(route, client, table);
    case 'other-v2':
      return toUpstream(table, route.rest, route.query, 'registry API served by the upstream');
  }
}

/**
 * The decision that applies once the existence check answered (`present`: the HEAD returned 200): the decision
 * itself (its `check` is then done with) or its fallback.
 */
export function settle(decision: Decision, present: boolean): Decision {
  return present || !decision.check ? decision : decision.check.fallback();
}
