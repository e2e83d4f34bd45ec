/**
 * A client for the OCI distribution API (distribution-spec v1.1): pull and push manifests and blobs, list tags and
 * the catalog with `Link` pagination, mount blobs across repositories, authenticate with basic or bearer-token
 * challenges. Blobs are streams end to end; every request passes the shared rate limiter; requests without a
 * streamed body are retried on throttling and transient failures.
 */
import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import {
  ANONYMOUS,
  basicAuthorization,
  type Challenge,
  type CredentialSource,
  type IssuedToken,
  parseChallenge,
  parseTokenResponse,
  repositoryScope,
  tokenUrl,
} from './auth';
import { DigestMismatchError, digestWithAlgorithmOf, sha256Digest, VerifyingStream } from './digest';
import { isDigest } from './grammar';
import {
  discard,
  HttpError,
  type HttpResponse,
  nextLink,
  readBody,
  Transport,
  transientError,
  unexpected,
} from './http';
import type { TokenBucket } from './limits';
import { MANIFEST_ACCEPT, type ParsedManifest, parseManifest } from './manifest';
import { DEFAULT_RETRY_POLICY, type RetryPolicy, withRetry } from './retry';

/** Manifests larger than this are refused (the spec lets registries refuse above 4 MiB). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export interface RegistryClientOptions {
  /** `host` or `host:port`. */
  readonly host: string;
  /** Speak plain HTTP (only for registries the operator named as insecure). @default false */
  readonly insecure?: boolean;
  /** @default anonymous */
  readonly credentials?: CredentialSource;
  /** Share one transport (and its keep-alive connections) between clients. @default a new Transport */
  readonly transport?: Transport;
  /** Every HTTP request waits for a token. @default no limit */
  readonly rateLimiter?: TokenBucket;
  /** @default DEFAULT_RETRY_POLICY */
  readonly retry?: RetryPolicy;
  /** Told about each retry (for logs). */
  readonly onRetry?: (info: { error: unknown; retry: number; delayMs: number }) => void;
  /** @default 'multicloud-registry-replicator' */
  readonly userAgent?: string;
}

export interface ManifestHead {
  readonly digest: string;
  readonly mediaType: string;
  readonly size: number;
}

export interface FetchedManifest extends ManifestHead {
  readonly bytes: Buffer;
  readonly parsed: ParsedManifest;
}

export type UploadStart = { readonly mounted: true } | { readonly mounted: false; readonly location: URL };

interface Call {
  readonly method: string;
  /** A path under the registry (`/v2/...`) or an absolute URL (upload locations). */
  readonly target: string | URL;
  /** Scopes a bearer token must carry for this call. */
  readonly scopes: readonly string[];
  readonly headers?: Record<string, string>;
  readonly body?: Buffer | Readable;
  /** Statuses that are answers, not errors. */
  readonly ok: readonly number[];
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;

export class RegistryClient {
  readonly host: string;
  private readonly base: URL;
  private readonly credentials: CredentialSource;
  private readonly transport: Transport;
  private readonly ownsTransport: boolean;
  private readonly rateLimiter?: TokenBucket;
  private readonly retryPolicy: RetryPolicy;
  private readonly onRetry?: RegistryClientOptions['onRetry'];
  private readonly userAgent: string;
  /** The registry's challenge once seen: after that, authorization is sent up front. */
  private challenge: Challenge | undefined;
  private readonly tokens = new Map<string, Promise<IssuedToken>>();

  constructor(options: RegistryClientOptions) {
    this.host = options.host;
    this.base = new URL(`${options.insecure ? 'http' : 'https'}://${options.host}`);
    this.credentials = options.credentials ?? ANONYMOUS;
    this.ownsTransport = !options.transport;
    this.transport = options.transport ?? new Transport();
    this.rateLimiter = options.rateLimiter;
    this.retryPolicy = options.retry ?? DEFAULT_RETRY_POLICY;
    this.onRetry = options.onRetry;
    this.userAgent = options.userAgent ?? 'multicloud-registry-replicator';
  }

  /** `GET /v2/`: the registry answers (authentication included). */
  async ping(): Promise<void> {
    discard(await this.request({ method: 'GET', target: '/v2/', scopes: [], ok: [200] }));
  }

