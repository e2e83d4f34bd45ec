/**
 * GithubDeployRole: the AWS identity of deploy.yml. Assumable only with a GitHub Actions OIDC token of one
 * repository's deploy environment (`repo:<owner/name>:environment:<environment>`, audience `sts.amazonaws.com`);
 * GitHub lets that environment run from the deploy branch only and after its reviewers approve. The role itself
 * changes nothing: it may assume the CDK bootstrap roles (which deploy the stacks, as `cdk deploy` does for a
 * person) and look at the bootstrap stack (so `cdk bootstrap` of a region that is already bootstrapped passes).
 * Bootstrapping a new region takes an administrator, as the first deploy does.
 */
import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { environmentSubject, GITHUB_OIDC_HOST, GITHUB_OIDC_ISSUER } from '../../github';
import { PARTITION, roleArn } from '../arns';

/** The audience aws-actions/configure-aws-credentials requests its token for. */
export const STS_AUDIENCE = 'sts.amazonaws.com';

/** The CDK's default bootstrap qualifier (cdk.json sets no other). */
export const CDK_QUALIFIER = 'hnb659fds';

/** `StringEquals` conditions of the trust: GitHub's audience for STS and the deploy environment's subject. */
export function githubDeployConditions(repository: string, environment: string): Record<string, string> {
  return {
    [`${GITHUB_OIDC_HOST}:aud`]: STS_AUDIENCE,
    [`${GITHUB_OIDC_HOST}:sub`]: environmentSubject(repository, environment),
  };
}

/** The roles `cdk bootstrap` created in every region: deploy, file publishing, lookup, CloudFormation execution. */
export function cdkBootstrapRolesArn(account: string): string {
  return roleArn(account, `cdk-${CDK_QUALIFIER}-*`);
}

/** The bootstrap stack in every region. */
export function cdkToolkitStacksArn(account: string): string {
  return `arn:${PARTITION}:cloudformation:*:${account}:stack/CDKToolkit/*`;
}

export interface GithubDeployRoleProps {
  readonly roleName: string;
  readonly account: string;
  /** `owner/name`. */
  readonly repository: string;
  readonly environment: string;
  /** The account's existing provider for GitHub's issuer. @default one is created (an account holds one per issuer) */
  readonly oidcProviderArn?: string;
  /** Longest session: a full deploy of every region takes a while. @default Duration.hours(4) */
  readonly maxSessionDuration?: Duration;
}

export class GithubDeployRole extends Construct {
  readonly role: iam.Role;
  readonly account: string;
  /** Created unless the props name an existing one. */
  readonly oidcProvider?: iam.OidcProviderNative;

  constructor(scope: Construct, id: string, props: GithubDeployRoleProps) {
    super(scope, id);
    this.account = props.account;
    let providerArn = props.oidcProviderArn;
    if (providerArn === undefined) {
      // CloudFormation-native: no custom-resource Lambda; IAM trusts GitHub's certificate through its own CA library.
      this.oidcProvider = new iam.OidcProviderNative(this, 'GithubOidcProvider', {
        url: GITHUB_OIDC_ISSUER,
        clientIds: [STS_AUDIENCE],
      });
      providerArn = this.oidcProvider.oidcProviderArn;
    }
    this.role = new iam.Role(this, 'Role', {
      roleName: props.roleName,
      description: `npm run deploy from GitHub Actions: ${props.repository}, environment ${props.environment} only`,
      assumedBy: new iam.WebIdentityPrincipal(providerArn, {
        StringEquals: githubDeployConditions(props.repository, props.environment),
      }),
      maxSessionDuration: props.maxSessionDuration ?? Duration.hours(4),
      inlinePolicies: { deploy: deployPolicy(props.account) },
    });
  }
}

/** Deploy through the CDK's bootstrap roles; read and no-op-update the bootstrap stack; nothing else. */
export function deployPolicy(account: string): iam.PolicyDocument {
  return new iam.PolicyDocument({
    statements: [
      new iam.PolicyStatement({
        sid: 'DeployThroughTheCdkBootstrapRoles',
        actions: ['sts:AssumeRole', 'sts:TagSession'],
        resources: [cdkBootstrapRolesArn(account)],
      }),
      new iam.PolicyStatement({
        sid: 'CheckTheBootstrapStack',
        actions: [
          'cloudformation:DescribeStacks',
          'cloudformation:DescribeStackEvents',
          'cloudformation:GetTemplate',
          'cloudformation:GetTemplateSummary',
          'cloudformation:CreateChangeSet',
          'cloudformation:DescribeChangeSet',
          'cloudformation:ExecuteChangeSet',
          'cloudformation:DeleteChangeSet',
        ],
        resources: [cdkToolkitStacksArn(account)],
      }),
    ],
  });
}
