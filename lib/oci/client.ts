/**
 * The registry operations of the OCI distribution API (distribution-spec v1.1): manifests and blobs, pulled and
 * pushed (blobs with cross-repository mounts), tags and the catalog with `Link` pagination. Each operation says which
 * request it makes, with which scopes, and which statuses answer it; how a request reaches the registry
 * (authentication, retries, redirects, rate limit) is the transport stack's business (transport.ts).
 */
import { Readable } from 'node:stream';
import { pullScope, pushScope } from './auth';
import { DigestMismatchError, digestWithAlgorithmOf, HashingStream, sha256Digest, verifying } from './digest';
import { isDigest } from './grammar';
import {
  contentLength,
  discard,
  header,
  HttpError,
  type HttpResponse,
  nextLink,
  readBody,
  type RoundTripper,
  Transport,
  unexpected,
} from './http';
import { registryOrigin } from './location';
import { MANIFEST_ACCEPT, type ParsedManifest, parseManifest } from './manifest';
import { registryTransport } from './transport';

/** Manifests larger than this are refused (the spec lets registries refuse above 4 MiB). */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
/** A page of `_catalog` or `tags/list`. */
const MAX_PAGE_BYTES = 16 * 1024 * 1024;

export interface RegistryClientOptions {
  /** `host` or `host:port`. */
  readonly host: string;
  /** Speak plain HTTP (only for registries the operator named as insecure). @default false */
  readonly insecure?: boolean;
  /**
   * The stack requests go through: registryTransport() for this registry's origin. @default an anonymous stack over
   * connections of the client's own (closed by close())
   */
  readonly transport?: RoundTripper;
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

/** A blob's bytes, or a function opening them: called only when the registry could not mount the blob. */
export type BlobBody = Readable | (() => Promise<Readable>);

type UploadStart = { readonly mounted: true } | { readonly mounted: false; readonly location: URL };

interface Call {
  readonly method: string;
  /** A path under the registry (`/v2/...`) or an absolute URL (upload locations, `Link` pages). */
  readonly target: string | URL;
  /** Scopes a bearer token must carry for this call. */
  readonly scopes: readonly string[];
  readonly headers?: Record<string, string>;
  readonly body?: Buffer | Readable;
  /** Statuses that are answers, not errors. */
  readonly ok: readonly number[];
}

export class RegistryClient {
  readonly host: string;
  private readonly origin: URL;
  private readonly transport: RoundTripper;
  private readonly ownConnections?: Transport;

  constructor(options: RegistryClientOptions) {
    this.host = options.host;
    this.origin = registryOrigin(options.host, options.insecure ?? false);
    if (options.transport) {
      this.transport = options.transport;
    } else {
      this.ownConnections = new Transport();
      this.transport = registryTransport({ origin: this.origin, connections: this.ownConnections });
    }
  }

  /** `GET /v2/`: the registry answers (authentication included). */
  async ping(): Promise<void> {
    discard(await this.call({ method: 'GET', target: '/v2/', scopes: [], ok: [200] }));
  }

  /** Every repository name in the registry (`_catalog`, following `Link` pagination). */
  async *catalog(pageSize = 1000): AsyncGenerator<string> {
    for await (const page of this.pages(`/v2/_catalog?n=${pageSize}`, ['registry:catalog:*'], [200]))
      yield* strings(page.repositories);
  }

  /** Every tag of a repository (`tags/list`, following `Link` pagination); [] when the repository does not exist. */
  async listTags(repository: string, pageSize = 1000): Promise<string[]> {
    const tags: string[] = [];
    const pages = this.pages(`/v2/${repository}/tags/list?n=${pageSize}`, [pullScope(repository)], [200, 404]);
    for await (const page of pages) tags.push(...strings(page.tags));
    return tags;
  }

