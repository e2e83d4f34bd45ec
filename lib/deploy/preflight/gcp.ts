/**
 * What would stop the GCP side on its first deploy, asked of Google's REST APIs (Cloud Resource Manager v3, Cloud
 * Billing v1) through an authorized fetch, before anything is deployed: each project exists and is active, has
 * billing enabled, and the deployer holds every permission the stacks' resources need there
 * (projects.testIamPermissions answers for roles, groups and custom roles alike).
 */
import { GoogleAuth } from 'google-auth-library';
import { terraformStateBucket, type Topology } from '../../topology';
import { callFailed, missingRoles, ok, problem, type Finding, type Needed } from './findings';
import { apiError, getJson, type JsonFetch } from './http';

const RESOURCE_MANAGER = 'https://cloudresourcemanager.googleapis.com/v3';
const BILLING = 'https://cloudbilling.googleapis.com/v1';

const need = (role: string, ...permissions: string[]): Needed[] =>
  permissions.map((permission) => ({ permission, role }));

/** In every project: the stacks enable the APIs they use. */
const ENABLE_APIS = need('roles/serviceusage.serviceUsageAdmin', 'serviceusage.services.enable');

/** In the artifacts project: the repositories, their IAM (public read, the jobs' grants) and the audit log config. */
const ARTIFACTS = [
  ...need(
    'roles/artifactregistry.admin',
    'artifactregistry.repositories.create',
    'artifactregistry.repositories.setIamPolicy',
  ),
  ...need('roles/resourcemanager.projectIamAdmin', 'resourcemanager.projects.setIamPolicy'),
];

/** In the serving project: everything else. */
const SERVING = [
  ...need(
    'roles/run.admin',
    'run.services.create',
    'run.services.setIamPolicy',
    'run.jobs.create',
    'run.jobs.setIamPolicy',
  ),
  ...need('roles/iam.serviceAccountAdmin', 'iam.serviceAccounts.create'),
  ...need('roles/iam.serviceAccountUser', 'iam.serviceAccounts.actAs'),
  ...need(
    'roles/compute.loadBalancerAdmin',
    'compute.globalAddresses.create',
    'compute.backendServices.create',
    'compute.regionNetworkEndpointGroups.create',
    'compute.urlMaps.create',
    'compute.targetHttpsProxies.create',
    'compute.sslPolicies.create',
    'compute.globalForwardingRules.create',
  ),
  ...need('roles/compute.securityAdmin', 'compute.securityPolicies.create'),
  ...need(
    'roles/certificatemanager.owner',
    'certificatemanager.dnsauthorizations.create',
    'certificatemanager.certs.create',
    'certificatemanager.certmaps.create',
  ),
  ...need('roles/cloudscheduler.admin', 'cloudscheduler.jobs.create'),
  ...need('roles/bigquery.dataOwner', 'bigquery.datasets.create'),
  ...need('roles/logging.configWriter', 'logging.sinks.create'),
  ...need(
    'roles/monitoring.editor',
    'monitoring.notificationChannels.create',
    'monitoring.uptimeCheckConfigs.create',
    'monitoring.alertPolicies.create',
  ),
];

/** In the project holding the Terraform state bucket, when the deploy creates it. */
const STATE_BUCKET = need('roles/storage.admin', 'storage.buckets.create');

/** Per project, what the deployer needs there (the two projects may be one). */
export function neededPermissions(topology: Topology): Map<string, Needed[]> {
  const { artifactsProject, servingProject } = topology.gcp;
  const state = terraformStateBucket(topology);
  const byProject = new Map<string, Needed[]>();
  const add = (project: string, needed: Needed[]) => {
    const list = byProject.get(project) ?? [...ENABLE_APIS];
    byProject.set(project, [...list, ...needed.filter((n) => !list.some((m) => m.permission === n.permission))]);
  };
  add(artifactsProject, ARTIFACTS);
  add(servingProject, SERVING);
  if (state) add(state.project, STATE_BUCKET);
  return byProject;
}

async function projectExists(fetch: JsonFetch, project: string): Promise<Finding> {
  const check = `gcp project ${project}`;
  const { status, body } = await getJson(fetch, `${RESOURCE_MANAGER}/projects/${project}`);
  if (status === 200 && body.state === 'ACTIVE') return ok(check, 'exists and is active');
  if (status === 200)
    return problem(check, `is ${String(body.state)}`, `restore it: gcloud projects undelete ${project}`);
  return problem(
    check,
    `does not exist or the deployer cannot see it (HTTP ${status}${apiError(body)})`,
    `create it (gcloud projects create ${project}) or grant the deployer roles/browser on it`,
  );
}

async function billingEnabled(fetch: JsonFetch, project: string): Promise<Finding> {
  const check = `gcp project ${project}: billing`;
  const { status, body } = await getJson(fetch, `${BILLING}/projects/${project}/billingInfo`);
  if (status === 200 && body.billingEnabled === true) return ok(check, `enabled (${String(body.billingAccountName)})`);
  if (status === 200)
    return problem(
      check,
      'is not enabled: no API can be enabled and no resource created',
      `gcloud billing projects link ${project} --billing-account=<ACCOUNT_ID>`,
    );
  return problem(
    check,
    `cannot be read (HTTP ${status}${apiError(body)})`,
    `grant the deployer roles/billing.viewer on the billing account, or check that ${project} exists`,
  );
}

async function deployerPermissions(fetch: JsonFetch, project: string, needed: readonly Needed[]): Promise<Finding[]> {
  const check = `gcp project ${project}: deployer's roles`;
  const { status, body } = await getJson(fetch, `${RESOURCE_MANAGER}/projects/${project}:testIamPermissions`, {
    method: 'POST',
    body: JSON.stringify({ permissions: needed.map((n) => n.permission) }),
  });
  if (status !== 200)
    return [problem(check, `cannot be tested (HTTP ${status}${apiError(body)})`, `check that ${project} exists`)];
  const granted = new Set(Array.isArray(body.permissions) ? (body.permissions as string[]) : []);
  const missing = missingRoles(needed, (permission) => granted.has(permission));
  if (missing.size === 0) return [ok(check, `all ${needed.length} permissions the stacks need are granted`)];
  return [...missing].map(([role, permissions]) =>
    problem(
      check,
      `missing ${permissions.join(', ')}`,
      `gcloud projects add-iam-policy-binding ${project} --member=<the deployer> --role=${role}`,
    ),
  );
}

export async function gcpPreflight(topology: Topology, fetch: JsonFetch): Promise<Finding[]> {
  const perProject = [...neededPermissions(topology)].map(async ([project, needed]) => {
    try {
      const exists = await projectExists(fetch, project);
      if (!exists.ok) return [exists];
      const [billing, roles] = await Promise.all([
        billingEnabled(fetch, project),
        deployerPermissions(fetch, project, needed),
      ]);
      return [exists, billing, ...roles];
    } catch (err) {
      return [
        callFailed(
          `gcp project ${project}`,
          err,
          'log in to Google Cloud with application default credentials: gcloud auth application-default login',
        ),
      ];
    }
  });
  return (await Promise.all(perProject)).flat();
}

/** fetch with the deployer's application default credentials (gcloud auth application-default login). */
export function authorizedFetch(): JsonFetch {
  const auth = new GoogleAuth({ scopes: ['https://www.googleapis.com/auth/cloud-platform'] });
  return async (url, init) => {
    const headers = await auth.getRequestHeaders(url);
    headers.set('content-type', 'application/json');
    return fetch(url, { method: init?.method ?? 'GET', body: init?.body, headers });
  };
}
