/**
 * Credentials from the standard chains, never from flags or files: registries through `REGISTRY_AUTH=gcp-metadata`
 * (an OAuth token of the job's service account, from the GCP metadata server) or `REGISTRY_USERNAME`/`REGISTRY_PASSWORD`,
 * else anonymous; S3 through the AWS SDK default chain, or — with `AWS_ROLE_ARN` and `AWS_WEB_IDENTITY_AUDIENCE` set
 * (Cloud Run Jobs) — AssumeRoleWithWebIdentity with a Google ID token for that audience.
 */
import { fromWebToken } from '@aws-sdk/credential-provider-web-identity';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import { ANONYMOUS, type CredentialSource } from '../oci';
import { UsageError } from './errors';
import type { Env } from '../config/env';

/** The metadata server's base URL; `GCE_METADATA_HOST` overrides the host as Google's client libraries do. */
function metadataBaseUrl(env: Env): string {
  return `http://${env.GCE_METADATA_HOST || 'metadata.google.internal'}/computeMetadata/v1`;
}

async function metadataGet(env: Env, path: string): Promise<string> {
  const url = `${metadataBaseUrl(env)}${path}`;
  const response = await fetch(url, { headers: { 'Metadata-Flavor': 'Google' }, signal: AbortSignal.timeout(10_000) });
  const body = await response.text();
  if (!response.ok) throw new Error(`metadata server ${url}: HTTP ${response.status} ${body.slice(0, 200)}`);
  if (response.headers.get('metadata-flavor') !== 'Google')
    throw new Error(`metadata server ${url}: not a GCP metadata server`);
  return body;
}

/** An OAuth access token of the default service account. */
async function metadataAccessToken(env: Env): Promise<{ token: string; expiresAt: number }> {
  const body = JSON.parse(await metadataGet(env, '/instance/service-accounts/default/token')) as {
    access_token?: unknown;
    expires_in?: unknown;
  };
  if (typeof body.access_token !== 'string' || !body.access_token)
    throw new Error('metadata server returned no access_token');
  const expiresIn = typeof body.expires_in === 'number' ? body.expires_in : 300;
  return { token: body.access_token, expiresAt: Date.now() + Math.max(0, expiresIn - 60) * 1000 };
}

/** A Google-signed ID token for `audience` (the AWS role's trust policy checks it). */
export async function metadataIdentityToken(env: Env, audience: string): Promise<string> {
  const query = `audience=${encodeURIComponent(audience)}&format=full`;
  return (await metadataGet(env, `/instance/service-accounts/default/identity?${query}`)).trim();
}

/** Registry credentials from the environment (the same for source and destinations). */
export function registryCredentials(env: Env): CredentialSource {
  const mode = env.REGISTRY_AUTH;
  if (mode === 'gcp-metadata') {
    let current: Promise<{ token: string; expiresAt: number }> | undefined;
    return async () => {
      const cached = current && (await current.catch(() => undefined));
      if (!cached || cached.expiresAt <= Date.now()) current = metadataAccessToken(env);
      return { username: 'oauth2accesstoken', password: (await current!).token };
    };
  }
  if (mode !== undefined && mode !== '' && mode !== 'anonymous') {
    throw new UsageError(`REGISTRY_AUTH=${JSON.stringify(mode)}: expected gcp-metadata or anonymous (or unset)`);
  }
  const { REGISTRY_USERNAME: username, REGISTRY_PASSWORD: password } = env;
  if (username || password) {
    if (!username || !password) throw new UsageError('REGISTRY_USERNAME and REGISTRY_PASSWORD must be set together');
    return async () => ({ username, password });
  }
  return ANONYMOUS;
}

/**
 * S3 credentials: undefined means the SDK default chain (environment, web identity token file, profiles, container
 * and instance metadata). On Cloud Run, a web identity from the GCP metadata server instead.
 */
export function s3Credentials(env: Env): S3ClientConfig['credentials'] {
  const roleArn = env.AWS_ROLE_ARN;
  const audience = env.AWS_WEB_IDENTITY_AUDIENCE;
  if (!roleArn || !audience) return undefined;
  return async () =>
    fromWebToken({
      roleArn,
      roleSessionName: env.AWS_ROLE_SESSION_NAME || `replicator-${Date.now()}`,
      webIdentityToken: await metadataIdentityToken(env, audience),
    })();
}
