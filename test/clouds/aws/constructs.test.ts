/** The constructs on their own: pure decisions (trust, retention), a non-Google issuer, and cdk-nag failing synth. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { logRetention } from '../../../lib/clouds/aws/infra/blob-cdn';
import { awsAppProps } from '../../../lib/clouds/aws/infra/cdk-context';
import { MirrorBucket } from '../../../lib/clouds/aws/infra/mirror-bucket';
import { issuerConditionPrefix, webIdentityTrust, WriterRole } from '../../../lib/clouds/aws/infra/writer-role';
import { CLOUDWATCH_RETENTION_DAYS } from '../../../lib/clouds/aws/logs';

const ENV = { account: '123456789012', region: 'us-east-2' };
/** What the topology resolves aws.noncurrentVersionExpirationDays to when a file leaves it out. */
const MIRROR = { bucketName: 'mirror-bucket', noncurrentVersionExpiration: Duration.days(30) };

describe('webIdentityTrust', () => {
  it('uses the built-in Google provider with oaud (= the token aud) and sub', () => {
    expect(
      webIdentityTrust({
        oidcIssuer: 'https://accounts.google.com',
        audience: 'sts.amazonaws.com',
        subject: '42',
        roleName: 'w',
      }),
    ).toEqual({
      provider: { builtIn: 'accounts.google.com' },
      conditions: { 'accounts.google.com:oaud': 'sts.amazonaws.com', 'accounts.google.com:sub': '42' },
      subjectKnown: true,
    });
  });

  it('pins only the audience while the subject is unknown, and says so (the role then denies every token)', () => {
    expect(
      webIdentityTrust({ oidcIssuer: 'https://accounts.google.com', audience: 'sts.amazonaws.com', roleName: 'w' }),
    ).toEqual({
      provider: { builtIn: 'accounts.google.com' },
      conditions: { 'accounts.google.com:oaud': 'sts.amazonaws.com' },
      subjectKnown: false,
    });
  });

  it.each([
    ['https://token.actions.githubusercontent.com', 'token.actions.githubusercontent.com'],
    ['https://token.actions.githubusercontent.com/', 'token.actions.githubusercontent.com'],
    ['https://oidc.eks.us-east-2.amazonaws.com/id/ABC123', 'oidc.eks.us-east-2.amazonaws.com/id/ABC123'],
    ['https://issuer.example.com:8443/tenant/', 'issuer.example.com:8443/tenant'],
  ])('keys the conditions of issuer %s as %s', (issuer, prefix) => {
    expect(issuerConditionPrefix(issuer)).toBe(prefix);
    expect(
      webIdentityTrust({ oidcIssuer: issuer, audience: 'aud-1', subject: 'sub-1', roleName: 'w' }).conditions,
    ).toEqual({
      [`${prefix}:aud`]: 'aud-1',
      [`${prefix}:sub`]: 'sub-1',
    });
  });

  it('refuses an issuer that is not https', () => {
    expect(() => issuerConditionPrefix('http://issuer.example.com')).toThrow(/must be an https URL/);
  });
});

describe('WriterRole with a non-Google issuer', () => {
  const app = new App();
  const stack = new Stack(app, 'Writer', { env: ENV });
  new WriterRole(stack, 'Writer', {
    roleName: 'writer',
    bucketName: 'bucket-us-east-2',
    identity: {
      oidcIssuer: 'https://token.actions.githubusercontent.com',
      audience: 'sts.amazonaws.com',
      subject: 'repo:o/r:ref:refs/heads/main',
      roleName: 'writer',
    },
  });
  const template = Template.fromStack(stack);

  it('creates a CloudFormation-native OIDC provider (no custom-resource Lambda) for the issuer and audience', () => {
    template.resourceCountIs('AWS::IAM::OIDCProvider', 1);
    template.hasResourceProperties('AWS::IAM::OIDCProvider', {
      Url: 'https://token.actions.githubusercontent.com',
      ClientIdList: ['sts.amazonaws.com'],
    });
    template.resourceCountIs('AWS::Lambda::Function', 0);
  });

  it('trusts only that provider, for the audience and subject', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'writer',
      MaxSessionDuration: 3600,
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRoleWithWebIdentity',
            Effect: 'Allow',
            Principal: { Federated: { Ref: Match.stringLikeRegexp('^WriterOidcProvider') } },
            Condition: {
              StringEquals: {
                'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
                'token.actions.githubusercontent.com:sub': 'repo:o/r:ref:refs/heads/main',
              },
            },
          },
        ],
      },
    });
  });
});

describe('MirrorBucket', () => {
  it.each(['', 'containers/images', '/containers/', 'a//'])('refuses the public prefix %j', (prefix) => {
    const stack = new Stack(new App(awsAppProps()), 'S', { env: ENV });
    expect(() => new MirrorBucket(stack, 'M', { ...MIRROR, publicReadPrefix: prefix })).toThrow(
      /publicReadPrefix .* must be one or more path segments ending in "\/"/,
    );
  });

  it('logs to a given bucket instead of creating one', () => {
    const stack = new Stack(new App(awsAppProps()), 'S', { env: ENV });
    const shared = new s3.Bucket(stack, 'SharedLogs');
    new MirrorBucket(stack, 'M', { ...MIRROR, accessLogsBucket: shared });
    Template.fromStack(stack).resourceCountIs('AWS::S3::Bucket', 2);
  });
});

describe('CDN log retention', () => {
  it("the topology's list of CloudWatch retention periods is the SDK's (never-expire aside)", () => {
    const sdk = Object.values(logs.RetentionDays).filter(
      (days): days is number => typeof days === 'number' && days !== logs.RetentionDays.INFINITE,
    );
    expect([...CLOUDWATCH_RETENTION_DAYS].sort((a, b) => a - b)).toEqual(sdk.sort((a, b) => a - b));
  });

  it.each(CLOUDWATCH_RETENTION_DAYS.map((d) => [d]))('accepts %i days', (days) => {
    expect(logRetention(days)).toBe(days);
  });

  it.each([[0], [2], [31], [9999]])('refuses %i days, listing the allowed values', (days) => {
    expect(() => logRetention(days)).toThrow(
      new RegExp(`${days} days is not a CloudWatch Logs retention period \\(allowed: 1, 3, 5`),
    );
  });
});

describe('MirrorBucket without the bucket-policy log delivery flag', () => {
  it('says which feature flag it needs', () => {
    const stack = new Stack(new App(), 'S', { env: ENV });
    expect(() => new MirrorBucket(stack, 'M', MIRROR)).toThrow('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy');
  });
});

describe('cdk-nag on synth', () => {
  function synthMirror(acknowledge: boolean): void {
    const outdir = mkdtempSync(join(tmpdir(), 'aws-nag-'));
    try {
      const app = new App(awsAppProps({ outdir }));
      const stack = new Stack(app, 'Nag', { env: ENV });
      const mirror = new MirrorBucket(stack, 'M', { ...MIRROR, bucketName: 'public-mirror' });
      if (acknowledge)
        Validations.of(mirror.bucket.node.defaultChild!).acknowledge({ id: 'AwsSolutions-S2', reason: 'test' });
      Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
      app.synth();
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  }

  it('fails synthesis on an unacknowledged finding (a public mirror bucket without its S2 acknowledgement)', () => {
    expect(() => synthMirror(false)).toThrow(/AwsSolutions-S2/);
  });

  it('passes once that one finding is acknowledged on that one resource', () => {
    expect(() => synthMirror(true)).not.toThrow();
  });
});
