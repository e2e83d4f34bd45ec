/**
 * The AWS app on the default topology (32 mirrors) and on the small test topology: synthesized once per topology.
 * Synthesis itself runs cdk-nag (it throws on any unacknowledged finding); the tests check that it ran over every
 * stack and what it reported.
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { bucketName, replicationDestinations, type Topology } from '../../../lib/topology';
import { BLOB_PREFIX, MARKER_PREFIX } from '../../../lib/topology/blob-layout';
import { blobAllowListFunctionCode } from '../../../lib/clouds/aws/infra/blob-function';
import { FAILOVER_STATUS_CODES, REMOVED_S3_HEADERS } from '../../../lib/clouds/aws/infra/blob-cdn';
import { cdnStackName, deliveryStackName, mirrorStackName } from '../../../lib/clouds/aws/infra/names';
import { defaultTopology, smallTopology, synthAws, type SynthesizedAws } from './support';

type Resource = { Type: string; Properties: Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
type Statement = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function resourcesOf(template: Template, type: string): Resource[] {
  return Object.values(template.findResources(type)) as Resource[];
}

function mirrorBucketOf(topology: Topology, template: Template, region: string): Resource {
  const found = resourcesOf(template, 'AWS::S3::Bucket').filter(
    (b) => b.Properties.BucketName === bucketName(topology, region),
  );
  expect(found).toHaveLength(1);
  return found[0]!;
}

function bucketPolicyStatements(template: Template, bucketLogicalIdPrefix: string): Statement[] {
  const policies = template.findResources('AWS::S3::BucketPolicy');
  const ours = Object.entries(policies).filter(([id]) => id.startsWith(bucketLogicalIdPrefix));
  expect(ours).toHaveLength(1);
  return (ours[0]![1] as Resource).Properties.PolicyDocument.Statement;
}

function writerRoleOf(template: Template): Resource['Properties'] {
  const roles = resourcesOf(template, 'AWS::IAM::Role').filter((r) => r.Properties.RoleName !== undefined);
  expect(roles).toHaveLength(1);
  return roles[0]!.Properties;
}

const arn = (topology: Topology, region: string, key?: string) =>
  `arn:aws:s3:::${bucketName(topology, region)}${key === undefined ? '' : `/${key}`}`;

describe.each([
  ['default topology (registry.k8s.io)', defaultTopology, false],
  ['small topology', smallTopology, true],
])('AWS app on the %s', (_name, load, cfnValidation) => {
  const topology = load();
  let synthesized: SynthesizedAws;
  const templates = new Map<string, Template>();
  const mirrorTemplate = (region: string) => templates.get(mirrorStackName(topology, region))!;
  const uploadRegion = topology.aws.uploadRegion;
  const allStacks = () => [
    synthesized.stacks.delivery,
    ...synthesized.stacks.mirrors.values(),
    ...(synthesized.stacks.cdn ? [synthesized.stacks.cdn] : []),
  ];
  const everyTemplate = () =>
    allStacks()
      .map((stack) => stack.templateFile)
      .sort();

  beforeAll(() => {
    // The small topology also runs CDK's CloudFormation schema validation (bin/aws.ts leaves it off for speed).
    synthesized = synthAws(topology, { cfnValidation });
    for (const stack of allStacks()) templates.set(stack.stackName, Template.fromStack(stack));
  });
  afterAll(() => synthesized?.cleanup());

  it('has one stack per mirror region, in that region and account, plus the CDN in us-east-1', () => {
    expect([...synthesized.stacks.mirrors.keys()]).toEqual(topology.aws.mirrorRegions);
    for (const [region, stack] of synthesized.stacks.mirrors) {
      expect(stack.stackName).toBe(mirrorStackName(topology, region));
      expect(stack.region).toBe(region);
      expect(stack.account).toBe(topology.aws.accountId);
    }
    expect(synthesized.stacks.cdn?.stackName).toBe(cdnStackName(topology));
    expect(synthesized.stacks.cdn?.region).toBe('us-east-1');
    expect(synthesized.stacks.upload).toBe(synthesized.stacks.mirrors.get(uploadRegion));
  });

  it('deploys the replication destinations and the CDN origins before the stacks that need them', () => {
    const upload = synthesized.stacks.upload;
    expect(new Set(upload.dependencies.map((s) => s.stackName))).toEqual(
      new Set(replicationDestinations(topology).map((r) => mirrorStackName(topology, r))),
    );
    const { primaryRegion, failoverRegion } = topology.aws.cdn;
    expect(new Set(synthesized.stacks.cdn!.dependencies.map((s) => s.stackName))).toEqual(
      new Set([primaryRegion, failoverRegion].map((r) => mirrorStackName(topology, r))),
    );
  });

  it('gives every region exactly one mirror bucket, versioned, SSE-S3, bucket-owner-enforced, ACLs blocked', () => {
    for (const region of topology.aws.mirrorRegions) {
      const bucket = mirrorBucketOf(topology, mirrorTemplate(region), region).Properties;
      expect(bucket.VersioningConfiguration).toEqual({ Status: 'Enabled' });
      expect(bucket.BucketEncryption.ServerSideEncryptionConfiguration).toEqual([
        { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
      ]);
      expect(bucket.OwnershipControls.Rules).toEqual([{ ObjectOwnership: 'BucketOwnerEnforced' }]);
      expect(bucket.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        IgnorePublicAcls: true,
        BlockPublicPolicy: false,
        RestrictPublicBuckets: false,
      });
      expect(bucket.LifecycleConfiguration.Rules).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            NoncurrentVersionExpiration: { NoncurrentDays: topology.aws.noncurrentVersionExpirationDays },
          }),
          expect.objectContaining({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } }),
        ]),
      );
      expect(bucket.LoggingConfiguration.DestinationBucketName).toEqual({
        Ref: expect.stringMatching(/^MirrorAccessLogs/),
      });
      expect(bucket.Tags).toEqual(
        expect.arrayContaining([
          { Key: 'project', Value: topology.name },
          { Key: 'managed-by', Value: 'multicloud-registry' },
        ]),
      );
    }
  });

  it('keeps access logs in a private, encrypted bucket that expires them', () => {
    for (const region of topology.aws.mirrorRegions) {
      const buckets = resourcesOf(mirrorTemplate(region), 'AWS::S3::Bucket');
      expect(buckets).toHaveLength(2);
      const logs = buckets.find((b) => b.Properties.BucketName === undefined)!.Properties;
      expect(logs.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        IgnorePublicAcls: true,
        BlockPublicPolicy: true,
        RestrictPublicBuckets: true,
      });
      expect(
        logs.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm,
      ).toBe('AES256');
      expect(logs.LifecycleConfiguration.Rules).toEqual([expect.objectContaining({ ExpirationInDays: 90 })]);
      const statements = bucketPolicyStatements(mirrorTemplate(region), 'MirrorAccessLogsPolicy');
      expect(statements).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
      expect(statements.filter((s) => s.Effect === 'Allow').map((s) => s.Principal)).toEqual([
        { Service: 'logging.s3.amazonaws.com' },
      ]);
    }
  });

  it('lets anyone GetObject under the blob prefix only, denies non-TLS, and lets CloudFront in only on CDN origins', () => {
    const cdnOrigins = [topology.aws.cdn.primaryRegion, topology.aws.cdn.failoverRegion];
    for (const region of topology.aws.mirrorRegions) {
      const statements = bucketPolicyStatements(mirrorTemplate(region), 'MirrorBucketPolicy');
      const allows = statements.filter((s) => s.Effect === 'Allow');
      const publicRead = {
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: 's3:GetObject',
        Resource: arn(topology, region, `${BLOB_PREFIX}*`),
      };
      expect(allows).toContainEqual(expect.objectContaining(publicRead));
      const cloudFront = {
        Effect: 'Allow',
        Principal: { Service: 'cloudfront.amazonaws.com' },
        Action: 's3:GetObject',
        Resource: arn(topology, region, `${BLOB_PREFIX}*`),
        Condition: {
          StringEquals: { 'AWS:SourceAccount': topology.aws.accountId },
          ArnLike: { 'AWS:SourceArn': `arn:aws:cloudfront::${topology.aws.accountId}:distribution/*` },
        },
      };
      expect(allows).toHaveLength(cdnOrigins.includes(region) ? 2 : 1);
      if (cdnOrigins.includes(region)) expect(allows).toContainEqual(expect.objectContaining(cloudFront));
      expect(JSON.stringify(allows)).not.toContain('s3:ListBucket');
      expect(statements).toContainEqual(
        expect.objectContaining({
          Effect: 'Deny',
          Action: 's3:*',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      );
    }
  });

  it('replicates new objects of the upload bucket to every other mirror: one rule each, metrics on, deletes never', () => {
    const rules = mirrorBucketOf(topology, mirrorTemplate(uploadRegion), uploadRegion).Properties
      .ReplicationConfiguration.Rules;
    const destinations = replicationDestinations(topology);
    expect(rules).toHaveLength(topology.aws.mirrorRegions.length - 1);
    expect(rules.map((r: Statement) => r.Destination.Bucket).sort()).toEqual(
      destinations.map((r) => arn(topology, r)).sort(),
    );
    expect(new Set(rules.map((r: Statement) => r.Priority)).size).toBe(rules.length);
    for (const rule of rules) {
      expect(rule).toMatchObject({
        Status: 'Enabled',
        // A delete in the upload bucket must not empty every mirror (docs/aws.md, "Mirrors that cannot be emptied").
        DeleteMarkerReplication: { Status: 'Disabled' },
        Filter: { Prefix: '' },
        Destination: { Metrics: { Status: 'Enabled' } },
      });
    }
    for (const region of destinations) {
      expect(
        mirrorBucketOf(topology, mirrorTemplate(region), region).Properties.ReplicationConfiguration,
      ).toBeUndefined();
    }
  });

  it('replicates through a role that only reads source versions and writes replicas', () => {
    const template = mirrorTemplate(uploadRegion);
    const roles = Object.entries(template.findResources('AWS::IAM::Role')).filter(([id]) =>
      id.startsWith('MirrorReplicationRole'),
    );
    expect(roles).toHaveLength(1);
    const role = (roles[0]![1] as Resource).Properties;
    expect(role.AssumeRolePolicyDocument.Statement).toEqual([
      { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 's3.amazonaws.com' } },
    ]);
    const destinations = replicationDestinations(topology).map((r) => arn(topology, r, '*'));
    expect(role.Policies).toHaveLength(1);
    expect(role.Policies[0].PolicyDocument.Statement).toEqual([
      {
        Sid: 'ReadReplicationConfiguration',
        Effect: 'Allow',
        Action: ['s3:GetReplicationConfiguration', 's3:ListBucket'],
        Resource: arn(topology, uploadRegion),
      },
      {
        Sid: 'ReadSourceVersions',
        Effect: 'Allow',
        Action: ['s3:GetObjectVersionAcl', 's3:GetObjectVersionForReplication', 's3:GetObjectVersionTagging'],
        Resource: arn(topology, uploadRegion, '*'),
      },
      {
        Sid: 'WriteReplicas',
        Effect: 'Allow',
        Action: ['s3:ReplicateObject', 's3:ReplicateTags'],
        Resource: destinations.length === 1 ? destinations[0] : destinations,
      },
    ]);
    expect(template.findResources('AWS::IAM::Policy')).toEqual({});
  });

  it('lets the writer role write blobs and markers, for an hour, and list its bucket so a missing key is a 404', () => {
    const writer = writerRoleOf(mirrorTemplate(uploadRegion));
    expect(writer.RoleName).toBe(topology.aws.writer.roleName);
    expect(writer.MaxSessionDuration).toBe(3600);
    // Exactly these statements: a condition on the listing (e.g. on s3:prefix) would turn every 404 into a 403.
    expect(writer.Policies).toEqual([
      {
        PolicyName: 'write-blobs',
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'ReadWriteObjects',
              Effect: 'Allow',
              Action: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:ListMultipartUploadParts', 's3:PutObject'],
              Resource: [
                arn(topology, uploadRegion, `${BLOB_PREFIX}*`),
                arn(topology, uploadRegion, `${MARKER_PREFIX}*`),
              ],
            },
            {
              // A HEAD of a missing key carries no s3:prefix: S3 answers 404 rather than 403 only to a caller whose
              // ListBucket applies to that request.
              Sid: 'ListSoMissingKeysAre404',
              Effect: 'Allow',
              Action: 's3:ListBucket',
              Resource: arn(topology, uploadRegion),
            },
          ],
        },
      },
    ]);
    for (const region of replicationDestinations(topology)) {
      expect(mirrorTemplate(region).findResources('AWS::IAM::Role')).toEqual({});
    }
  });

  it('trusts the writer subject the topology or the deploy gives, and no one without it', () => {
    const { writer } = topology.aws;
    const allow = (subject?: string) => ({
      Effect: 'Allow',
      Action: 'sts:AssumeRoleWithWebIdentity',
      Principal: { Federated: 'accounts.google.com' },
      Condition: {
        StringEquals: {
          'accounts.google.com:oaud': writer.audience,
          ...(subject ? { 'accounts.google.com:sub': subject } : {}),
        },
      },
    });
    const trust = writerRoleOf(mirrorTemplate(uploadRegion)).AssumeRolePolicyDocument.Statement;
    if (writer.subject !== undefined) {
      expect(trust).toEqual([allow(writer.subject)]);
    } else {
      // The default topology writes no subject: an explicit deny of every Google token until the deploy gives one.
      expect(trust).toEqual([
        allow(),
        {
          Sid: 'NoOneUntilTheSubjectIsKnown',
          Effect: 'Deny',
          Action: 'sts:AssumeRoleWithWebIdentity',
          Principal: { Federated: 'accounts.google.com' },
        },
      ]);
    }
  });

  it('names no service account ID or distribution but what the topology itself writes', () => {
    for (const stack of allStacks()) {
      const text = JSON.stringify(templates.get(stack.stackName)!.toJSON());
      // The fixture writes its subject; the default topology leaves it to the deploy.
      for (const id of text.match(/\b\d{21}\b/g) ?? []) expect(id).toBe(topology.aws.writer.subject);
      expect(text).not.toMatch(/cloudfront\.net/);
    }
  });

  it("has no IAM users or access keys, and one OIDC provider: GitHub's, for deploy.yml (Google's is built in)", () => {
    for (const [name, template] of templates) {
      for (const type of ['AWS::IAM::User', 'AWS::IAM::AccessKey', 'AWS::Lambda::Function']) {
        expect(template.findResources(type)).toEqual({});
      }
      const providers = Object.values(template.findResources('AWS::IAM::OIDCProvider'));
      const urls = providers.map((p) => (p.Properties as { Url: string }).Url);
      expect([name, urls]).toEqual([
        name,
        name === deliveryStackName(topology) ? ['https://token.actions.githubusercontent.com'] : [],
      ]);
    }
  });

  it('caches blobs for 1 day to 1 year with nothing in the cache key', () => {
    templates.get(cdnStackName(topology))!.hasResourceProperties('AWS::CloudFront::CachePolicy', {
      CachePolicyConfig: {
        MinTTL: 86400,
        DefaultTTL: 30 * 86400,
        MaxTTL: 365 * 86400,
        ParametersInCacheKeyAndForwardedToOrigin: {
          HeadersConfig: { HeaderBehavior: 'none' },
          CookiesConfig: { CookieBehavior: 'none' },
          QueryStringsConfig: { QueryStringBehavior: 'none' },
          EnableAcceptEncodingGzip: false,
          EnableAcceptEncodingBrotli: false,
        },
      },
    });
  });

  it("strips S3's x-amz-* response headers", () => {
    const policy = resourcesOf(templates.get(cdnStackName(topology))!, 'AWS::CloudFront::ResponseHeadersPolicy');
    expect(policy).toHaveLength(1);
    const removed = policy[0]!.Properties.ResponseHeadersPolicyConfig.RemoveHeadersConfig.Items.map(
      (i: Statement) => i.Header,
    );
    expect(removed).toEqual(REMOVED_S3_HEADERS);
    expect(removed).toEqual(
      expect.arrayContaining(['x-amz-id-2', 'x-amz-request-id', 'x-amz-version-id', 'x-amz-server-side-encryption']),
    );
  });

  it('serves from the primary bucket, failing over to the second, through OAC, HTTPS, HTTP/2+3 and IPv6', () => {
    const cdn = templates.get(cdnStackName(topology))!;
    const { primaryRegion, failoverRegion, priceClass, domainName } = topology.aws.cdn;
    const distribution = resourcesOf(cdn, 'AWS::CloudFront::Distribution');
    expect(distribution).toHaveLength(1);
    const config = distribution[0]!.Properties.DistributionConfig;
    expect(config.Origins.map((o: Statement) => o.DomainName)).toEqual([
      `${bucketName(topology, primaryRegion)}.s3.${primaryRegion}.amazonaws.com`,
      `${bucketName(topology, failoverRegion)}.s3.${failoverRegion}.amazonaws.com`,
    ]);
    // Each origin signs its requests with its own S3 Origin Access Control (sigv4, always).
    const accessControls = cdn.findResources('AWS::CloudFront::OriginAccessControl');
    expect(config.Origins.map((o: Statement) => o.OriginAccessControlId)).toEqual(
      Object.keys(accessControls).map((id) => ({ 'Fn::GetAtt': [id, 'Id'] })),
    );
    for (const control of Object.values(accessControls) as Resource[]) {
      expect(control.Properties.OriginAccessControlConfig).toMatchObject({
        OriginAccessControlOriginType: 's3',
        SigningBehavior: 'always',
        SigningProtocol: 'sigv4',
      });
    }
    const group = config.OriginGroups.Items[0];
    expect(group.Members.Items.map((m: Statement) => m.OriginId)).toEqual(config.Origins.map((o: Statement) => o.Id));
    expect(group.FailoverCriteria.StatusCodes.Items).toEqual(FAILOVER_STATUS_CODES);
    expect(config).toMatchObject({
      HttpVersion: 'http2and3',
      IPV6Enabled: true,
      PriceClass: priceClass,
      DefaultCacheBehavior: {
        TargetOriginId: group.Id,
        ViewerProtocolPolicy: 'https-only',
        AllowedMethods: ['GET', 'HEAD'],
        Compress: false,
        FunctionAssociations: [{ EventType: 'viewer-request', FunctionARN: expect.anything() }],
      },
    });
    if (domainName) {
      expect(config.Aliases).toEqual([domainName]);
      expect(config.ViewerCertificate).toMatchObject({
        MinimumProtocolVersion: 'TLSv1.2_2021',
        SslSupportMethod: 'sni-only',
      });
      cdn.hasResourceProperties('AWS::CertificateManager::Certificate', {
        DomainName: domainName,
        ValidationMethod: 'DNS',
      });
    } else {
      expect(config.Aliases).toBeUndefined();
      expect(cdn.findResources('AWS::CertificateManager::Certificate')).toEqual({});
    }
    cdn.hasOutput('DistributionDomainName', {
      Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^CdnDistribution'), 'DomainName'] },
    });
  });

  it('deploys exactly the allow-list function code', () => {
    templates.get(cdnStackName(topology))!.hasResourceProperties('AWS::CloudFront::Function', {
      FunctionCode: blobAllowListFunctionCode(),
      FunctionConfig: { Runtime: 'cloudfront-js-2.0' },
      AutoPublish: true,
    });
  });

  it('delivers CDN access logs to a CloudWatch log group kept for the configured days', () => {
    const cdn = templates.get(cdnStackName(topology))!;
    cdn.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: topology.aws.cdn.logRetentionDays });
    cdn.hasResourceProperties('AWS::Logs::DeliverySource', {
      LogType: 'ACCESS_LOGS',
      ResourceArn: { 'Fn::Join': Match.anyValue() },
    });
    cdn.hasResourceProperties('AWS::Logs::Delivery', { DeliverySourceName: `${topology.name}-cdn-access-logs` });
  });

  it('has no unacknowledged cdk-nag AwsSolutions finding', () => {
    // The AwsSolutions plugin ran once over every template and found nothing (a finding also fails synthesis:
    // see "cdk-nag on synth" in constructs.test.ts).
    expect(synthesized.validations.nag).toEqual([
      { templates: everyTemplate(), report: expect.objectContaining({ success: true, violations: [] }) },
    ]);
    // What Annotations.fromStack(stack).findError('*', /AwsSolutions-.*/) checks, read from the assembly already
    // synthesized: Annotations.fromStack re-synthesizes the whole app for every stack (33 times here).
    const assembly = synthesized.app.synth();
    for (const stack of allStacks()) {
      const messages = assembly.getStackArtifact(stack.artifactId).messages;
      expect(messages.filter((m) => m.level === 'error' && /AwsSolutions-/.test(String(m.entry.data)))).toEqual([]);
      expect(messages.filter((m) => m.level !== 'info')).toEqual([]);
    }
  });

  if (cfnValidation) {
    it('passes CDK’s CloudFormation schema validation, run over every template', () => {
      // CDK turns this plugin's errors into warnings and lets synthesis succeed: only its report shows them.
      expect(synthesized.validations.cloudFormation).toEqual([
        { templates: everyTemplate(), report: expect.objectContaining({ success: true, violations: [] }) },
      ]);
    });
  } else {
    it('skips CDK’s CloudFormation schema validation, as bin/aws.ts does', () => {
      expect(synthesized.validations.cloudFormation).toEqual([]);
    });
  }
});
