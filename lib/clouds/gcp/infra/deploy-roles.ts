/**
 * What `npm run deploy` needs in each Google project, as predefined roles: the roles of the deploy identity
 * (deploy.yml). The preflight (lib/deploy/preflight/gcp.ts) asks a human deployer for the same, by permission;
 * test/clouds/gcp/delivery.test.ts holds this list to the preflight's, so the two cannot drift apart.
 *
 * These are project-wide by nature (creating a resource cannot be granted on the resource), which is why the
 * deploy identity is the only project-level member of any stack, and why only a reviewed run of the deploy branch
 * may use it.
 */
import { terraformStateBucket, type Topology } from '../../../topology';
import type { ProjectRole } from './github-identities';

/** In every project: the stacks enable the APIs they call, and gcp-delivery grants these very roles. */
const EVERY_PROJECT = ['roles/serviceusage.serviceUsageAdmin', 'roles/resourcemanager.projectIamAdmin'];

/** The public repositories, their IAM and audit log configuration (gcp-artifacts). */
const ARTIFACTS = ['roles/artifactregistry.admin'];

const SERVING = [
  'roles/artifactregistry.admin', // the services' repository (gcp-delivery)
  'roles/iam.workloadIdentityPoolAdmin', // the GitHub pool and provider (gcp-delivery)
  'roles/iam.serviceAccountAdmin', // every stack's service accounts
  'roles/iam.serviceAccountUser', // running services and jobs as them
  'roles/run.admin', // gcp-redirector, gcp-replication
  'roles/cloudscheduler.admin', // gcp-replication
  'roles/compute.loadBalancerAdmin', // gcp-frontend
  'roles/compute.securityAdmin', // gcp-frontend: Cloud Armor
  'roles/certificatemanager.owner', // gcp-frontend
  'roles/bigquery.dataOwner', // gcp-observability: the request log dataset
  'roles/logging.configWriter', // gcp-observability: the sink and the log-based metrics
  'roles/monitoring.editor', // gcp-observability: uptime check, channels, alerts, dashboard
];

/** The Terraform state bucket (created by the deploy's first step, read and written by every cdktf step). */
const STATE = ['roles/storage.admin'];

/** Every (project, role) the deploy identity holds, each once, in a stable order. */
export function deployRoles(topology: Topology): ProjectRole[] {
  const { artifactsProject, servingProject } = topology.gcp;
  const state = terraformStateBucket(topology);
  const wanted: [string, readonly string[]][] = [
    [servingProject, [...EVERY_PROJECT, ...SERVING]],
    [artifactsProject, [...EVERY_PROJECT, ...ARTIFACTS]],
    ...(state ? [[state.project, STATE] as [string, readonly string[]]] : []),
  ];
  const seen = new Set<string>();
  return wanted.flatMap(([project, roles]) =>
    roles.flatMap((role) => {
      const key = `${project} ${role}`;
      if (seen.has(key)) return [];
      seen.add(key);
      return [{ project, role }];
    }),
  );
}
