/**
 * The AWS stacks of a topology: one per mirror region (its bucket; the upload region's also replicates and holds
 * the writer role) and, when enabled, the CDN in us-east-1. Every name and region comes from topology views.
 */
import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { bucketName, replicationDestinations, type Topology } from '../../../topology';
import { bucketArn } from '../arns';
import { BlobCdn } from './blob-cdn';
import { AWS_OUTPUT_IDS, CDN_REGION, isCdnOrigin } from './names';
import { MirrorBucket } from './mirror-bucket';
import { acknowledgeCdnFindings, acknowledgeMirrorFindings, acknowledgeWriterFindings } from './nag';
import { WriterRole } from './writer-role';

export interface MirrorStackProps extends StackProps {
  readonly topology: Topology;
  readonly region: string;
}

/** One region's mirror bucket; in the upload region also the replication fan-out and the writer role. */
export class MirrorStack extends Stack {
  readonly mirror: MirrorBucket;
  readonly writer?: WriterRole;

  constructor(scope: Construct, id: string, props: MirrorStackProps) {
    const { topology, region } = props;
    const isUpload = region === topology.aws.uploadRegion;
    super(scope, id, {
      ...props,
      env: { account: topology.aws.accountId, region },
      description: `${topology.name}: mirror bucket in ${region}${isUpload ? ' (upload bucket, replication source, writer role)' : ''}`,
    });

    this.mirror = new MirrorBucket(this, 'Mirror', {
      bucketName: bucketName(topology, region),
      noncurrentVersionExpiration: Duration.days(topology.aws.noncurrentVersionExpirationDays),
      replicationDestinations: isUpload
        ? replicationDestinations(topology).map((r) => ({ bucketName: bucketName(topology, r), region: r }))
        : undefined,
    });
    if (isCdnOrigin(topology, region)) this.mirror.allowCloudFrontRead(topology.aws.accountId);
    acknowledgeMirrorFindings(this.mirror);

    // The writer role sits with the one bucket it may write to: deploying the upload region gives the job all it needs.
    if (isUpload) {
      this.writer = new WriterRole(this, 'Writer', {
        roleName: topology.aws.writer.roleName,
        identity: topology.aws.writer,
        bucketName: bucketName(topology, region),
      });
      acknowledgeWriterFindings(this.writer);
      new CfnOutput(this, AWS_OUTPUT_IDS.writerRoleArn, {
        value: this.writer.role.roleArn,
        description: 'Role the replication job assumes',
      });
    }
    new CfnOutput(this, AWS_OUTPUT_IDS.bucketName, { value: bucketName(topology, region) });
  }
}

export interface CdnStackProps extends StackProps {
  readonly topology: Topology;
}

/** The CloudFront distribution over the primary and failover mirror buckets. */
export class CdnStack extends Stack {
  readonly cdn: BlobCdn;

  constructor(scope: Construct, id: string, props: CdnStackProps) {
    const { topology } = props;
    const { cdn } = topology.aws;
    super(scope, id, {
      ...props,
      env: { account: topology.aws.accountId, region: CDN_REGION },
      description: `${topology.name}: CloudFront CDN over the ${cdn.primaryRegion} and ${cdn.failoverRegion} mirror buckets`,
    });

    const importBucket = (role: string, region: string) =>
      s3.Bucket.fromBucketAttributes(this, role, {
        bucketArn: bucketArn(bucketName(topology, region)),
        bucketName: bucketName(topology, region),
        region,
        account: topology.aws.accountId,
      });

    this.cdn = new BlobCdn(this, 'Cdn', {
      primaryBucket: importBucket('PrimaryBucket', cdn.primaryRegion),
      failoverBucket: importBucket('FailoverBucket', cdn.failoverRegion),
      logDeliveryName: `${topology.name}-cdn-access-logs`,
      domainName: cdn.domainName,
      certificate: cdn.certificateArn
        ? acm.Certificate.fromCertificateArn(this, 'Certificate', cdn.certificateArn)
        : undefined,
      priceClass: PRICE_CLASSES[cdn.priceClass],
      logRetentionDays: cdn.logRetentionDays,
    });

    acknowledgeCdnFindings(this.cdn);

    new CfnOutput(this, AWS_OUTPUT_IDS.cdnDomainName, {
      value: this.cdn.distribution.distributionDomainName,
      description: 'Read by npm run deploy and handed to the redirector stack (docs/deploy.md); never copied by hand',
    });
  }
}

const PRICE_CLASSES: Record<Topology['aws']['cdn']['priceClass'], cloudfront.PriceClass> = {
  PriceClass_100: cloudfront.PriceClass.PRICE_CLASS_100,
  PriceClass_200: cloudfront.PriceClass.PRICE_CLASS_200,
  PriceClass_All: cloudfront.PriceClass.PRICE_CLASS_ALL,
};
