/**
 * BlobCdn: a CloudFront distribution in front of two mirror buckets, for clients in no donor's network. It serves
 * blobs only (a viewer-request function 404s everything else), caches them for a long time with an empty cache
 * key, fails over to the second bucket when the first one errs, strips S3's x-amz-* headers and logs every
 * request to CloudWatch Logs.
 */
import { ArnFormat, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { CLOUDWATCH_RETENTION_DAYS, isCloudWatchRetention } from '../logs';
import { blobAllowListFunctionCode } from './blob-function';

/** Origin answers that make CloudFront try the failover bucket. */
export const FAILOVER_STATUS_CODES: readonly number[] = [403, 404, 500, 502, 503, 504];

/**
 * Headers S3 adds to GetObject/HeadObject answers that say nothing to a registry client. CloudFront cannot remove
 * by pattern, so user metadata (`x-amz-meta-*`) is not listed: the replicator writes none.
 */
export const REMOVED_S3_HEADERS: readonly string[] = [
  'x-amz-id-2',
  'x-amz-request-id',
  'x-amz-version-id',
  'x-amz-server-side-encryption',
  'x-amz-replication-status',
  'x-amz-expiration',
  'x-amz-storage-class',
  'x-amz-tagging-count',
];

/**
 * The retention for `days`, or an error naming the allowed values. `logs.RetentionDays` is a numeric enum whose
 * values are the days, so a checked number is one of its members.
 */
export function logRetention(days: number): logs.RetentionDays {
  if (!isCloudWatchRetention(days)) {
    throw new Error(
      `CDN log retention of ${days} days is not a CloudWatch Logs retention period (allowed: ${CLOUDWATCH_RETENTION_DAYS.join(', ')})`,
    );
  }
  return days as logs.RetentionDays;
}

export interface BlobCdnProps {
  /** The bucket CloudFront reads first. */
  readonly primaryBucket: s3.IBucket;
  /** The bucket CloudFront reads when the primary answers one of FAILOVER_STATUS_CODES. */
  readonly failoverBucket: s3.IBucket;
  /**
   * Name of the access-log delivery source (unique in the account and region, letters, digits, `-`, `_`).
   */
  readonly logDeliveryName: string;
  /**
   * Custom domain name.
   * @default none: clients use the distribution's cloudfront.net name
   */
  readonly domainName?: string;
  /**
   * Certificate for `domainName` (must be in us-east-1).
   * @default with a domain name, a new DNS-validated certificate
   */
  readonly certificate?: acm.ICertificate;
  /** Edge locations serving the distribution: from the topology (`aws.cdn.priceClass`). */
  readonly priceClass: cloudfront.PriceClass;
  /** Days access logs are kept, one of CloudWatch Logs' periods: from the topology (`aws.cdn.logRetentionDays`). */
  readonly logRetentionDays: number;
  /** @default a description naming the buckets */
  readonly comment?: string;
}

export class BlobCdn extends Construct {
  readonly distribution: cloudfront.Distribution;
  readonly allowList: cloudfront.Function;
  readonly cachePolicy: cloudfront.CachePolicy;
  readonly responseHeadersPolicy: cloudfront.ResponseHeadersPolicy;
  readonly accessLogs: logs.LogGroup;
  readonly certificate?: acm.ICertificate;

  constructor(scope: Construct, id: string, props: BlobCdnProps) {
    super(scope, id);
    if (props.certificate && !props.domainName) throw new Error('BlobCdn: a certificate needs a domainName');

    this.allowList = new cloudfront.Function(this, 'BlobAllowList', {
      comment: 'Serve GET/HEAD of /containers/images/sha256:<hex> only',
      code: cloudfront.FunctionCode.fromInline(blobAllowListFunctionCode()),
      runtime: cloudfront.FunctionRuntime.JS_2_0,
    });

    // Blobs are content-addressed and immutable: cache long, and nothing from the request may split the cache.
    this.cachePolicy = new cloudfront.CachePolicy(this, 'BlobCache', {
      comment: 'Immutable blobs: long TTLs, empty cache key',
      minTtl: Duration.days(1),
      defaultTtl: Duration.days(30),
      maxTtl: Duration.days(365),
      headerBehavior: cloudfront.CacheHeaderBehavior.none(),
      cookieBehavior: cloudfront.CacheCookieBehavior.none(),
      queryStringBehavior: cloudfront.CacheQueryStringBehavior.none(),
      enableAcceptEncodingGzip: false,
      enableAcceptEncodingBrotli: false,
    });

    this.responseHeadersPolicy = new cloudfront.ResponseHeadersPolicy(this, 'StripS3Headers', {
      comment: 'Remove S3 x-amz-* response headers',
      removeHeaders: [...REMOVED_S3_HEADERS],
    });

    if (props.domainName) {
      this.certificate =
        props.certificate ??
        new acm.Certificate(this, 'Certificate', {
          domainName: props.domainName,
          validation: acm.CertificateValidation.fromDns(),
        });
    }

    const origin = new origins.OriginGroup({
      primaryOrigin: origins.S3BucketOrigin.withOriginAccessControl(props.primaryBucket),
      fallbackOrigin: origins.S3BucketOrigin.withOriginAccessControl(props.failoverBucket),
      fallbackStatusCodes: [...FAILOVER_STATUS_CODES],
    });

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment:
        props.comment ??
        `Blobs from ${props.primaryBucket.bucketName}, failing over to ${props.failoverBucket.bucketName}`,
      defaultBehavior: {
        origin,
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        cachedMethods: cloudfront.CachedMethods.CACHE_GET_HEAD,
        // Layers are compressed already; recompressing would only change their bytes' framing.
        compress: false,
        cachePolicy: this.cachePolicy,
        responseHeadersPolicy: this.responseHeadersPolicy,
        functionAssociations: [{ function: this.allowList, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST }],
      },
      priceClass: props.priceClass,
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      enableIpv6: true,
      ...(props.domainName
        ? {
            domainNames: [props.domainName],
            certificate: this.certificate,
            minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
          }
        : {}),
    });
    // The buckets are imported by name (no cross-stack references); their stacks grant OAC access themselves.
    Validations.of(this.distribution).acknowledge({
      id: '@aws-cdk/aws-cloudfront-origins:updateImportedBucketPolicyOac',
      reason: 'The mirror bucket stacks add the CloudFront read statement (MirrorBucket.allowCloudFrontRead).',
    });

    this.accessLogs = this.deliverAccessLogs(props.logDeliveryName, logRetention(props.logRetentionDays));
  }

  /** CloudFront standard logging (v2): the distribution's access logs delivered to a log group with a retention. */
  private deliverAccessLogs(name: string, retention: logs.RetentionDays): logs.LogGroup {
    const stack = Stack.of(this);
    const arn = (resource: string, resourceName: string) =>
      stack.formatArn({ service: 'logs', resource, resourceName, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    // The /aws/vendedlogs/ prefix is where AWS expects vended (service-delivered) logs.
    const logGroupName = `/aws/vendedlogs/cloudfront/${name}`;
    const logGroup = new logs.LogGroup(this, 'AccessLogs', { logGroupName, retention });
    const source = new logs.CfnDeliverySource(this, 'AccessLogSource', {
      name,
      logType: 'ACCESS_LOGS',
      resourceArn: this.distribution.distributionArn,
    });
    const destination = new logs.CfnDeliveryDestination(this, 'AccessLogDestination', {
      name,
      destinationResourceArn: arn('log-group', logGroupName),
    });
    destination.node.addDependency(logGroup);
    const delivery = new logs.CfnDelivery(this, 'AccessLogDelivery', {
      deliverySourceName: name,
      deliveryDestinationArn: destination.attrArn,
    });
    delivery.addResourceDependency(source);
    // What the log delivery service needs on the group, and only for this delivery source.
    const policy = logGroup.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudFrontAccessLogDelivery',
        principals: [new iam.ServicePrincipal('delivery.logs.amazonaws.com')],
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [`${arn('log-group', logGroupName)}:log-stream:*`],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': arn('delivery-source', name) },
        },
      }),
    );
    if (policy.policyDependable) delivery.node.addDependency(policy.policyDependable);
    return logGroup;
  }
}
