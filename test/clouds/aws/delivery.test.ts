/**
 * deploy.yml's AWS identity: GitHub's OIDC provider and a role only this repository's deploy environment can
 * assume, which deploys through the CDK bootstrap roles and nothing else. Synthesized with cdk-nag, as bin/aws.ts.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { AWS_OUTPUT_IDS, deliveryStackName, deployRoleName } from '../../../lib/clouds/aws/infra/names';
import type { Topology } from '../../../lib/topology';
import { smallTopology, synthAws, type SynthesizedAws } from './support';

function templateOf(topology: Topology): { synth: SynthesizedAws; template: Template } {
  const synth = synthAws(topology);
  return { synth, template: Template.fromStack(synth.stacks.delivery) };
}

/** The only resource of a type in a template. */
function only(template: Template, type: string): Record<string, unknown> {
  const resources = Object.values(template.findResources(type));
  expect(resources).toHaveLength(1);
  return resources[0]!.Properties as Record<string, unknown>;
}

describe('the AWS deploy identity', () => {
  const topology = smallTopology();
  let synth: SynthesizedAws;
  let template: Template;
  beforeAll(() => ({ synth, template } = templateOf(topology)));
  afterAll(() => synth.cleanup());

  it('is one stack in the upload region, deployed apart from the mirrors', () => {
    const stack = synth.stacks.delivery;
    expect(stack.stackName).toBe(deliveryStackName(topology));
    expect(stack.region).toBe(topology.aws.uploadRegion);
    expect(stack.dependencies).toEqual([]);
  });

  it("creates GitHub's OIDC provider for STS's audience", () => {
    expect(only(template, 'AWS::IAM::OIDCProvider')).toMatchObject({
      Url: 'https://token.actions.githubusercontent.com',
      ClientIdList: ['sts.amazonaws.com'],
    });
  });

  it("trusts only the repository's deploy environment (GitHub admits it from main only), for STS's audience", () => {
    const role = only(template, 'AWS::IAM::Role');
    expect(role.RoleName).toBe(deployRoleName(topology));
    expect(role.MaxSessionDuration).toBe(4 * 3600);
    const provider = Object.keys(template.findResources('AWS::IAM::OIDCProvider'))[0]!;
    expect(role.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: 'sts:AssumeRoleWithWebIdentity',
          Principal: { Federated: { Ref: provider } },
          Condition: {
            StringEquals: {
              'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
              'token.actions.githubusercontent.com:sub': 'repo:example-org/small-registry:environment:production',
            },
          },
        },
      ],
    });
  });

  it('may only assume the CDK bootstrap roles and look at (or run an empty change set on) the bootstrap stack', () => {
    const role = only(template, 'AWS::IAM::Role');
    const account = topology.aws.accountId;
    expect(role.Policies).toEqual([
      {
        PolicyName: 'deploy',
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'DeployThroughTheCdkBootstrapRoles',
              Effect: 'Allow',
              Action: ['sts:AssumeRole', 'sts:TagSession'],
              Resource: `arn:aws:iam::${account}:role/cdk-hnb659fds-*`,
            },
            {
              Sid: 'CheckTheBootstrapStack',
              Effect: 'Allow',
              Action: [
                'cloudformation:CreateChangeSet',
                'cloudformation:DeleteChangeSet',
                'cloudformation:DescribeChangeSet',
                'cloudformation:DescribeStackEvents',
                'cloudformation:DescribeStacks',
                'cloudformation:ExecuteChangeSet',
                'cloudformation:GetTemplate',
                'cloudformation:GetTemplateSummary',
              ],
              Resource: `arn:aws:cloudformation:*:${account}:stack/CDKToolkit/*`,
            },
          ],
        },
      },
    ]);
    expect(template.findResources('AWS::IAM::Policy')).toEqual({});
    expect(template.findResources('AWS::IAM::ManagedPolicy')).toEqual({});
  });

  it('outputs the role ARN that deploy.yml assumes', () => {
    const role = Object.keys(template.findResources('AWS::IAM::Role'))[0]!;
    template.hasOutput(AWS_OUTPUT_IDS.deployRoleArn, { Value: { 'Fn::GetAtt': [role, 'Arn'] } });
  });
});

describe('an account that already has GitHub provider', () => {
  it('uses it instead of creating a second one (an account holds one per issuer)', () => {
    const arn = 'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com';
    const topology = smallTopology();
    const { synth, template } = templateOf({ ...topology, github: { ...topology.github, awsOidcProviderArn: arn } });
    try {
      template.resourceCountIs('AWS::IAM::OIDCProvider', 0);
      const role = only(template, 'AWS::IAM::Role') as {
        AssumeRolePolicyDocument: { Statement: { Principal: unknown }[] };
      };
      expect(role.AssumeRolePolicyDocument.Statement[0]!.Principal).toEqual({ Federated: arn });
    } finally {
      synth.cleanup();
    }
  });
});