  /** Every repository name in the registry (`_catalog`, following `Link` pagination). */
  async *catalog(pageSize = 1000): AsyncGenerator<string> {
    let target: string | URL = `/v2/_catalog?n=${pageSize}`;
    for (;;) {
      const response = await this.request({ method: 'GET', target, scopes: ['registry:catalog:*'], ok: [200] });
      const page = JSON.parse((await readBody(response, 16 * 1024 * 1024)).toString('utf8')) as {
        repositories?: unknown;
      };
      for (const name of Array.isArray(page.repositories) ? page.repositories : [])
        if (typeof name === 'string') yield name;
      const next = nextLink(header(response, 'link'), response.url);
      if (!next) return;
      target = next;
    }
  }

  /** Every tag of a repository (`tags/list`, following `Link` pagination); [] when the repository does not exist. */
  async listTags(repository: string, pageSize = 1000): Promise<string[]> {
    const tags: string[] = [];
    let target: string | URL = `/v2/${repository}/tags/list?n=${pageSize}`;
    for (;;) {
      const response = await this.request({
        method: 'GET',
        target,
        scopes: [repositoryScope(repository, false)],
        ok: [200, 404],
      });
      if (response.status === 404) {
        discard(response);
        return tags;
      }
      const page = JSON.parse((await readBody(response, 16 * 1024 * 1024)).toString('utf8')) as { tags?: unknown };
      for (const tag of Array.isArray(page.tags) ? page.tags : []) if (typeof tag === 'string') tags.push(tag);
      const next = nextLink(header(response, 'link'), response.url);
      if (!next) return tags;
      target = next;
    }
  }

  /** HEAD a manifest by tag or digest; undefined when absent. */
  async headManifest(repository: string, reference: string): Promise<ManifestHead | undefined> {
    const response = await this.request({
      method: 'HEAD',
      target: `/v2/${repository}/manifests/${reference}`,
      scopes: [repositoryScope(repository, false)],
      headers: { accept: MANIFEST_ACCEPT },
      ok: [200, 404],
    });
    discard(response);
    if (response.status === 404) return undefined;
    const digest = header(response, 'docker-content-digest');
    if (!digest || !isDigest(digest)) {
      if (isDigest(reference))
        return {
          digest: reference,
          mediaType: header(response, 'content-type') ?? '',
          size: contentLength(response) ?? 0,
        };
      // Without the header a HEAD cannot tell the digest: ask for the bytes.
      const { bytes, parsed, ...head } = await this.getManifest(repository, reference);
      void bytes;
      void parsed;
      return head;
    }
    return { digest, mediaType: header(response, 'content-type') ?? '', size: contentLength(response) ?? 0 };
  }

  /** GET a manifest and verify its bytes against the digest asked for (or the one the registry announced). */
  async getManifest(repository: string, reference: string): Promise<FetchedManifest> {
    const response = await this.request({
      method: 'GET',
      target: `/v2/${repository}/manifests/${reference}`,
      scopes: [repositoryScope(repository, false)],
      headers: { accept: MANIFEST_ACCEPT },
      ok: [200],
    });
    const bytes = await readBody(response, MAX_MANIFEST_BYTES);
    const announced = header(response, 'docker-content-digest');
    const expected = isDigest(reference)
      ? reference
      : announced && isDigest(announced)
        ? announced
        : sha256Digest(bytes);
    const actual = digestWithAlgorithmOf(expected, bytes);
    if (actual !== expected)
      throw new DigestMismatchError(expected, actual, `manifest ${repository}:${reference} has digest ${actual}`);
    const contentType = header(response, 'content-type');
    const parsed = parseManifest(bytes, contentType);
    return { digest: expected, mediaType: parsed.mediaType, size: bytes.length, bytes, parsed };
  }

  /** PUT a manifest under a tag or its digest. */
  async putManifest(
    repository: string,
    reference: string,
    manifest: { bytes: Buffer; mediaType: string },
  ): Promise<void> {
    discard(
      await this.request({
        method: 'PUT',
        target: `/v2/${repository}/manifests/${reference}`,
        scopes: [repositoryScope(repository, true)],
        headers: { 'content-type': manifest.mediaType, 'content-length': String(manifest.bytes.length) },
        body: manifest.bytes,
        ok: [201],
      }),
    );
  }

  /** The size of a blob in a repository, or undefined when it is not there. */
  async blobSize(repository: string, digest: string): Promise<number | undefined> {
    const response = await this.request({
      method: 'HEAD',
      target: `/v2/${repository}/blobs/${digest}`,
      scopes: [repositoryScope(repository, false)],
      ok: [200, 404],
    });
    discard(response);
    return response.status === 200 ? (contentLength(response) ?? 0) : undefined;
  }

