/**
 * The bottom of the registry client's transport stack: the request and response shapes every layer speaks
 * (`RoundTripper`), node:http(s) with keep-alive agents as the layer that really sends, streamed bodies both ways,
 * and typed errors that say which request failed and whether trying again could help.
 */
import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isRetryableStatus, parseRetryAfter } from './retry';

export interface HttpRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers?: Record<string, string>;
  /** A buffer (replayable) or a stream (sent once, never buffered). */
  readonly body?: Buffer | Readable;
  /** The registry permissions this request needs (`repository:<name>:pull`...): read by the authorizing layer. */
  readonly scopes?: readonly string[];
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Readable;
  /** The URL that answered (after redirects). */
  readonly url: URL;
}

/** Sends one request and resolves with its response, whatever the status: every layer of the stack is one. */
export interface RoundTripper {
  send(request: HttpRequest): Promise<HttpResponse>;
}

/** A body that can be sent again (a retry, a redirect, a second try after an authentication challenge). */
export function isReplayable(request: HttpRequest): boolean {
  return !(request.body instanceof Readable);
}

/** A response with an unexpected status. `retryAfterMs` is set when the server asked for a pause. */
export class HttpError extends Error {
  constructor(
    readonly method: string,
    readonly url: string,
    readonly status: number,
    readonly detail: string,
    readonly retryAfterMs?: number,
  ) {
    super(`${method} ${url}: HTTP ${status}${detail ? ` ${detail}` : ''}`);
    this.name = 'HttpError';
  }
}

const TRANSIENT_NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET',
]);

/** Whether `error` is a failure a later attempt may not meet: throttling, 5xx, dropped connections. */
export function transientError(error: unknown): false | { retryAfterMs?: number } {
  if (error instanceof HttpError) {
    return isRetryableStatus(error.status) ? { retryAfterMs: error.retryAfterMs } : false;
  }
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && TRANSIENT_NETWORK_CODES.has(code)) return {};
  if (error instanceof Error && /socket hang up|other side closed/i.test(error.message)) return {};
  return false;
}

export interface TransportOptions {
  /** Sockets per host kept open. @default 64 */
  readonly maxSockets?: number;
  /** A request whose socket stays silent this long fails (and may be retried). @default 120000 */
  readonly idleTimeoutMs?: number;
}

/** Sends HTTP requests over keep-alive connections. `close()` ends the idle sockets. */
export class Transport implements RoundTripper {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  private readonly idleTimeoutMs: number;

  constructor(options: TransportOptions = {}) {
    const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 64, scheduling: 'lifo' as const };
    this.httpAgent = new http.Agent(agentOptions);
    this.httpsAgent = new https.Agent(agentOptions);
    this.idleTimeoutMs = options.idleTimeoutMs ?? 120_000;
  }

  send(request: HttpRequest): Promise<HttpResponse> {
    const { url } = request;
    const secure = url.protocol === 'https:';
    const module = secure ? https : http;
    return new Promise((resolve, reject) => {
      const outgoing = module.request(
        url,
        { method: request.method, headers: request.headers, agent: secure ? this.httpsAgent : this.httpAgent },
        (response) => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: response, url }),
      );
      outgoing.on('error', reject);
      outgoing.setTimeout(this.idleTimeoutMs, () => {
        outgoing.destroy(
          Object.assign(new Error(`${request.method} ${url.href}: no data for ${this.idleTimeoutMs} ms`), {
            code: 'ETIMEDOUT',
          }),
        );
      });
      const { body } = request;
      if (body instanceof Readable) {
        // A failing body (e.g. a digest mismatch) destroys the request before its last bytes are sent.
        pipeline(body, outgoing).catch((error: unknown) => {
          outgoing.destroy(error as Error);
          reject(error);
        });
      } else {
        outgoing.end(body);
      }
    });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

/** Reads a whole (small) response body; refuses bodies over `limit` bytes. */
export async function readBody(response: HttpResponse, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of response.body as AsyncIterable<Buffer>) {
    length += chunk.length;
    if (length > limit) {
      response.body.destroy();
      throw new Error(`${response.url.href}: response body larger than ${limit} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Consumes a response body we do not need, so its connection goes back to the pool. */
export function discard(response: HttpResponse): void {
  response.body.resume();
}

/** An HttpError for an unexpected response (reads a short excerpt of the error body the registry sent). */
export async function unexpected(method: string, response: HttpResponse): Promise<HttpError> {
  let detail = '';
  try {
    detail = (await readBody(response, 64 * 1024)).toString('utf8').slice(0, 300).trim();
  } catch {
    response.body.destroy();
  }
  return new HttpError(
    method,
    response.url.href,
    response.status,
    detail,
    parseRetryAfter(header(response, 'retry-after')),
  );
}

/** The `next` URL of an RFC 5988 `Link` header (`<url>; rel="next"`), resolved against `base`. */
export function nextLink(header: string | undefined, base: URL): URL | undefined {
  if (!header) return undefined;
  for (const part of header.split(/,(?=\s*<)/)) {
    const match = /^\s*<([^>]*)>\s*;(.*)$/.exec(part);
    if (match && /\brel\s*=\s*"?next"?/i.test(match[2]!)) return new URL(match[1]!, base);
  }
  return undefined;
}

/** The first value of a response header. */
export function header(response: HttpResponse, name: string): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** `Content-Length` as a number; undefined when absent or not a number. */
export function contentLength(response: HttpResponse): number | undefined {
  const value = header(response, 'content-length');
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
}
