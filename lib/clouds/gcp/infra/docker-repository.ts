/** One regional Artifact Registry Docker repository, optionally readable by anyone. */
import { ArtifactRegistryRepository } from '@cdktf/provider-google/lib/artifact-registry-repository';
import { ArtifactRegistryRepositoryIamMember } from '@cdktf/provider-google/lib/artifact-registry-repository-iam-member';
import { Construct } from 'constructs';
import { ALL_USERS, ROLES } from './iam';

/** Where a repository is: enough to grant roles on it from any stack. */
export interface RepositoryRef {
  readonly project: string;
  readonly region: string;
  readonly repositoryId: string;
}

/** Grants a role on one repository only (a repository-level member, never a project-level one). */
export function grantRepositoryRole(
  scope: Construct,
  id: string,
  repository: RepositoryRef,
  role: string,
  member: string,
): ArtifactRegistryRepositoryIamMember {
  return new ArtifactRegistryRepositoryIamMember(scope, id, {
    project: repository.project,
    location: repository.region,
    repository: repository.repositoryId,
    role,
    member,
  });
}

export interface DockerRepositoryProps extends RepositoryRef {
  /** Anyone may pull (`allUsers` gets roles/artifactregistry.reader). @default false */
  readonly publicRead?: boolean;
  /** Refuse to move an existing tag to another manifest: from the topology (`gcp.immutableTags`). */
  readonly immutableTags: boolean;
  /** @default none */
  readonly description?: string;
}

export class DockerRepository extends Construct implements RepositoryRef {
  readonly repository: ArtifactRegistryRepository;
  readonly project: string;
  readonly region: string;
  readonly repositoryId: string;

  constructor(scope: Construct, id: string, props: DockerRepositoryProps) {
    super(scope, id);
    this.project = props.project;
    this.region = props.region;
    this.repositoryId = props.repositoryId;
    this.repository = new ArtifactRegistryRepository(this, 'repository', {
      project: props.project,
      location: props.region,
      repositoryId: props.repositoryId,
      format: 'DOCKER',
      ...(props.description ? { description: props.description } : {}),
      dockerConfig: { immutableTags: props.immutableTags },
    });
    if (props.publicRead ?? false) {
      // Named through the resource, so Terraform creates the repository before granting on it.
      const repository = { project: this.project, region: this.region, repositoryId: this.repository.name };
      grantRepositoryRole(this, 'public-read', repository, ROLES.artifactRegistryReader, ALL_USERS);
    }
  }
}
