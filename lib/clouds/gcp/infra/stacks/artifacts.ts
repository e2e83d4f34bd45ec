/** The Artifact Registry side: one public Docker repository per region and the audit logs of who changed what. */
import { ProjectIamAuditConfig } from '@cdktf/provider-google/lib/project-iam-audit-config';
import type { Construct } from 'constructs';
import type { Topology } from '../../../../topology';
import { apisOf } from '../apis';
import { DockerRepository } from '../docker-repository';
import { GcpStack } from '../stack';

/**
 * Data Access audit logs kept for Artifact Registry. DATA_WRITE: every push, tag move and delete, which is what an
 * incident needs. ADMIN_READ: who looked at repository settings and IAM. No DATA_READ: on a public registry it
 * would log every anonymous pull (billions a month) for no security benefit.
 */
export const ARTIFACT_REGISTRY_AUDIT_LOG_TYPES = ['ADMIN_READ', 'DATA_WRITE'] as const;

export class ArtifactsStack extends GcpStack {
  /** Repositories by region. */
  readonly repositories: ReadonlyMap<string, DockerRepository>;

  constructor(scope: Construct, id: string, topology: Topology) {
    super(scope, id, { topology, project: topology.gcp.artifactsProject, apis: apisOf(topology, 'artifacts') });
    const { artifactsProject, repository, artifactRegions, immutableTags } = topology.gcp;
    this.repositories = new Map(
      artifactRegions.map((region) => [
        region,
        new DockerRepository(this, `repository-${region}`, {
          project: artifactsProject,
          region,
          repositoryId: repository,
          publicRead: true,
          immutableTags,
          description: `${topology.name}: public container images (${region})`,
        }),
      ]),
    );
    new ProjectIamAuditConfig(this, 'artifact-registry-audit-logs', {
      project: artifactsProject,
      service: 'artifactregistry.googleapis.com',
      auditLogConfig: ARTIFACT_REGISTRY_AUDIT_LOG_TYPES.map((logType) => ({ logType })),
    });
  }
}
