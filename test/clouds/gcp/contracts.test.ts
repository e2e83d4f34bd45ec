/**
 * What the GCP stacks hand to the runtime services, read back by those services' own parsers: the redirector's
 * ROUTING_TABLE and the replicator's command lines. A change on either side that breaks the other fails here.
 */
import { routingTableFromEnv } from '../../../lib/redirector/config';
import { parseCommandLine } from '../../../lib/replicator/options';
import { ROLES } from '../../../lib/clouds/gcp/infra/iam';
import { gcpNames, SERVICE_ACCOUNT_IDS } from '../../../lib/clouds/gcp/infra/names';
import { routingTableFor } from '../../../lib/topology';
import { resourcesOf, smallTopology, synthesizeGcp, type SynthesizedGcp, type TerraformJson } from './support';

const topology = smallTopology();
let synthesized: SynthesizedGcp;
beforeAll(() => {
  synthesized = synthesizeGcp(topology);
});

type Container = { args?: string[]; env?: { name: string; value: string }[] };

/** `[<location>/<name>, first container]` of every Cloud Run service or job of a type. */
function containersOf(stack: TerraformJson, type: string): [string, Container][] {
  return resourcesOf(stack, type).map((r) => {
    const template = r.template as { containers?: Container[]; template?: { containers: Container[] } };
    return [String(r.location) + '/' + String(r.name), (template.containers ?? template.template!.containers)[0]!];
  });
}

it('every redirector service starts with the routing table of its region', () => {
  const services = containersOf(synthesized.redirector, 'google_cloud_run_v2_service');
  expect(services).toHaveLength(2);
  for (const [where, container] of services) {
    const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value]));
    const { table } = routingTableFromEnv(env);
    expect(table).toEqual(routingTableFor(topology, where.split('/')[0]!));
  }
});

it('the replicator accepts both jobs’ command lines as the jobs they are', () => {
  const names = gcpNames(topology);
  const jobs = Object.fromEntries(
    containersOf(synthesized.replication, 'google_cloud_run_v2_job').map(([where, c]) => [
      where.split('/')[1],
      c.args!,
    ]),
  );
  expect(parseCommandLine(jobs[names.fanOutJob]!)).toMatchObject({
    kind: 'registry',
    source: { host: 'us-central1-docker.pkg.dev', path: 'small-artifacts/images' },
    destinations: [{ host: 'europe-west1-docker.pkg.dev', path: 'small-artifacts/images' }],
    concurrency: 8,
    rps: 80,
    hostRps: new Map(),
  });
  expect(parseCommandLine(jobs[names.s3UploadJob]!)).toMatchObject({
    kind: 's3',
    bucket: 'small-registry-us-east-2',
    region: 'us-east-2',
  });
});

it('the replicator reads the per-host request budgets the topology gives the fan-out job', () => {
  const budgeted = synthesizeGcp(
    smallTopology((t) => (t.replication = { requestsPerSecondByHost: { 'europe-west1-docker.pkg.dev': 200 } })),
  );
  const fanOut = containersOf(budgeted.replication, 'google_cloud_run_v2_job').find(([where]) =>
    where.endsWith(`/${gcpNames(topology).fanOutJob}`),
  )!;
  expect(parseCommandLine(fanOut[1].args!)).toMatchObject({
    rps: 80,
    hostRps: new Map([['europe-west1-docker.pkg.dev', 200]]),
  });
});

it('a single Artifact Registry region gets no fan-out job (nothing to copy to), only the S3 job', () => {
  const single = synthesizeGcp(
    smallTopology((t) => {
      t.gcp.artifactRegions = ['us-central1'];
      t.gcp.redirector.regions = { 'us-central1': { defaultBlobBackend: 'us-east-2' } };
    }),
  );
  expect(resourcesOf(single.replication, 'google_cloud_run_v2_job').map((j) => j.name)).toEqual([
    gcpNames(topology).s3UploadJob,
  ]);
  expect(resourcesOf(single.replication, 'google_cloud_scheduler_job').map((j) => j.name)).toEqual([
    gcpNames(topology).s3UploadJob,
  ]);
  expect(
    resourcesOf(single.replication, 'google_service_account')
      .map((a) => a.account_id)
      .sort(),
  ).toEqual([SERVICE_ACCOUNT_IDS.scheduler, SERVICE_ACCOUNT_IDS.s3Upload].sort());
  expect(
    resourcesOf(single.replication, 'google_artifact_registry_repository_iam_member').map((g) => [g.location, g.role]),
  ).toEqual([['us-central1', ROLES.artifactRegistryReader]]);
});
