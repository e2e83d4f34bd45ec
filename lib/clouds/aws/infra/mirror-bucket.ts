/**
 * MirrorBucket: one region's copy of the blobs, secure by default. Anyone may read blobs (and nothing else),
 * only over TLS; ACLs are off; every request is logged to a private log bucket; old versions and abandoned
 * multipart uploads expire. Optionally the bucket is a replication source fanning out to other mirrors: new objects
 * only, never deletes, so no delete in one bucket can empty the others.
 */
import { Duration, FeatureFlags, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cxapi from 'aws-cdk-lib/cx-api';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { bucketArn, distributionsArnPattern, objectsArn } from '../arns';
import { BLOB_PREFIX } from '../../../topology/blob-layout';

/** A bucket (in the same account) that a mirror replicates to. */
export interface ReplicationDestination {
  readonly bucketName: string;
  readonly region: string;
}

export interface MirrorBucketProps {
  /** The bucket's physical name. */
  readonly bucketName: string;
  /**
   * Key prefix anyone may `s3:GetObject` from. Nothing else is public: no listing, no other prefix.
   * @default BLOB_PREFIX ('containers/images/')
   */
  readonly publicReadPrefix?: string;
  /**
   * How long a replaced or deleted object version is kept before it expires: from the topology
   * (`aws.noncurrentVersionExpirationDays`). It never touches a current version, and deletes are not replicated, so
   * it cannot remove a blob from a mirror that did not itself receive a delete.
   */
  readonly noncurrentVersionExpiration: Duration;
  /**
   * When unfinished multipart uploads are aborted (their parts are billed until then).
   * @default Duration.days(7)
   */
  readonly abortIncompleteMultipartUploadAfter?: Duration;
  /**
   * Where server access logs go.
   * @default a new private, encrypted, SSL-only log bucket in the same stack
   */
  readonly accessLogsBucket?: s3.IBucket;
  /**
   * How long access logs are kept in the log bucket this construct creates (ignored with `accessLogsBucket`).
   * @default Duration.days(90)
   */
  readonly accessLogsRetention?: Duration;
  /**
   * Buckets this bucket replicates every new object to (S3 Cross-Region Replication), one rule each, with
   * replication metrics, through a role allowed nothing but replication. Delete markers are not replicated:
   * blobs are immutable content, and removing one from the mirrors is a deliberate act on each bucket.
   * @default no replication
   */
  readonly replicationDestinations?: readonly ReplicationDestination[];
  /**
   * What happens to the buckets when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

export class MirrorBucket extends Construct {
  readonly bucket: s3.Bucket;
  readonly accessLogsBucket: s3.IBucket;
  /** The role S3 replicates with; undefined without replication destinations. */
  readonly replicationRole?: iam.Role;
  readonly bucketName: string;
  readonly publicReadPrefix: string;
  readonly replicationDestinations: readonly ReplicationDestination[];

  constructor(scope: Construct, id: string, props: MirrorBucketProps) {
    super(scope, id);
    this.bucketName = props.bucketName;
    this.publicReadPrefix = props.publicReadPrefix ?? BLOB_PREFIX;
    validatePrefix(this.publicReadPrefix);
    // Without it, CDK grants log delivery through an ACL, which BucketOwnerEnforced log buckets refuse.
    if (!FeatureFlags.of(this).isEnabled(cxapi.S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY)) {
      throw new Error(
        `MirrorBucket needs the feature flag ${cxapi.S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY} (cdk.json context)`,
      );
    }
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const destinations = (this.replicationDestinations = props.replicationDestinations ?? []);

    this.accessLogsBucket =
      props.accessLogsBucket ??
      new s3.Bucket(this, 'AccessLogs', {
        encryption: s3.BucketEncryption.S3_MANAGED,
        enforceSSL: true,
        minimumTLSVersion: 1.2,
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        lifecycleRules: [{ id: 'expire-access-logs', expiration: props.accessLogsRetention ?? Duration.days(90) }],
        removalPolicy,
      });

    if (destinations.length > 0) this.replicationRole = this.createReplicationRole(props.bucketName, destinations);

    this.bucket = new s3.Bucket(this, 'Bucket', {
      bucketName: props.bucketName,
      versioned: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // Public read comes from the bucket policy below; ACLs stay blocked and ignored.
      blockPublicAccess: new s3.BlockPublicAccess({
        blockPublicAcls: true,
        ignorePublicAcls: true,
        blockPublicPolicy: false,
        restrictPublicBuckets: false,
      }),
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: `${props.bucketName}/`,
      lifecycleRules: [
        {
          id: 'expire-noncurrent-versions',
          noncurrentVersionExpiration: props.noncurrentVersionExpiration,
        },
        {
          id: 'abort-incomplete-multipart-uploads',
          abortIncompleteMultipartUploadAfter: props.abortIncompleteMultipartUploadAfter ?? Duration.days(7),
        },
      ],
      replicationRole: this.replicationRole,
      replicationRules: this.replicationRole ? destinations.map((d, i) => this.replicationRule(d, i)) : undefined,
      removalPolicy,
    });

    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'PublicReadOfBlobs',
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:GetObject'],
        resources: [objectsArn(props.bucketName, `${this.publicReadPrefix}*`)],
      }),
    );
  }

  /**
   * Lets CloudFront distributions of `sourceAccount` read the public prefix through Origin Access Control.
   * Written here rather than by the CDN stack so that no stack references another.
   */
  allowCloudFrontRead(sourceAccount: string): void {
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudFrontReadOfBlobs',
        principals: [new iam.ServicePrincipal('cloudfront.amazonaws.com')],
        actions: ['s3:GetObject'],
        resources: [objectsArn(this.bucketName, `${this.publicReadPrefix}*`)],
        conditions: {
          StringEquals: { 'AWS:SourceAccount': sourceAccount },
          ArnLike: { 'AWS:SourceArn': distributionsArnPattern(sourceAccount) },
        },
      }),
    );
  }

  private replicationRule(destination: ReplicationDestination, index: number): s3.ReplicationRule {
    return {
      id: `to-${destination.region}`,
      // Every rule covers the whole bucket and names a different destination, so priorities never compete.
      priority: index,
      destination: s3.Bucket.fromBucketAttributes(this, `Destination-${destination.region}`, {
        bucketArn: bucketArn(destination.bucketName),
        bucketName: destination.bucketName,
        region: destination.region,
        account: Stack.of(this).account,
      }),
      // A delete in the upload bucket stays there: replicated, it would hide the blob in every mirror at once.
      deleteMarkerReplication: false,
      // Without replication time control S3 enables the metrics and ignores the threshold.
      metrics: s3.ReplicationTimeValue.FIFTEEN_MINUTES,
    };
  }

  /** Least privilege for S3 replication: read versions here, write replicas there, nothing else. */
  private createReplicationRole(sourceBucketName: string, destinations: readonly ReplicationDestination[]): iam.Role {
    const statements = [
      new iam.PolicyStatement({
        sid: 'ReadReplicationConfiguration',
        actions: ['s3:GetReplicationConfiguration', 's3:ListBucket'],
        resources: [bucketArn(sourceBucketName)],
      }),
      new iam.PolicyStatement({
        sid: 'ReadSourceVersions',
        actions: ['s3:GetObjectVersionForReplication', 's3:GetObjectVersionAcl', 's3:GetObjectVersionTagging'],
        resources: [objectsArn(sourceBucketName, '*')],
      }),
      new iam.PolicyStatement({
        sid: 'WriteReplicas',
        actions: ['s3:ReplicateObject', 's3:ReplicateTags'],
        resources: destinations.map((d) => objectsArn(d.bucketName, '*')),
      }),
    ];
    // Inline in the role itself: the bucket's replication configuration can never see the role without it.
    return new iam.Role(this, 'ReplicationRole', {
      assumedBy: new iam.ServicePrincipal('s3.amazonaws.com'),
      description: `S3 replication from ${sourceBucketName} to ${destinations.length} mirror bucket(s)`,
      inlinePolicies: { replication: new iam.PolicyDocument({ statements }) },
    });
  }
}

function validatePrefix(prefix: string): void {
  if (!/^([\w.-]+\/)+$/.test(prefix)) {
    throw new Error(
      `MirrorBucket publicReadPrefix ${JSON.stringify(prefix)} must be one or more path segments ending in "/"`,
    );
  }
}
