/**
 * `npm run local`: starts the whole system on 127.0.0.1, says how to pull from it, and runs until Ctrl-C or
 * SIGTERM, then stops everything it started. Exit codes: 0 stopped on request, 1 could not start or a service
 * died, 2 bad command line.
 */
import { type ParsedFlags, wholeNumberFlag } from '../config/command-line';
import { TopologyError } from '../topology';
import { PortError } from './ports';
import { MissingPackagesError } from './preflight';
import { startChildrenInOwnProcessGroups } from './processes';
import { readyLine, readyText, type ReadySystem } from './report';
import { type LocalPorts, type LocalSystem, startLocalSystem } from './system';

export const USAGE = `Usage: npm run local -- [--json] [--topology FILE] [--port-registry N] [--port-s3 N]
                        [--port-azurite N] [--port-redirector N] [--port-clients N] [--verbose]
Starts on 127.0.0.1: a registry per Artifact Registry region, an S3 stand-in with the mirror buckets (and S3's
cross-region replication, emulated), Azurite with a container per Azure mirror region (when the topology has Azure
on), the redirector, and a front door with one port per simulated client; pushes a sample multi-platform image, runs
every replication job, prints the pull commands, and runs until Ctrl-C/SIGTERM.
  --json               print one JSON line on stdout once ready: {"ready":true,"registry","s3","redirector",
                       "image","clients":{"<cloud>:<region>"|"other": "127.0.0.1:PORT"}}; everything else on stderr
  --topology FILE      the topology to run (default: examples/local.yaml)
  --port-registry N    the canonical registry's port; further registries take N+1, ... (default: free ports)
  --port-s3 N          the S3 stand-in's port
  --port-azurite N     Azurite's port (with Azure on)
  --port-redirector N  the redirector's port
  --port-clients N     the first client's front-door port; the other clients take N+1, ...
  --verbose            copy every started process's output to stderr
  -h, --help           this text`;

export const FLAGS = {
  json: { type: 'boolean' },
  topology: { type: 'string' },
  'port-registry': { type: 'string' },
  'port-s3': { type: 'string' },
  'port-azurite': { type: 'string' },
  'port-redirector': { type: 'string' },
  'port-clients': { type: 'string' },
  verbose: { type: 'boolean' },
} as const;

export interface LocalOptions {
  readonly json: boolean;
  readonly topologyFile?: string;
  readonly ports: LocalPorts;
  readonly verbose: boolean;
}

/** The options from the parsed flags; a port that is not a whole number from 1 to 65535 is a FlagError. */
export function localOptions({ values }: ParsedFlags<typeof FLAGS>): LocalOptions {
  const port = (flag: keyof typeof FLAGS) => {
    const text = values[flag];
    return typeof text === 'string' ? wholeNumberFlag(`--${flag}`, text, 1, 65535) : undefined;
  };
  return {
    json: values.json ?? false,
    topologyFile: values.topology,
    ports: {
      registry: port('port-registry'),
      s3: port('port-s3'),
      azurite: port('port-azurite'),
      redirector: port('port-redirector'),
      clients: port('port-clients'),
    },
    verbose: values.verbose ?? false,
  };
}

/** The running system as the report describes it. */
export function describe(system: LocalSystem): ReadySystem {
  const canonical = system.topology.gcp.canonicalRegion;
  const regions = [canonical, ...[...system.registries.keys()].filter((region) => region !== canonical)];
  return {
    topologyFile: system.topologyFile,
    redirectorRegion: system.redirectorRegion,
    registries: regions.map((region) => ({ region, url: system.registries.get(region)!.url })),
    upstreamPath: system.upstreamPath,
    s3: system.s3.endpoint,
    uploadBucket: system.buckets.upload,
    replicatedBuckets: system.buckets.replicated,
    azure: system.azurite && { url: system.azurite.url, containers: system.azureContainers },
    redirector: system.redirector.url,
    image: `${system.image.repository}:${system.image.tags[0]}`,
    imageDigest: system.image.digest,
    platforms: system.image.platforms.map(({ platform }) => `${platform.os}/${platform.architecture}`),
    blobCount: system.image.blobs.length,
    entrances: system.entrances,
    jobs: system.jobs,
  };
}

/** Resolves with a message when a started service ends on its own (not through stop()). */
function unexpectedExit(system: LocalSystem): Promise<string> {
  const services = [...system.registries.values()]
    .map((r) => r.process)
    .concat(system.redirector.process, system.azurite ? [system.azurite.process] : []);
  return Promise.race(
    services.map(
      (service) =>
        new Promise<string>((resolve) => {
          void service.exited.then((exit) => {
            if (!service.isStopping) resolve(service.describeExit(exit));
          });
        }),
    ),
  );
}

/** What a failure to start says: known causes in one line, anything else with its stack. */
function failureText(error: unknown): string {
  if (error instanceof MissingPackagesError || error instanceof PortError || error instanceof TopologyError)
    return error.message;
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

/** Runs npm run local until a signal; resolves with the exit code. */
export async function runLocal(options: LocalOptions, io: CliIo): Promise<number> {
  const stopRequested = new AbortController();
  // Repeated signals are expected (npm run forwards the terminal's Ctrl-C that we also receive): stop once.
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopRequested.signal.aborted) return;
    io.stderr.write(`local: ${signal}, stopping everything\n`);
    stopRequested.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  startChildrenInOwnProcessGroups(true); // the terminal's Ctrl-C reaches only us: we stop the children in order
  try {
    let system: LocalSystem;
    try {
      system = await startLocalSystem({
        topologyFile: options.topologyFile,
        ports: options.ports,
        signal: stopRequested.signal,
        progress: (message) => io.stderr.write(`local: ${message}\n`),
        output: options.verbose ? (name, line) => io.stderr.write(`[${name}] ${line}\n`) : undefined,
      });
    } catch (error) {
      const interrupted = stopRequested.signal.aborted;
      io.stderr.write(
        `local: ${interrupted ? 'interrupted while starting; everything started was stopped' : failureText(error)}\n`,
      );
      return interrupted ? 0 : 1;
    }
    const description = describe(system);
    io.stdout.write(options.json ? `${readyLine(description)}\n` : readyText(description));
    const stopped = new Promise<undefined>((resolve) =>
      stopRequested.signal.addEventListener('abort', () => resolve(undefined), { once: true }),
    );
    const died = await Promise.race([stopped, unexpectedExit(system)]);
    if (died) io.stderr.write(`local: ${died}\nlocal: stopping everything\n`);
    await system.stop();
    io.stderr.write('local: stopped\n');
    return died ? 1 : 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