  /**
   * The digests of every manifest in a repository, when the registry lists them with its tags: the `manifest` map
   * Container Registry and Artifact Registry add to `tags/list` (beyond the distribution spec). Undefined from a
   * registry that does not (ask manifest by manifest instead); empty when the repository does not exist.
   */
  async listManifests(repository: string, pageSize = 1000): Promise<Set<string> | undefined> {
    const digests = new Set<string>();
    const pages = this.pages(`/v2/${repository}/tags/list?n=${pageSize}`, [pullScope(repository)], [200, 404]);
    for await (const page of pages) {
      const listed = page.manifest;
      if (typeof listed !== 'object' || listed === null) return undefined;
      for (const digest of Object.keys(listed)) if (isDigest(digest)) digests.add(digest);
    }
    return digests;
  }

  /** HEAD a manifest by tag or digest; undefined when absent. */
  async headManifest(repository: string, reference: string): Promise<ManifestHead | undefined> {
    const response = await this.call({
      method: 'HEAD',
      target: `/v2/${repository}/manifests/${reference}`,
      scopes: [pullScope(repository)],
      headers: { accept: MANIFEST_ACCEPT },
      ok: [200, 404],
    });
    discard(response);
    if (response.status === 404) return undefined;
    const announced = header(response, 'docker-content-digest');
    const digest = announced && isDigest(announced) ? announced : isDigest(reference) ? reference : undefined;
    if (digest === undefined) {
      // Without the header a HEAD by tag cannot tell the digest: ask for the bytes.
      const fetched = await this.getManifest(repository, reference);
      return { digest: fetched.digest, mediaType: fetched.mediaType, size: fetched.size };
    }
    return { digest, mediaType: header(response, 'content-type') ?? '', size: contentLength(response) ?? 0 };
  }

