/**
 * WriterRole: the only identity that may write to the upload bucket, for the replication job. It is assumable
 * solely by web identity (an OIDC token of one subject for one audience), lives at most an hour per session and
 * may only read/write objects under the blob and marker prefixes. No users, no access keys. Until the subject is
 * known (a deploy produces it: the replicator service account's unique ID) the role trusts no one.
 */
import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { GOOGLE_OIDC_ISSUER, type WriterIdentity } from '../../../topology';
import { bucketArn, objectsArn } from '../arns';
import { BLOB_PREFIX, MARKER_PREFIX } from '../../../topology/blob-layout';

/** Google's issuer: IAM knows it as a built-in provider, no OIDC provider resource is needed. */
export const GOOGLE_ISSUER = GOOGLE_OIDC_ISSUER;
export const GOOGLE_PROVIDER = 'accounts.google.com';

/** The web identity action, the only way into the role. */
export const ASSUME_WITH_WEB_IDENTITY = 'sts:AssumeRoleWithWebIdentity';

/** Who may assume the role: a provider and the token claims it must carry. */
export interface WebIdentityTrust {
  /** `accounts.google.com`, or the issuer URL of an OIDC provider to create. */
  readonly provider: { readonly builtIn: string } | { readonly issuerUrl: string; readonly clientId: string };
  /** `StringEquals` conditions on the token's claims. */
  readonly conditions: Readonly<Record<string, string>>;
  /** False while the subject is unknown: then every token of the provider is denied. */
  readonly subjectKnown: boolean;
}

/**
 * The trust for an identity. For Google, IAM maps the token's `aud` claim to `accounts.google.com:oaud` (the
 * `accounts.google.com:aud` key holds `azp` when the token has one, as service-account tokens do), so the
 * audience is pinned with `oaud` and the service account with `sub`. Other issuers use `<host/path>:aud|sub`.
 */
export function webIdentityTrust(identity: WriterIdentity): WebIdentityTrust {
  const subject = identity.subject;
  const google = identity.oidcIssuer === GOOGLE_ISSUER;
  const key = google ? GOOGLE_PROVIDER : issuerConditionPrefix(identity.oidcIssuer);
  return {
    provider: google ? { builtIn: GOOGLE_PROVIDER } : { issuerUrl: identity.oidcIssuer, clientId: identity.audience },
    conditions: {
      [google ? `${key}:oaud` : `${key}:aud`]: identity.audience,
      ...(subject !== undefined ? { [`${key}:sub`]: subject } : {}),
    },
    subjectKnown: subject !== undefined,
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
  /** The OIDC identity allowed to assume the role; without a subject, no one may. */
  readonly identity: WriterIdentity;
  /** The bucket the job writes to. */
  readonly bucketName: string;
  /**
   * Key prefixes the role may read and write.
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
    // A trust statement without a subject would let any service account in with a token for our audience; an
    // explicit deny wins over it, so the role is unusable until the deploy knows whom to trust.
    if (!trust.subjectKnown) {
      this.role.assumeRolePolicy!.addStatements(
        new iam.PolicyStatement({
          sid: 'NoOneUntilTheSubjectIsKnown',
          effect: iam.Effect.DENY,
          principals: [new iam.FederatedPrincipal(federated)],
          actions: [ASSUME_WITH_WEB_IDENTITY],
        }),
      );
    }
  }
}

/**
 * Object read/write under the prefixes, and s3:ListBucket on the bucket. Listing is what makes S3 answer 404 rather
 * than 403 for a missing key, and a HEAD or GET carries no `s3:prefix`, so a grant conditioned on the prefixes never
 * applies to it: the replicator's checks would all see 403. The listing is therefore unconditioned, on this one
 * bucket: the role can read key names (content digests and image markers, public knowledge) but no other bucket's,
 * and still write only under the prefixes (docs/aws.md).
 */
export function writerPolicy(bucketName: string, prefixes: readonly string[]): iam.PolicyDocument {
  return new iam.PolicyDocument({
    statements: [
      new iam.PolicyStatement({
        sid: 'ReadWriteObjects',
        actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
        resources: prefixes.map((prefix) => objectsArn(bucketName, `${prefix}*`)),
      }),
      new iam.PolicyStatement({
        sid: 'ListSoMissingKeysAre404',
        actions: ['s3:ListBucket'],
        resources: [bucketArn(bucketName)],
      }),
    ],
  });
}
