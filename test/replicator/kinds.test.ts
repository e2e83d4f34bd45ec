/**
 * The kinds of destination (lib/replicator/kinds.ts) against the donors: every replication target a registered donor
 * gives names a registered kind, and its command line, as the replication stack builds it, is one `replicate` reads.
 * A donor whose target names a kind nobody registered fails here.
 */
import { join } from 'node:path';
import { jobArgs } from '../../lib/clouds/gcp/infra/replication-args';
import { DESTINATION_KINDS, parseCommandLine, USAGE } from '../../lib/replicator';
import { loadTopology, readTopologyFile, replicationJobs } from '../../lib/topology';

const TOPOLOGIES = {
  default: loadTopology().topology,
  'examples/azure.yaml': readTopologyFile(join(__dirname, '..', '..', 'examples', 'azure.yaml')),
};

describe.each(Object.entries(TOPOLOGIES))('the replication jobs of %s', (_name, topology) => {
  const jobs = replicationJobs(topology);

  it.each(jobs.map((job) => [`${job.donor}/${job.job}`, job] as const))(
    '%s: a registered kind reads it',
    (_id, job) => {
      expect(DESTINATION_KINDS.map((kind) => kind.name)).toContain(job.kind);
      expect(parseCommandLine(jobArgs(topology, job))).toMatchObject({ kind: job.kind });
    },
  );
});

it('every registered donor with mirrors or targets has its kinds registered (azure.yaml enables them all)', () => {
  const donors = new Set(replicationJobs(TOPOLOGIES['examples/azure.yaml']).map((job) => job.donor));
  expect([...donors].sort()).toEqual(['aws', 'azure', 'gcp']);
});

it('the usage names every kind, one line each', () => {
  for (const kind of DESTINATION_KINDS) expect(USAGE).toContain(`  ${kind.usage}\n`);
});