  /** GET a blob as a stream (redirects to storage followed). The caller verifies the bytes (VerifyingStream). */
  async getBlob(repository: string, digest: string): Promise<{ size: number | undefined; body: Readable }> {
    const response = await this.request({
      method: 'GET',
      target: `/v2/${repository}/blobs/${digest}`,
      scopes: [repositoryScope(repository, false)],
      ok: [200],
    });
    return { size: contentLength(response), body: response.body };
  }

  /**
   * Opens an upload session; with `mountFrom`, first asks the registry to mount the blob from another repository
   * it already holds (201: nothing to upload).
   */
  async startUpload(repository: string, mountFrom?: { digest: string; repository: string }): Promise<UploadStart> {
    const query = mountFrom
      ? `?mount=${encodeURIComponent(mountFrom.digest)}&from=${encodeURIComponent(mountFrom.repository)}`
      : '';
    const scopes = [
      repositoryScope(repository, true),
      ...(mountFrom ? [repositoryScope(mountFrom.repository, false)] : []),
    ];
    const response = await this.request({
      method: 'POST',
      target: `/v2/${repository}/blobs/uploads/${query}`,
      scopes,
      headers: { 'content-length': '0' },
      body: Buffer.alloc(0),
      ok: [201, 202],
    });
    discard(response);
    if (response.status === 201) return { mounted: true };
    return { mounted: false, location: this.uploadLocation(response) };
  }

  /** Completes an upload session with one streamed PUT of the whole blob (`?digest=`: the registry verifies it). */
  async putBlob(repository: string, location: URL, digest: string, size: number, body: Readable): Promise<void> {
    const url = new URL(location);
    url.searchParams.set('digest', digest);
    discard(
      await this.request({
        method: 'PUT',
        target: url,
        scopes: [repositoryScope(repository, true)],
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
        body,
        ok: [201],
      }),
    );
  }

  /** Abandons an upload session (best effort: the registry also expires it). */
  async cancelUpload(repository: string, location: URL): Promise<void> {
    try {
      discard(
        await this.request({
          method: 'DELETE',
          target: location,
          scopes: [repositoryScope(repository, true)],
          ok: [202, 204, 404],
        }),
      );
    } catch {
      // The registry garbage-collects abandoned sessions; a failed cancel changes nothing visible.
    }
  }

  /**
   * Pushes a blob of known digest and size from a stream: one monolithic streamed PUT, bytes verified as they flow
   * (a wrong blob never completes its upload; the session is cancelled). Callers HEAD first to skip existing blobs.
   */
  async pushBlob(repository: string, digest: string, size: number, body: Readable): Promise<void> {
    const start = await this.startUpload(repository);
    if (start.mounted) return;
    const verified = body.pipe(new VerifyingStream(digest, size));
    body.on('error', (error) => verified.destroy(error));
    try {
      await this.putBlob(repository, start.location, digest, size, verified);
    } catch (error) {
      body.destroy();
      await this.cancelUpload(repository, start.location);
      throw error;
    }
  }

