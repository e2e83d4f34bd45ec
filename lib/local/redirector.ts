/**
 * The redirector, started through its own entry point (bin/redirector.ts) with the environment the Cloud Run
 * service gets: the routing table as JSON (ROUTING_TABLE, built by routingTableFor as the GCP stack builds it),
 * the upstream registry's address (UPSTREAM_REGISTRY_ENDPOINT, the production override, here the local registry),
 * and the range files (IP_RANGES). It listens on 127.0.0.1 only.
 */
import type { RangeSource } from '../redirector/config';
import type { RoutingTable } from '../topology';
import { REPO_ROOT, tsxCommand } from './jobs';
import { portFor } from './ports';
import { essentialEnvironment, ManagedChild, waitForHttp } from './processes';

export interface LocalRedirector {
  /** `127.0.0.1:<port>` */
  readonly host: string;
  readonly url: string;
  readonly process: ManagedChild;
  stop(): Promise<void>;
}

export interface RedirectorOptions {
  readonly table: RoutingTable;
  /** The local registry standing for the table's upstream, `http://127.0.0.1:<port>`. */
  readonly upstreamEndpoint: string;
  readonly ranges: readonly RangeSource[];
  /** @default a free port */
  readonly port?: number;
  readonly onLine?: (line: string) => void;
  /** Further variables on top of the service's (e.g. a test's shorter breaker cool-down). */
  readonly environment?: Readonly<Record<string, string>>;
}

/** The variables the service runs with (besides the parent's PATH and the like). */
export function redirectorEnvironment(options: RedirectorOptions, port: number): Record<string, string> {
  return {
    ROUTING_TABLE: JSON.stringify(options.table),
    UPSTREAM_REGISTRY_ENDPOINT: options.upstreamEndpoint,
    IP_RANGES: options.ranges.map(({ cloud, file }) => `${cloud}=${file}`).join(','),
    PORT: String(port),
    LISTEN_ADDRESS: '127.0.0.1',
    ADMIN_PORT: '0',
    ADMIN_ADDRESS: '127.0.0.1',
    // Stopping is local and nobody is waiting for a graceful drain.
    SHUTDOWN_GRACE_MS: '500',
    ...options.environment,
  };
}

export async function startRedirector(options: RedirectorOptions): Promise<LocalRedirector> {
  const port = await portFor(options.port, 'redirector');
  const host = `127.0.0.1:${port}`;
  const url = `http://${host}`;
  const child = new ManagedChild({
    name: 'redirector',
    ...tsxCommand('bin/redirector.ts', []),
    cwd: REPO_ROOT,
    env: { ...essentialEnvironment(process.env), ...redirectorEnvironment(options, port) },
    onLine: options.onLine,
  });
  const stop = async () => {
    await child.stop();
  };
  try {
    await waitForHttp(`${url}/-/ready`, child, 30_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { host, url, process: child, stop };
}
