/**
 * gcp-delivery: the services' private image repository, and the Google identities of the GitHub workflows. Only
 * this repository's main branch (and tags, for images) gets a token through; only its production environment may
 * deploy; the deploy account holds what the preflight asks of a human deployer, nothing less.
 */
import { neededPermissions } from '../../../lib/deploy/preflight/gcp';
import { GCP_OUTPUT_IDS, SERVICE_ACCOUNT_IDS } from '../../../lib/clouds/gcp/infra/names';
import { ROLES } from '../../../lib/clouds/gcp/infra/iam';
import { iamGrantsOf, resourcesOf, smallTopology, synthesizeGcp, type TerraformJson } from './support';

const topology = smallTopology();
const stack = synthesizeGcp(topology).delivery;

/** `${google_<type>.<id>.<attribute>}` of the only resource of a type matching `where`. */
function ref(s: TerraformJson, type: string, where: (config: Record<string, unknown>) => boolean, attribute: string) {
  const [id] = Object.entries(s.resource[type] ?? {}).find(([, config]) => where(config))!;
  return `\${${type}.${id}.${attribute}}`;
}
const account = (id: string, attribute: string) =>
  ref(stack, 'google_service_account', (c) => c.account_id === id, attribute);
const pool = ref(stack, 'google_iam_workload_identity_pool', () => true, 'name');

describe('gcp-delivery', () => {
  it("creates the services' repository in the serving project, private, its tags movable", () => {
    expect(resourcesOf(stack, 'google_artifact_registry_repository')).toMatchObject([
      {
        project: 'small-serving',
        location: 'us-central1',
        repository_id: 'services',
        format: 'DOCKER',
        // images.yml pushes the commit's tag again when a commit is rebuilt; Cloud Run runs digests anyway.
        docker_config: { immutable_tags: false },
      },
    ]);
    expect(iamGrantsOf(stack).filter((g) => g.members.includes('allUsers'))).toEqual([]);
    expect(stack.output?.[GCP_OUTPUT_IDS.servicesRepository]?.value).toBe(
      'us-central1-docker.pkg.dev/small-serving/services',
    );
  });

  it("federates GitHub's tokens of this repository only: main or a tag, and the production environment only from main", () => {
    expect(resourcesOf(stack, 'google_iam_workload_identity_pool_provider')).toEqual([
      expect.objectContaining({
        oidc: { issuer_uri: 'https://token.actions.githubusercontent.com' },
        attribute_mapping: {
          'google.subject': 'assertion.sub',
          'attribute.repository': 'assertion.repository',
          'attribute.ref': 'assertion.ref',
        },
        attribute_condition:
          "assertion.repository == 'example-org/small-registry' && " +
          "(assertion.ref == 'refs/heads/main' || assertion.ref.startsWith('refs/tags/')) && " +
          "(assertion.sub != 'repo:example-org/small-registry:environment:production' || " +
          "assertion.ref == 'refs/heads/main')",
      }),
    ]);
  });

  it('lets only the production environment act as the deploy account, and the repository push images', () => {
    const federation = resourcesOf(stack, 'google_service_account_iam_member');
    expect(federation).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          service_account_id: account(SERVICE_ACCOUNT_IDS.deployer, 'name'),
          role: ROLES.workloadIdentityUser,
          member: `principal://iam.googleapis.com/${pool}/subject/repo:example-org/small-registry:environment:production`,
        }),
        expect.objectContaining({
          service_account_id: account(SERVICE_ACCOUNT_IDS.imagePublisher, 'name'),
          role: ROLES.workloadIdentityUser,
          member: `principalSet://iam.googleapis.com/${pool}/attribute.repository/example-org/small-registry`,
        }),
      ]),
    );
    expect(federation).toHaveLength(2);
  });

  it("the image publisher may write the services' repository and nothing else", () => {
    const publisher = `serviceAccount:${account(SERVICE_ACCOUNT_IDS.imagePublisher, 'email')}`;
    expect(iamGrantsOf(stack).filter((g) => g.members.includes(publisher))).toEqual([
      expect.objectContaining({
        type: 'google_artifact_registry_repository_iam_member',
        role: ROLES.artifactRegistryWriter,
        config: expect.objectContaining({
          repository: ref(stack, 'google_artifact_registry_repository', () => true, 'name'),
        }),
      }),
    ]);
  });

  it('the deploy account holds, in each project, every role the preflight asks of a deployer', () => {
    const deployer = `serviceAccount:${account(SERVICE_ACCOUNT_IDS.deployer, 'email')}`;
    const held = new Set(
      resourcesOf(stack, 'google_project_iam_member')
        .filter((m) => m.member === deployer)
        .map((m) => `${String(m.project)} ${String(m.role)}`),
    );
    for (const [project, needed] of neededPermissions(topology)) {
      for (const { role } of needed)
        expect([project, role, held.has(`${project} ${role}`)]).toEqual([project, role, true]);
    }
    // And what gcp-delivery itself needs: the pool, and the services' repository.
    expect(held).toContain('small-serving roles/iam.workloadIdentityPoolAdmin');
    expect(held).toContain('small-serving roles/artifactregistry.admin');
    expect([...held].some((h) => /roles\/(owner|editor)$/.test(h))).toBe(false);
  });

  it('outputs what the workflows authenticate with', () => {
    expect(stack.output).toMatchObject({
      [GCP_OUTPUT_IDS.workloadIdentityProvider]: {
        value: ref(stack, 'google_iam_workload_identity_pool_provider', () => true, 'name'),
      },
      [GCP_OUTPUT_IDS.deployServiceAccount]: { value: account(SERVICE_ACCOUNT_IDS.deployer, 'email') },
      [GCP_OUTPUT_IDS.imagesServiceAccount]: { value: account(SERVICE_ACCOUNT_IDS.imagePublisher, 'email') },
    });
  });

  it('follows the topology: another repository, branch and environment', () => {
    const other = synthesizeGcp(
      smallTopology((t) => void (t.github = { repository: 'o/r', branch: 'release', environment: 'prod-eu' })),
    ).delivery;
    const [provider] = resourcesOf(other, 'google_iam_workload_identity_pool_provider');
    expect(provider!.attribute_condition).toBe(
      "assertion.repository == 'o/r' && (assertion.ref == 'refs/heads/release' || assertion.ref.startsWith('refs/tags/')) && " +
        "(assertion.sub != 'repo:o/r:environment:prod-eu' || assertion.ref == 'refs/heads/release')",
    );
  });
});
