/**
 * Where a topology comes from: the `--topology FILE` flag, the CDK context, `TOPOLOGY=FILE`, else the embedded
 * default. Kept apart from load.ts, which builds the schemas: the redirector reads these at start-up and loads the
 * rest only when it has a topology file to parse.
 */
import type { Env } from '../config/env';

/** Name used in messages for the embedded default. */
export const DEFAULT_TOPOLOGY_SOURCE = 'embedded default (registry.k8s.io)';

/** The flag every entry point that loads a topology declares (parsed by lib/config/command-line). */
export const TOPOLOGY_FLAG = { topology: { type: 'string' } } as const;

/** Its line in those entry points' --help. */
export const TOPOLOGY_FLAG_USAGE =
  '  --topology FILE   the topology, YAML or JSON (default: $TOPOLOGY, else the embedded registry.k8s.io topology)';

export interface TopologySourceOptions {
  /** The value of the entry point's `--topology FILE` flag. */
  readonly flag?: string;
  /** Environment; `TOPOLOGY=FILE` is recognised. */
  readonly env?: Env;
  /** A path from elsewhere, e.g. the CDK context value `topology`. */
  readonly contextPath?: string;
}

/** The topology file to use, by precedence: --topology, then cdk context, then TOPOLOGY; undefined = default. */
export function topologyPathFrom(options: TopologySourceOptions): string | undefined {
  return options.flag || options.contextPath || options.env?.TOPOLOGY || undefined;
}
