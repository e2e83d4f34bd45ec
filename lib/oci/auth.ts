/**
 * Registry authentication as Docker Hub and Artifact Registry do it: a 401 with `WWW-Authenticate: Bearer realm=...,
 * service=...,scope=...` sends the client to a token service (with basic credentials when it has some); a `Basic`
 * challenge takes the credentials directly.
 */

export interface BasicCredentials {
  readonly username: string;
  readonly password: string;
}

/** Where credentials come from; called when needed, may refresh (e.g. a metadata-server token). */
export type CredentialSource = () => Promise<BasicCredentials | undefined>;

export const ANONYMOUS: CredentialSource = async () => undefined;

export interface Challenge {
  readonly scheme: string;
  readonly params: Readonly<Record<string, string>>;
}

/** Parses a `WWW-Authenticate` header with one challenge: `Bearer realm="...",service="...",scope="..."`. */
export function parseChallenge(header: string): Challenge | undefined {
  const match = /^\s*([A-Za-z][A-Za-z0-9_-]*)\s*(.*)$/s.exec(header);
  if (!match) return undefined;
  const params: Record<string, string> = {};
  const pattern = /([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*(?:,|$)/g;
  for (const param of match[2]!.matchAll(pattern)) {
    params[param[1]!.toLowerCase()] = param[2] !== undefined ? param[2].replace(/\\(.)/g, '$1') : (param[3] ?? '');
  }
  return { scheme: match[1]!.toLowerCase(), params };
}

export function basicAuthorization(credentials: BasicCredentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
}

/** The token-service URL for a Bearer challenge and the scopes we need. */
export function tokenUrl(challenge: Challenge, scopes: readonly string[]): URL {
  const realm = challenge.params.realm;
  if (!realm) throw new Error('Bearer challenge without a realm');
  const url = new URL(realm);
  if (challenge.params.service) url.searchParams.set('service', challenge.params.service);
  for (const scope of scopes) url.searchParams.append('scope', scope);
  return url;
}

export interface IssuedToken {
  readonly token: string;
  /** Epoch milliseconds after which the token must not be used. */
  readonly expiresAt: number;
}

/** Reads a token-service response (`token` or `access_token`, `expires_in` defaulting to 60 s as the spec says). */
export function parseTokenResponse(json: unknown, now: number = Date.now()): IssuedToken {
  const body = (json ?? {}) as { token?: unknown; access_token?: unknown; expires_in?: unknown };
  const token = typeof body.token === 'string' && body.token ? body.token : body.access_token;
  if (typeof token !== 'string' || !token) throw new Error('token service answered without a token');
  const expiresIn = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 60;
  // Renew 10 s early (or at half-life for very short tokens) so a token never expires mid-request.
  return { token, expiresAt: now + expiresIn * 1000 - Math.min(10_000, (expiresIn * 1000) / 2) };
}

/** The token scope to read a repository: `repository:<name>:pull`. */
export function pullScope(repository: string): string {
  return `repository:${repository}:pull`;
}

/** The token scope to write a repository (reading included): `repository:<name>:pull,push`. */
export function pushScope(repository: string): string {
  return `repository:${repository}:pull,push`;
}