  /** GET a manifest and verify its bytes against the digest asked for (or the one the registry announced). */
  async getManifest(repository: string, reference: string): Promise<FetchedManifest> {
    const response = await this.call({
      method: 'GET',
      target: `/v2/${repository}/manifests/${reference}`,
      scopes: [pullScope(repository)],
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
    const parsed = parseManifest(bytes, header(response, 'content-type'));
    return { digest: expected, mediaType: parsed.mediaType, size: bytes.length, bytes, parsed };
  }

  /** PUT a manifest under a tag or its digest. */
  async putManifest(
    repository: string,
    reference: string,
    manifest: { bytes: Buffer; mediaType: string },
  ): Promise<void> {
    discard(
      await this.call({
        method: 'PUT',
        target: `/v2/${repository}/manifests/${reference}`,
        scopes: [pushScope(repository)],
        headers: { 'content-type': manifest.mediaType, 'content-length': String(manifest.bytes.length) },
        body: manifest.bytes,
        ok: [201],
      }),
    );
  }

  /** The size of a blob in a repository, or undefined when it is not there. */
  async blobSize(repository: string, digest: string): Promise<number | undefined> {
    const response = await this.call({
      method: 'HEAD',
      target: `/v2/${repository}/blobs/${digest}`,
      scopes: [pullScope(repository)],
      ok: [200, 404],
    });
    discard(response);
    return response.status === 200 ? (contentLength(response) ?? 0) : undefined;
  }

  /** GET a blob as a stream (redirects to storage followed). The caller verifies the bytes (VerifyingStream). */
  async getBlob(repository: string, digest: string): Promise<{ size: number | undefined; body: Readable }> {
    const response = await this.call({
      method: 'GET',
      target: `/v2/${repository}/blobs/${digest}`,
      scopes: [pullScope(repository)],
      ok: [200],
    });
    return { size: contentLength(response), body: response.body };
  }

  /**
   * Pushes a blob of known digest and size. With `mountFrom`, the registry is first asked to mount it from that
   * repository (`POST .../blobs/uploads/?mount=<digest>&from=<repository>`): when it can, no byte is sent and `body`
   * is never opened. Otherwise one monolithic streamed PUT, bytes verified as they flow: a wrong blob never completes
   * its upload, and the session is cancelled. Callers HEAD first to skip blobs already there.
   */
  async pushBlob(
    repository: string,
    digest: string,
    size: number,
    body: BlobBody,
    mountFrom?: string,
  ): Promise<'mounted' | 'uploaded'> {
    const start = await this.startUpload(repository, mountFrom ? { digest, repository: mountFrom } : undefined);
    if (start.mounted) {
      if (body instanceof Readable) body.destroy();
      return 'mounted';
    }
    let bytes: Readable | undefined;
    try {
      bytes = body instanceof Readable ? body : await body();
      await this.putBlob(repository, start.location, digest, size, verifying(bytes, digest, size));
      return 'uploaded';
    } catch (error) {
      bytes?.destroy();
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
    const hashing = new HashingStream('sha256');
    body.on('error', (error) => hashing.destroy(error));
    try {
      const patched = await this.call({
        method: 'PATCH',
        target: start.location,
        scopes: [pushScope(repository)],
        headers: { 'content-type': 'application/octet-stream' },
        body: body.pipe(hashing),
        ok: [202],
      });
      discard(patched);
      const digest = `sha256:${hashing.hex()}`;
      // Every byte went with the PATCH: the closing PUT names the digest and carries an empty body.
      await this.putBlob(repository, uploadLocation(patched), digest, 0, Readable.from([]));
      return { digest, size: hashing.size };
    } catch (error) {
      await this.cancelUpload(repository, start.location);
      throw error;
    }
  }

  /** Closes idle connections (only those of connections this client created). */
  close(): void {
    this.ownConnections?.close();
  }

  /** Opens an upload session, or mounts the blob from another repository when asked and able (201). */
  private async startUpload(
    repository: string,
    mountFrom?: { digest: string; repository: string },
  ): Promise<UploadStart> {
    const query = mountFrom
      ? `?mount=${encodeURIComponent(mountFrom.digest)}&from=${encodeURIComponent(mountFrom.repository)}`
      : '';
    const response = await this.call({
      method: 'POST',
      target: `/v2/${repository}/blobs/uploads/${query}`,
      scopes: [pushScope(repository), ...(mountFrom ? [pullScope(mountFrom.repository)] : [])],
      headers: { 'content-length': '0' },
      body: Buffer.alloc(0),
      ok: [201, 202],
    });
    discard(response);
    return response.status === 201 ? { mounted: true } : { mounted: false, location: uploadLocation(response) };
  }

  /** Completes an upload session with one streamed PUT of the whole blob (`?digest=`: the registry verifies it). */
  private async putBlob(repository: string, location: URL, digest: string, size: number, body: Readable) {
    const url = new URL(location);
    url.searchParams.set('digest', digest);
    discard(
      await this.call({
        method: 'PUT',
        target: url,
        scopes: [pushScope(repository)],
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
        body,
        ok: [201],
      }),
    );
  }

  /** Abandons an upload session (best effort: the registry also expires it). */
  private async cancelUpload(repository: string, location: URL): Promise<void> {
    try {
      discard(
        await this.call({ method: 'DELETE', target: location, scopes: [pushScope(repository)], ok: [202, 204, 404] }),
      );
    } catch {
      // The registry garbage-collects abandoned sessions; a failed cancel changes nothing visible.
    }
  }

  /** The JSON pages of a paginated listing, following `Link: <...>; rel="next"`; none when answered 404. */
  private async *pages(first: string, scopes: readonly string[], ok: readonly number[]) {
    for (let target: string | URL | undefined = first; target;) {
      const response = await this.call({ method: 'GET', target, scopes, ok });
      if (response.status === 404) {
        discard(response);
        return;
      }
      yield JSON.parse((await readBody(response, MAX_PAGE_BYTES)).toString('utf8')) as Record<string, unknown>;
      target = nextLink(header(response, 'link'), response.url);
    }
  }

  /** One API call through the transport stack; a status the call does not expect becomes an HttpError. */
  private async call(call: Call): Promise<HttpResponse> {
    const url = typeof call.target === 'string' ? new URL(call.target, this.origin) : call.target;
    const response = await this.transport.send({
      method: call.method,
      url,
      headers: call.headers,
      body: call.body,
      scopes: call.scopes,
    });
    if (call.ok.includes(response.status)) return response;
    throw await unexpected(call.method, response);
  }
}

function strings(list: unknown): string[] {
  return Array.isArray(list) ? list.filter((item): item is string => typeof item === 'string') : [];
}

function uploadLocation(response: HttpResponse): URL {
  const location = header(response, 'location');
  if (!location)
    throw new HttpError('POST', response.url.href, response.status, 'upload response without a Location header');
  return new URL(location, response.url);
}
