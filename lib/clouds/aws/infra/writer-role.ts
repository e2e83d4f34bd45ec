/**
 * WriterRole: the only identity that may write to the upload bucket, for the replication job. It is assumable
 * solely by web identity (an OIDC token of one subject for one audience), lives at most an hour per session and
 * may only read/write objects under the blob and marker prefixes. No users, no access keys.
 */
import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { WriterIdentity } from '../../../topology';
import { bucketArn, objectsArn } from '../arns';
import { BLOB_PREFIX, MARKER_PREFIX } from '../../../topology/blob-layout';

/** Google's issuer: IAM knows it as a built-in provider, no OIDC provider resource is needed. */
export const GOOGLE_ISSUER = 'https://accounts.google.com';
export const GOOGLE_PROVIDER = 'accounts.google.com';

/** Who may assume the role: a provider and the token claims it must carry. */
export interface WebIdentityTrust {
  /** `accounts.google.com`, or the issuer URL of an OIDC provider to create. */
  readonly provider: { readonly builtIn: string } | { readonly issuerUrl: string; readonly clientId: string };
  /** `StringEquals` conditions on the token's claims. */
  readonly conditions: Readonly<Record<string, string>>;
}

/**
 * The trust for an identity. For Google, IAM maps the token's `aud` claim to `accounts.google.com:oaud` (the
 * `accounts.google.com:aud` key holds `azp` when the token has one, as service-account tokens do), so the
 * audience is pinned with `oaud` and the service account with `sub`. Other issuers use `<host/path>:aud|sub`.
 */
export function webIdentityTrust(identity: WriterIdentity): WebIdentityTrust {
  if (identity.oidcIssuer === GOOGLE_ISSUER) {
    return {
      provider: { builtIn: GOOGLE_PROVIDER },
      conditions: { [`${GOOGLE_PROVIDER}:oaud`]: identity.audience, [`${GOOGLE_PROVIDER}:sub`]: identity.subject },
    };
  }
  const key = issuerConditionPrefix(identity.oidcIssuer);
  return {
    provider: { issuerUrl: identity.oidcIssuer, clientId: identity.audience },
    conditions: { [`${key}:aud`]: identity.audience, [`${key}:sub`]: identity.subject },
  };
}

/** `https://token.actions.githubusercontent.com/` -> `token.actions.githubusercontent.com` (IAM's condition key prefix). */
export function issuerConditionPrefix(issuerUrl: string): string {
  const url = new URL(issuerUrl);
  if (url.protocol !== 'https:') throw new Error(`OIDC issuer ${JSON.stringify(issuerUrl)} must be an https URL`);
  return `${url.host}${url.pathname}`.replace(/\/+$/, '');
}

export interface WriterRoleProps {
  /** The role's name (the replication job is configured with its ARN). */
  readonly roleName: string;
  /** The OIDC identity allowed to assume the role. */
  readonly identity: WriterIdentity;
  /** The bucket the job writes to. */
  readonly bucketName: string;
  /**
   * Key prefixes the role may read and write (and list, to get 404 rather than 403 for a missing key).
   * @default [BLOB_PREFIX, MARKER_PREFIX]
   */
  readonly prefixes?: readonly string[];
  /**
   * Longest session a token buys.
   * @default Duration.hours(1)
   */
  readonly maxSessionDuration?: Duration;
}

export class WriterRole extends Construct {
  readonly role: iam.Role;
  readonly bucketName: string;
  readonly prefixes: readonly string[];
  /** The OIDC provider created for a non-Google issuer; undefined for Google. */
  readonly oidcProvider?: iam.OidcProviderNative;

  constructor(scope: Construct, id: string, props: WriterRoleProps) {
    super(scope, id);
    const prefixes = (this.prefixes = props.prefixes ?? [BLOB_PREFIX, MARKER_PREFIX]);
    if (prefixes.length === 0) throw new Error('WriterRole needs at least one key prefix');
    this.bucketName = props.bucketName;
    const trust = webIdentityTrust(props.identity);

    let federated: string;
    if ('builtIn' in trust.provider) {
      federated = trust.provider.builtIn;
    } else {
      // The CloudFormation-native provider: no custom-resource Lambda; IAM fetches the issuer's certificates itself.
      this.oidcProvider = new iam.OidcProviderNative(this, 'OidcProvider', {
        url: trust.provider.issuerUrl,
        clientIds: [trust.provider.clientId],
      });
      federated = this.oidcProvider.oidcProviderArn;
    }

    this.role = new iam.Role(this, 'Role', {
      roleName: props.roleName,
      description: `Writes blobs and markers to ${props.bucketName}; assumable only with a web identity token`,
      assumedBy: new iam.WebIdentityPrincipal(federated, { StringEquals: trust.conditions }),
      maxSessionDuration: props.maxSessionDuration ?? Duration.hours(1),
      inlinePolicies: { 'write-blobs': writerPolicy(props.bucketName, prefixes) },
    });
  }
}

/** Object read/write under the prefixes, and listing restricted to them. */
export function writerPolicy(bucketName: string, prefixes: readonly string[]): iam.PolicyDocument {
  return new iam.PolicyDocument({
    statements: [
      new iam.PolicyStatement({
        sid: 'ReadWriteObjects',
        actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
        resources: prefixes.map((prefix) => objectsArn(bucketName, `${prefix}*`)),
      }),
      new iam.PolicyStatement({
        sid: 'ListPrefixes',
        actions: ['s3:ListBucket'],
        resources: [bucketArn(bucketName)],
        conditions: { StringLike: { 's3:prefix': prefixes.map((prefix) => `${prefix}*`) } },
      }),
    ],
  });
}