  /**
   * Pushes a blob whose digest is not known in advance (chunked upload: POST, one streamed PATCH, PUT `?digest=`):
   * returns the digest computed while streaming.
   */
  async pushBlobChunked(repository: string, body: Readable): Promise<{ digest: string; size: number }> {
    const start = await this.startUpload(repository);
    if (start.mounted) throw new Error('registry mounted a blob nobody asked for');
    const hash = createHash('sha256');
    let size = 0;
    const hashing = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        hash.update(chunk);
        size += chunk.length;
        callback(null, chunk);
      },
    });
    body.on('error', (error) => hashing.destroy(error));
    try {
      const patched = await this.request({
        method: 'PATCH',
        target: start.location,
        scopes: [repositoryScope(repository, true)],
        headers: { 'content-type': 'application/octet-stream' },
        body: body.pipe(hashing),
        ok: [202],
      });
      discard(patched);
      const digest = `sha256:${hash.digest('hex')}`;
      // Every byte went with the PATCH: the closing PUT names the digest and carries an empty body.
      await this.putBlob(repository, this.uploadLocation(patched), digest, 0, Readable.from([]));
      return { digest, size };
    } catch (error) {
      await this.cancelUpload(repository, start.location);
      throw error;
    }
  }

  /** Closes idle connections (only those of a transport this client created). */
  close(): void {
    if (this.ownsTransport) this.transport.close();
  }

  private uploadLocation(response: HttpResponse): URL {
    const location = header(response, 'location');
    if (!location)
      throw new HttpError('POST', response.url.href, response.status, 'upload response without a Location header');
    return new URL(location, response.url);
  }

  /** One API call: authorization, redirects, expected statuses; retried when its body can be sent again. */
  private async request(call: Call): Promise<HttpResponse> {
    if (call.body instanceof Readable) return this.attempt(call);
    return withRetry(() => this.attempt(call), {
      policy: this.retryPolicy,
      classify: transientError,
      onRetry: this.onRetry,
    });
  }

  private async attempt(call: Call): Promise<HttpResponse> {
    let response = await this.send(call, await this.authorization(call.scopes));
    if (response.status === 401 && !call.ok.includes(401)) {
      const challengeHeader = header(response, 'www-authenticate');
      const challenge = challengeHeader ? parseChallenge(challengeHeader) : undefined;
      if (challenge && !(call.body instanceof Readable)) {
        discard(response);
        this.challenge = challenge;
        this.tokens.delete(scopeKey(call.scopes));
        response = await this.send(call, await this.authorization(call.scopes, challenge.params.scope));
      }
    }
    if (call.ok.includes(response.status)) return response;
    throw await unexpected(call.method, response);
  }

  /** Sends one request, following redirects of GET/HEAD; credentials never leave the registry's origin. */
  private async send(call: Call, authorization: string | undefined): Promise<HttpResponse> {
    let url = typeof call.target === 'string' ? new URL(call.target, this.base) : call.target;
    for (let hop = 0; ; hop++) {
      const headers: Record<string, string> = { 'user-agent': this.userAgent, ...call.headers };
      if (authorization && url.origin === this.base.origin) headers.authorization = authorization;
      await this.rateLimiter?.take();
      const response = await this.transport.send({ method: call.method, url, headers, body: call.body });
      const location = header(response, 'location');
      const follow = REDIRECTS.has(response.status) && location && (call.method === 'GET' || call.method === 'HEAD');
      if (!follow || hop >= MAX_REDIRECTS) return response;
      discard(response);
      url = new URL(location, url);
    }
  }

  /** The Authorization header for these scopes under the registry's last challenge (none before any challenge). */
  private async authorization(scopes: readonly string[], challengeScope?: string): Promise<string | undefined> {
    const challenge = this.challenge;
    if (!challenge) return undefined;
    if (challenge.scheme === 'basic') {
      const credentials = await this.credentials();
      return credentials ? basicAuthorization(credentials) : undefined;
    }
    if (challenge.scheme !== 'bearer')
      throw new Error(`${this.host}: unsupported authentication scheme ${challenge.scheme}`);
    const wanted = challengeScope && !scopes.includes(challengeScope) ? [...scopes, challengeScope] : scopes;
    const key = scopeKey(scopes);
    let pending = this.tokens.get(key);
    if (pending) {
      const cached = await pending.catch(() => undefined);
      if (!cached || cached.expiresAt <= Date.now()) pending = undefined;
    }
    if (!pending) {
      pending = this.fetchToken(challenge, wanted);
      this.tokens.set(key, pending);
      pending.catch(() => this.tokens.delete(key));
    }
    return `Bearer ${(await pending).token}`;
  }

  private async fetchToken(challenge: Challenge, scopes: readonly string[]): Promise<IssuedToken> {
    const url = tokenUrl(challenge, scopes);
    const credentials = await this.credentials();
    return withRetry(
      async () => {
        await this.rateLimiter?.take();
        const headers: Record<string, string> = { 'user-agent': this.userAgent };
        if (credentials) headers.authorization = basicAuthorization(credentials);
        const response = await this.transport.send({ method: 'GET', url, headers });
        if (response.status !== 200) throw await unexpected('GET', response);
        return parseTokenResponse(JSON.parse((await readBody(response, 1024 * 1024)).toString('utf8')));
      },
      { policy: this.retryPolicy, classify: transientError, onRetry: this.onRetry },
    );
  }
}

function scopeKey(scopes: readonly string[]): string {
  return [...scopes].sort().join(' ');
}

function header(response: HttpResponse, name: string): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function contentLength(response: HttpResponse): number | undefined {
  const value = header(response, 'content-length');
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
}
