/** The few IAM roles and members the GCP stacks grant, named once so tests and constructs agree. */

export const ROLES = {
  artifactRegistryReader: 'roles/artifactregistry.reader',
  artifactRegistryWriter: 'roles/artifactregistry.writer',
  runInvoker: 'roles/run.invoker',
  bigQueryDataEditor: 'roles/bigquery.dataEditor',
  /** Lets a federated principal (a GitHub workflow run) act as a service account. */
  workloadIdentityUser: 'roles/iam.workloadIdentityUser',
} as const;

/** Anyone on the internet, signed in or not. Granted only AR read and Cloud Run invoke. */
export const ALL_USERS = 'allUsers';

/** The IAM member of a service account. */
export function serviceAccountMember(email: string): string {
  return `serviceAccount:${email}`;
}
