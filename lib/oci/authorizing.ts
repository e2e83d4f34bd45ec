/**
 * The authorizing layer of the transport stack. The registry's first 401 names its scheme (the challenge); from then
 * on every request to the registry carries authorization up front: `Basic` with the credentials, or `Bearer` with a
 * token the challenge's token service issued for the request's scopes. Tokens are cached per set of scopes until
 * shortly before they expire, and concurrent requests share one token fetch. Requests to other origins (storage an
 * upload was sent to) go unauthorized.
 */
import {
  ANONYMOUS,
  basicAuthorization,
  type Challenge,
  type CredentialSource,
  type IssuedToken,
  parseChallenge,
  parseTokenResponse,
  tokenUrl,
} from './auth';
import {
  discard,
  header,
  type HttpRequest,
  type HttpResponse,
  isReplayable,
  readBody,
  type RoundTripper,
  unexpected,
} from './http';
import type { Layer } from './transport';

export interface AuthorizingOptions {
  /** The registry's origin: only requests to it are authorized. */
  readonly origin: URL;
  /** @default anonymous (a Bearer challenge still gets an anonymous token) */
  readonly credentials?: CredentialSource;
  /** Epoch milliseconds, for token expiry. @default Date.now */
  readonly now?: () => number;
}

export function authorizing(options: AuthorizingOptions): Layer {
  return (next) => new AuthorizingTransport(next, options);
}

/** Token responses are small JSON documents; anything larger is refused. */
const MAX_TOKEN_RESPONSE_BYTES = 1024 * 1024;

class AuthorizingTransport implements RoundTripper {
  private readonly origin: string;
  private readonly credentials: CredentialSource;
  private readonly now: () => number;
  /** The registry's challenge once seen: after that, authorization is sent up front. */
  private challenge: Challenge | undefined;
  private readonly tokens = new Map<string, Promise<IssuedToken>>();

  constructor(
    private readonly next: RoundTripper,
    options: AuthorizingOptions,
  ) {
    this.origin = options.origin.origin;
    this.credentials = options.credentials ?? ANONYMOUS;
    this.now = options.now ?? Date.now;
  }

  async send(request: HttpRequest): Promise<HttpResponse> {
    if (request.url.origin !== this.origin) return this.next.send(request);
    const scopes = request.scopes ?? [];
    const response = await this.next.send(await this.authorized(request, scopes));
    if (response.status !== 401 || !isReplayable(request)) return response;
    const challengeHeader = header(response, 'www-authenticate');
    const challenge = challengeHeader ? parseChallenge(challengeHeader) : undefined;
    if (!challenge) return response;
    discard(response);
    this.challenge = challenge;
    this.tokens.delete(scopeKey(scopes));
    return this.next.send(await this.authorized(request, scopes, challenge.params.scope));
  }

  private async authorized(request: HttpRequest, scopes: readonly string[], challengeScope?: string) {
    const authorization = await this.authorization(scopes, challengeScope);
    return authorization ? { ...request, headers: { ...request.headers, authorization } } : request;
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
      throw new Error(`${this.origin}: unsupported authentication scheme ${challenge.scheme}`);
    const wanted = challengeScope && !scopes.includes(challengeScope) ? [...scopes, challengeScope] : scopes;
    const key = scopeKey(scopes);
    let pending = this.tokens.get(key);
    if (pending) {
      const cached = await pending.catch(() => undefined);
      if (!cached || cached.expiresAt <= this.now()) pending = undefined;
    }
    if (!pending) {
      pending = this.fetchToken(challenge, wanted);
      this.tokens.set(key, pending);
      pending.catch(() => this.tokens.delete(key));
    }
    return `Bearer ${(await pending).token}`;
  }

  /** One GET of the token service, through the layers below (retried, rate limited like any request). */
  private async fetchToken(challenge: Challenge, scopes: readonly string[]): Promise<IssuedToken> {
    const credentials = await this.credentials();
    const headers: Record<string, string> = credentials ? { authorization: basicAuthorization(credentials) } : {};
    const response = await this.next.send({ method: 'GET', url: tokenUrl(challenge, scopes), headers });
    if (response.status !== 200) throw await unexpected('GET', response);
    const body = await readBody(response, MAX_TOKEN_RESPONSE_BYTES);
    return parseTokenResponse(JSON.parse(body.toString('utf8')), this.now());
  }
}

function scopeKey(scopes: readonly string[]): string {
  return [...scopes].sort().join(' ');
}
