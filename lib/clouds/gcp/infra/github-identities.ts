/**
 * The Google identities of this repository's GitHub workflows, with no stored key: a workload identity pool whose
 * provider accepts GitHub's OIDC tokens of one repository only, a service account that images.yml pushes images
 * as, and one that deploy.yml deploys as. Which workflow run may be which account is decided here, by the token's
 * claims; GitHub decides who may start the run (the production environment's reviewers and branch rule).
 */
import { IamWorkloadIdentityPool } from '@cdktf/provider-google/lib/iam-workload-identity-pool';
import { IamWorkloadIdentityPoolProvider } from '@cdktf/provider-google/lib/iam-workload-identity-pool-provider';
import { ProjectIamMember } from '@cdktf/provider-google/lib/project-iam-member';
import { ServiceAccount } from '@cdktf/provider-google/lib/service-account';
import { ServiceAccountIamMember } from '@cdktf/provider-google/lib/service-account-iam-member';
import { Construct } from 'constructs';
import type { Topology } from '../../../topology';
import { environmentSubject as subjectOf, GITHUB_OIDC_ISSUER } from '../../github';
import { grantRepositoryRole, type RepositoryRef } from './docker-repository';
import { ROLES, serviceAccountMember } from './iam';

export type GithubSettings = Topology['github'];

/** The `sub` of a token of a deploy job: `repo:<owner/name>:environment:<environment>`. */
export function environmentSubject(github: GithubSettings): string {
  return subjectOf(github.repository, github.environment);
}

/** A CEL string literal. */
function cel(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * Which tokens the provider accepts at all: this repository's, from its deploy branch or a tag (images are built on
 * both), and a token of the deploy environment only from the deploy branch. Every other token (another repository,
 * a pull request, a feature branch, an environment run from a tag) is refused before any account is considered.
 */
export function githubAttributeCondition(github: GithubSettings): string {
  const branch = cel(`refs/heads/${github.branch}`);
  return [
    `assertion.repository == ${cel(github.repository)}`,
    `(assertion.ref == ${branch} || assertion.ref.startsWith('refs/tags/'))`,
    `(assertion.sub != ${cel(environmentSubject(github))} || assertion.ref == ${branch})`,
  ].join(' && ');
}

export const GITHUB_ATTRIBUTE_MAPPING = {
  'google.subject': 'assertion.sub',
  'attribute.repository': 'assertion.repository',
  'attribute.ref': 'assertion.ref',
} as const;

/** A deploy role in a project: what the deploy identity holds there. */
export interface ProjectRole {
  readonly project: string;
  readonly role: string;
}

export interface GithubIdentitiesProps {
  readonly project: string;
  readonly github: GithubSettings;
  /** Pool and provider IDs (4-32 characters; `gcp-` is reserved). */
  readonly poolId: string;
  readonly providerId: string;
  readonly deployerAccountId: string;
  readonly imagePublisherAccountId: string;
  /** The repository images.yml pushes to: the image publisher may write there and nowhere else. */
  readonly imagesRepository: RepositoryRef;
  /** The roles `npm run deploy` needs, per project (deployRoles). */
  readonly deployRoles: readonly ProjectRole[];
  readonly displayName: string;
}

export class GithubIdentities extends Construct {
  readonly pool: IamWorkloadIdentityPool;
  readonly provider: IamWorkloadIdentityPoolProvider;
  readonly deployer: ServiceAccount;
  readonly imagePublisher: ServiceAccount;

  constructor(scope: Construct, id: string, props: GithubIdentitiesProps) {
    super(scope, id);
    const { project, github } = props;
    this.pool = new IamWorkloadIdentityPool(this, 'pool', {
      project,
      workloadIdentityPoolId: props.poolId,
      displayName: 'GitHub Actions',
      description: `${props.displayName}: workflows of ${github.repository}`,
    });
    this.provider = new IamWorkloadIdentityPoolProvider(this, 'provider', {
      project,
      workloadIdentityPoolId: this.pool.workloadIdentityPoolId,
      workloadIdentityPoolProviderId: props.providerId,
      displayName: github.repository.slice(0, 32),
      attributeMapping: { ...GITHUB_ATTRIBUTE_MAPPING },
      attributeCondition: githubAttributeCondition(github),
      // No allowed audiences: the provider's own resource name, which google-github-actions/auth requests.
      oidc: { issuerUri: GITHUB_OIDC_ISSUER },
    });
    // `projects/<number>/locations/global/workloadIdentityPools/<id>`: principals are named under it.
    const principals = `iam.googleapis.com/${this.pool.name}`;

    this.imagePublisher = new ServiceAccount(this, 'image-publisher', {
      project,
      accountId: props.imagePublisherAccountId,
      displayName: `${props.displayName}: pushes the services' images (images.yml)`,
    });
    new ServiceAccountIamMember(this, 'image-publisher-federation', {
      serviceAccountId: this.imagePublisher.name,
      role: ROLES.workloadIdentityUser,
      // Any run the provider accepted: this repository's deploy branch and tags.
      member: `principalSet://${principals}/attribute.repository/${github.repository}`,
    });
    grantRepositoryRole(
      this,
      'image-publisher-writes',
      props.imagesRepository,
      ROLES.artifactRegistryWriter,
      serviceAccountMember(this.imagePublisher.email),
    );

    this.deployer = new ServiceAccount(this, 'deployer', {
      project,
      accountId: props.deployerAccountId,
      displayName: `${props.displayName}: npm run deploy (deploy.yml)`,
    });
    new ServiceAccountIamMember(this, 'deployer-federation', {
      serviceAccountId: this.deployer.name,
      role: ROLES.workloadIdentityUser,
      // Only a job of the deploy environment; the provider admits that subject from the deploy branch only.
      member: `principal://${principals}/subject/${environmentSubject(github)}`,
    });
    for (const { project: where, role } of props.deployRoles) {
      new ProjectIamMember(this, `deployer-${where}-${role.replace(/^roles\//, '')}`, {
        project: where,
        role,
        member: serviceAccountMember(this.deployer.email),
      });
    }
  }
}
