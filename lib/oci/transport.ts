/**
 * The layers between the registry client and the wire, stacked the way go-containerregistry stacks its
 * http.RoundTrippers: each layer takes the one below it and is a RoundTripper itself, so each is small and can be
 * tested alone over a fake. From the client down:
 *
 *   authorizing (challenge, tokens) -> retrying (transient failures, Retry-After) -> following redirects
 *   -> rate limited (one token per request sent) -> user agent -> connections (Transport)
 */
import { authorizing } from './authorizing';
import type { CredentialSource } from './auth';
import { discard, header, type HttpRequest, isReplayable, type RoundTripper, transientError, unexpected } from './http';
import type { TokenBucket } from './limits';
import { isRetryableStatus, type RetryOptions, type RetryPolicy, withRetry } from './retry';

/** Wraps the RoundTripper below into one that adds a concern. */
export type Layer = (next: RoundTripper) => RoundTripper;

/** `base` under `layers`, the first layer listed outermost. */
export function stack(base: RoundTripper, layers: readonly Layer[]): RoundTripper {
  return layers.reduceRight<RoundTripper>((next, layer) => layer(next), base);
}

/** Names the client in every request (a `user-agent` the caller set wins). */
export function userAgent(name: string): Layer {
  return (next) => ({
    send: (request) => next.send({ ...request, headers: { 'user-agent': name, ...request.headers } }),
  });
}

/** Every request sent (each redirect hop and token fetch included) first waits for a token of the shared bucket. */
export function rateLimited(bucket: TokenBucket): Layer {
  return (next) => ({
    async send(request) {
      await bucket.take();
      return next.send(request);
    },
  });
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;

/**
 * Follows the redirects of GET and HEAD (registries send blob downloads to storage). The `authorization` header
 * goes only to the origin the request was made to, never to the storage it is sent on to.
 */
export function followingRedirects(maxRedirects = MAX_REDIRECTS): Layer {
  return (next) => ({
    async send(request) {
      const followable = request.method === 'GET' || request.method === 'HEAD';
      let current = request;
      for (let hop = 0; ; hop++) {
        const response = await next.send(current);
        const location = header(response, 'location');
        if (!followable || !location || !REDIRECT_STATUSES.has(response.status) || hop >= maxRedirects) return response;
        discard(response);
        current = redirected(request, new URL(location, current.url));
      }
    },
  });
}

function redirected(request: HttpRequest, url: URL): HttpRequest {
  if (url.origin === request.url.origin) return { ...request, url };
  const headers = Object.fromEntries(
    Object.entries(request.headers ?? {}).filter(([name]) => name.toLowerCase() !== 'authorization'),
  );
  return { ...request, url, headers };
}

/**
 * Sends a request again after a transient failure (throttling, 5xx, a dropped connection), waiting as the retry
 * policy and the server's `Retry-After` say. A status that stays retryable surfaces as its HttpError. A streamed body
 * cannot be sent twice: such a request goes once (whoever streams retries the whole transfer).
 */
export function retrying(options: Omit<RetryOptions, 'classify'> = {}): Layer {
  return (next) => ({
    send(request) {
      if (!isReplayable(request)) return next.send(request);
      return withRetry(
        async () => {
          const response = await next.send(request);
          if (isRetryableStatus(response.status)) throw await unexpected(request.method, response);
          return response;
        },
        { ...options, classify: transientError },
      );
    },
  });
}

export interface RegistryTransportOptions {
  /** The registry's origin (`https://host[:port]`): only requests to it carry credentials. */
  readonly origin: URL;
  /** The connections at the bottom of the stack (share one Transport between registries). */
  readonly connections: RoundTripper;
  /** @default anonymous */
  readonly credentials?: CredentialSource;
  /** Every request sent waits for a token. @default no limit */
  readonly rateLimiter?: TokenBucket;
  /** @default DEFAULT_RETRY_POLICY */
  readonly retry?: RetryPolicy;
  /** Told about each retry (for logs). */
  readonly onRetry?: RetryOptions['onRetry'];
  /** @default 'multicloud-registry-replicator' */
  readonly userAgent?: string;
}

/** The whole stack a RegistryClient sends through. */
export function registryTransport(options: RegistryTransportOptions): RoundTripper {
  return stack(options.connections, [
    authorizing({ origin: options.origin, credentials: options.credentials }),
    retrying({ policy: options.retry, onRetry: options.onRetry }),
    followingRedirects(),
    ...(options.rateLimiter ? [rateLimited(options.rateLimiter)] : []),
    userAgent(options.userAgent ?? 'multicloud-registry-replicator'),
  ]);
}
