/**
 * Delivery: the private repository of the services' own images (the redirector's and the replicator's, not the
 * public images) and the identities of the GitHub workflows that build them (images.yml) and deploy (deploy.yml).
 * Deployed first, by a person: nothing else can deploy before the deploy identity exists.
 */
import type { Construct } from 'constructs';
import type { Topology } from '../../../../topology';
import { artifactRegistryHost, artifactRegistryPath } from '../../urls';
import { apisOf } from '../apis';
import { deployRoles } from '../deploy-roles';
import { DockerRepository, type RepositoryRef } from '../docker-repository';
import { GithubIdentities } from '../github-identities';
import { GCP_OUTPUT_IDS, SERVICE_ACCOUNT_IDS } from '../names';
import { GcpStack, outputs } from '../stack';

/** Where the services' images live: `images.repository` in the serving project. */
export function servicesRepository(topology: Topology): RepositoryRef & { readonly url: string } {
  const project = topology.gcp.servingProject;
  const region = topology.images.repository.region ?? topology.gcp.canonicalRegion;
  const repositoryId = topology.images.repository.id;
  return {
    project,
    region,
    repositoryId,
    url: `${artifactRegistryHost(region)}/${artifactRegistryPath(project, repositoryId)}`,
  };
}

export const GITHUB_POOL_ID = 'github-actions';
export const GITHUB_PROVIDER_ID = 'github';

export class DeliveryStack extends GcpStack {
  readonly repository: DockerRepository;
  readonly identities: GithubIdentities;

  constructor(scope: Construct, id: string, topology: Topology) {
    super(scope, id, { topology, project: topology.gcp.servingProject, apis: apisOf(topology, 'delivery') });
    const project = topology.gcp.servingProject;
    const where = servicesRepository(topology);
    this.repository = new DockerRepository(this, 'services', {
      ...where,
      // Cloud Run runs digests (the topology refuses tags): a tag here only tells people which commit an image is.
      immutableTags: false,
      description: `${topology.name}: the redirector's and the replicator's images (private)`,
    });
    this.identities = new GithubIdentities(this, 'github', {
      project,
      github: topology.github,
      poolId: GITHUB_POOL_ID,
      providerId: GITHUB_PROVIDER_ID,
      deployerAccountId: SERVICE_ACCOUNT_IDS.deployer,
      imagePublisherAccountId: SERVICE_ACCOUNT_IDS.imagePublisher,
      // Named through the resource, so Terraform creates the repository before granting on it.
      imagesRepository: { ...where, repositoryId: this.repository.repository.name },
      deployRoles: deployRoles(topology),
      displayName: topology.name,
    });

    outputs(this, {
      [GCP_OUTPUT_IDS.workloadIdentityProvider]: [
        this.identities.provider.name,
        'workload_identity_provider of google-github-actions/auth (GitHub variable GCP_WORKLOAD_IDENTITY_PROVIDER)',
      ],
      [GCP_OUTPUT_IDS.deployServiceAccount]: [
        this.identities.deployer.email,
        'The account deploy.yml deploys as (GitHub variable GCP_DEPLOY_SERVICE_ACCOUNT)',
      ],
      [GCP_OUTPUT_IDS.imagesServiceAccount]: [
        this.identities.imagePublisher.email,
        'The account images.yml pushes as (GitHub variable GCP_IMAGES_SERVICE_ACCOUNT)',
      ],
      [GCP_OUTPUT_IDS.servicesRepository]: [
        where.url,
        'Where images.yml pushes the services images (GitHub variable SERVICES_REPOSITORY)',
      ],
    });
  }
}
