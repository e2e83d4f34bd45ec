/**
 * The topology an infrastructure app (bin/aws.ts, bin/gcp.ts) synthesizes: the file named by its --topology flag, the
 * CDK context or TOPOLOGY (else the embedded default), with what earlier deploy steps produced (npm run deploy passes
 * it in the environment; without it, the safe state of docs/deploy.md). Throws TopologyError.
 */
import type { Env } from '../config/env';
import { deployOutputsFromEnv, withDeployOutputs } from './deploy-outputs';
import { loadTopology } from './load';
import type { TopologySourceOptions } from './source';
import type { Topology } from './schema';

export function appTopology(source: TopologySourceOptions & { readonly env: Env }): Topology {
  const { topology } = loadTopology(source);
  return withDeployOutputs(topology, deployOutputsFromEnv(source.env));
}
