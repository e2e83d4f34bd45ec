/**
 * The AWS side of continuous delivery: the identity deploy.yml assumes (GitHub's OIDC provider and the deploy
 * role). Deployed by a person before the first automated deploy, like gcp-delivery on the Google side.
 */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { Topology } from '../../../topology';
import { GithubDeployRole } from './github-deploy-role';
import { AWS_OUTPUT_IDS, deployRoleName } from './names';
import { acknowledgeDeployRoleFindings } from './nag';

export interface DeliveryStackProps extends StackProps {
  readonly topology: Topology;
}

export class DeliveryStack extends Stack {
  readonly deployRole: GithubDeployRole;

  constructor(scope: Construct, id: string, props: DeliveryStackProps) {
    const { topology } = props;
    const { github } = topology;
    super(scope, id, {
      ...props,
      env: { account: topology.aws.accountId, region: topology.aws.uploadRegion },
      description: `${topology.name}: the deploy identity of ${github.repository} (GitHub Actions, environment ${github.environment})`,
    });
    this.deployRole = new GithubDeployRole(this, 'GithubDeploy', {
      roleName: deployRoleName(topology),
      account: topology.aws.accountId,
      repository: github.repository,
      environment: github.environment,
      oidcProviderArn: github.awsOidcProviderArn,
    });
    acknowledgeDeployRoleFindings(this.deployRole);
    new CfnOutput(this, AWS_OUTPUT_IDS.deployRoleArn, {
      value: this.deployRole.role.roleArn,
      description: 'role-to-assume of deploy.yml (GitHub variable AWS_DEPLOY_ROLE_ARN)',
    });
  }
}
