/**
 * The Google APIs each GCP stack's resources call. A new project has almost none enabled, and Terraform fails on
 * the first resource whose API is off; so every stack enables what it uses (google_project_service) before
 * creating anything, and never disables it on destroy: another stack, or something outside this registry, may use
 * the same API in the same project, and enabling an API that is already on changes nothing.
 */
import type { Topology } from '../../../topology';
import type { GcpStackKey } from './names';

export const GOOGLE_APIS = {
  artifactRegistry: 'artifactregistry.googleapis.com',
  bigQuery: 'bigquery.googleapis.com',
  certificateManager: 'certificatemanager.googleapis.com',
  /** Project IAM policies, which the audit log configuration is part of. */
  cloudResourceManager: 'cloudresourcemanager.googleapis.com',
  cloudScheduler: 'cloudscheduler.googleapis.com',
  compute: 'compute.googleapis.com',
  /** Service accounts. */
  iam: 'iam.googleapis.com',
  /** Tokens minted for a service account: the scheduler's OAuth calls that start the jobs. */
  iamCredentials: 'iamcredentials.googleapis.com',
  logging: 'logging.googleapis.com',
  monitoring: 'monitoring.googleapis.com',
  run: 'run.googleapis.com',
  /** Security Token Service: trades a GitHub token for a Google one (workload identity federation). */
  sts: 'sts.googleapis.com',
} as const;

export type GoogleApi = (typeof GOOGLE_APIS)[keyof typeof GOOGLE_APIS];

/** One API in one project. */
export interface ProjectApi {
  readonly project: string;
  readonly api: GoogleApi;
}

/** The APIs a stack's resources call, in the projects they are in (never the same API twice in one project). */
export function apisOf(topology: Topology, stack: GcpStackKey): ProjectApi[] {
  const { artifactsProject: artifacts, servingProject: serving } = topology.gcp;
  const A = GOOGLE_APIS;
  const uses: Record<GcpStackKey, [project: string, apis: GoogleApi[]][]> = {
    // The services' repository, the GitHub identities and the deploy identity's project roles in both projects.
    delivery: [
      [serving, [A.artifactRegistry, A.iam, A.iamCredentials, A.sts, A.cloudResourceManager]],
      ...(artifacts === serving ? [] : [[artifacts, [A.cloudResourceManager]] as [string, GoogleApi[]]]),
    ],
    artifacts: [[artifacts, [A.artifactRegistry, A.cloudResourceManager]]],
    redirector: [[serving, [A.run, A.iam]]],
    frontend: [[serving, [A.compute, A.certificateManager]]],
    observability: [[serving, [A.bigQuery, A.logging, A.monitoring]]],
    // The grants on the repositories are Artifact Registry calls in the artifacts project.
    replication: [
      [serving, [A.run, A.iam, A.iamCredentials, A.cloudScheduler]],
      [artifacts, [A.artifactRegistry]],
    ],
  };
  return uses[stack].flatMap(([project, apis]) => apis.map((api) => ({ project, api })));
}
