/**
 * GitHub Actions as an OIDC identity provider: its issuer and the subject of a job's token. Both clouds' deploy
 * identities trust these tokens (lib/clouds/aws/infra/github-deploy-role.ts, lib/clouds/gcp/infra/github-identities.ts).
 */

/** GitHub Actions' OIDC issuer. */
export const GITHUB_OIDC_ISSUER = 'https://token.actions.githubusercontent.com';

/** The issuer without its scheme: IAM's condition-key prefix and the name of AWS's OIDC provider for it. */
export const GITHUB_OIDC_HOST = 'token.actions.githubusercontent.com';

/**
 * The `sub` claim of a job that runs in an environment: `repo:<owner/name>:environment:<environment>` (GitHub's
 * default subject; for such a job it names the environment, not the branch).
 */
export function environmentSubject(repository: string, environment: string): string {
  return `repo:${repository}:environment:${environment}`;
}
