/**
 * The whole system on one machine: what npm run local starts, and what the end-to-end tests start once per file.
 *
 *   S3 stand-in (every mirror bucket) + emulated cross-region replication from the upload bucket
 *   Azurite (one storage account and public container per Azure mirror region), when the topology has Azure on
 *   one registry per Artifact Registry region (the canonical one holds the images)
 *   the redirector (bin/redirector.ts, routing table from the topology as the GCP stack derives it)
 *   the front door (one port per simulated client, X-Forwarded-For as the Google load balancer sends it)
 *   then: the sample image pushed to the canonical registry, and every enabled donor's replication job run as Cloud
 *   Run runs it.
 *
 * Everything listens on 127.0.0.1; everything started is stopped by stop(), in reverse order, and every temporary
 * file lives under one directory that stop() removes. If starting fails half-way, what was started is stopped.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegistryClient } from '../oci';
import { type LocalAzurite, startAzurite } from './azurite';
import { readCloudRanges } from '../redirector/load-ranges';
import { routingTableFor, type RoutingTable, type Topology } from '../topology';
import { LOCAL_RANGE_SOURCES, localRedirectorRegion, simulatedClients } from './clients';
import { type CrossRegionReplication, startCrossRegionReplication } from './cross-region-replication';
import { type FrontDoorEntrance, startFrontDoor } from './front-door';
import { localJobs, runJob } from './jobs';
import { assertPortFree, PortError } from './ports';
import { assertInstalled, LOCAL_REQUIREMENTS } from './preflight';
import type { ManagedChild } from './processes';
import { type LocalRedirector, startRedirector } from './redirector';
import { type LocalRegistry, startRegistry } from './registry';
import { type LocalS3, startS3 } from './s3';
import { pushSampleImage, type SampleImage } from './sample-image';
import {
  DEFAULT_LOCAL_TOPOLOGY,
  localAzureAccounts,
  localBuckets,
  type LocalAzureContainer,
  type LocalBuckets,
  localTopology,
  readTopologyFile,
  wantsAzurite,
} from './topology';

/** Ports asked for; every other port is a free one. */
export interface LocalPorts {
  /** The first registry's; the others (one per further Artifact Registry region) take the next ones. */
  readonly registry?: number;
  readonly s3?: number;
  /** Azurite's, when the topology has Azure on. */
  readonly azurite?: number;
  readonly redirector?: number;
  /** The first client's front-door port; the other clients take the next ones. */
  readonly clients?: number;
}

export interface LocalSystemOptions {
  /** @default examples/local.yaml */
  readonly topologyFile?: string;
  readonly ports?: LocalPorts;
  /** Progress, one line per step. */
  readonly progress?: (message: string) => void;
  /** Every line the started processes write, with the process's name. */
  readonly output?: (name: string, line: string) => void;
  /** Aborting stops the start between steps (what was started is stopped). */
  readonly signal?: AbortSignal;
}

/** One replication job's outcome: its name and the replicator's summary line. */
export interface JobResult {
  readonly name: string;
  readonly summary: Record<string, unknown>;
}

export interface LocalSystem {
  readonly topologyFile: string;
  /** The topology as run locally (URLs pointing at the stand-ins). */
  readonly topology: Topology;
  /** The Cloud Run region whose redirector runs, and its routing table. */
  readonly redirectorRegion: string;
  readonly table: RoutingTable;
  /** By Artifact Registry region. */
  readonly registries: ReadonlyMap<string, LocalRegistry>;
  /** The canonical region's registry, where images are pushed. */
  readonly registry: LocalRegistry;
  /** The repository path under which the images live in every registry (`<project>/<repository>`). */
  readonly upstreamPath: string;
  readonly s3: LocalS3;
  readonly buckets: LocalBuckets;
  /** Azure's storage accounts, when the topology has Azure on. */
  readonly azurite?: LocalAzurite;
  /** The containers in Azurite, one per Azure mirror region. */
  readonly azureContainers: readonly LocalAzureContainer[];
  readonly replication: CrossRegionReplication;
  readonly redirector: LocalRedirector;
  readonly entrances: readonly FrontDoorEntrance[];
  readonly image: SampleImage;
  /** The first run of the replication jobs. */
  readonly jobs: readonly JobResult[];
  /** Runs the replication jobs again (after pushing more), then waits for the buckets' replication. */
  replicate(): Promise<JobResult[]>;
  stop(): Promise<void>;
}

/** Stops what was started, last first; every step runs even if an earlier one failed. */
class Teardown {
  private readonly steps: Array<{ name: string; run: () => Promise<void> | void }> = [];

  add(name: string, run: () => Promise<void> | void): void {
    this.steps.push({ name, run });
  }

  async run(): Promise<void> {
    const failures: string[] = [];
    for (const step of this.steps.splice(0).reverse()) {
      try {
        await step.run();
      } catch (error) {
        failures.push(`${step.name}: ${(error as Error).message}`);
      }
    }
    if (failures.length > 0) throw new Error(`could not stop everything:\n  ${failures.join('\n  ')}`);
  }
}

/** Every port asked for, with the flag it comes from (`--port-clients + 2` for the third client). */
export function askedPorts(ports: LocalPorts, registryCount: number, clientCount: number): Array<[number, string]> {
  const named = (first: number | undefined, count: number, flag: string) =>
    consecutive(first, count).map((port, i): [number | undefined, string] => [port, i === 0 ? flag : `${flag} + ${i}`]);
  return [
    ...named(ports.registry, registryCount, '--port-registry'),
    ...named(ports.s3, 1, '--port-s3'),
    ...named(ports.azurite, 1, '--port-azurite'),
    ...named(ports.redirector, 1, '--port-redirector'),
    ...named(ports.clients, clientCount, '--port-clients'),
  ].filter((entry): entry is [number, string] => entry[0] !== undefined);
}

/** Before anything starts: no port asked for twice (ranges included), and each one free; otherwise the port named. */
async function assertPortsFree(ports: LocalPorts, registryCount: number, clientCount: number): Promise<void> {
  const asked = askedPorts(ports, registryCount, clientCount);
  for (const [i, [port, purpose]] of asked.entries()) {
    const earlier = asked.slice(0, i).find(([other]) => other === port);
    if (earlier) throw new PortError(`port ${port} is asked for twice: ${earlier[1]} and ${purpose}`);
    if (port > 65535) throw new PortError(`port ${port} (${purpose}) is above 65535`);
    await assertPortFree(port, purpose);
  }
}

/** `count` ports from `first` on, or `count` undefined (free ports) when none was asked for. */
export function consecutive(first: number | undefined, count: number): Array<number | undefined> {
  return Array.from({ length: count }, (_, i) => (first === undefined ? undefined : first + i));
}

/**
 * Azurite with a public container (anonymous read of blobs, as the Azure stack creates them) in each account;
 * stopped by `teardown` once started.
 */
async function startAzureStandIn(
  accounts: readonly LocalAzureContainer[],
  options: Parameters<typeof startAzurite>[1],
  teardown: Teardown,
): Promise<LocalAzurite> {
  const azurite = await startAzurite(
    accounts.map((a) => a.account),
    options,
  );
  teardown.add('Azurite', () => azurite.stop());
  await Promise.all(accounts.map((a) => azurite.container(a.account, a.container).create({ access: 'blob' })));
  return azurite;
}

export async function startLocalSystem(options: LocalSystemOptions = {}): Promise<LocalSystem> {
  assertInstalled(LOCAL_REQUIREMENTS, 'npm run local');
  const progress = options.progress ?? (() => {});
  const ports = options.ports ?? {};
  const topologyFile = options.topologyFile ?? DEFAULT_LOCAL_TOPOLOGY;
  const declared = readTopologyFile(topologyFile);
  const ranges = LOCAL_RANGE_SOURCES.map(readCloudRanges);
  // The clients depend only on regions and ranges, so they are known (and checked) before anything starts.
  const clientCount = simulatedClients(declared, ranges).length;
  const regions = [
    declared.gcp.canonicalRegion,
    ...declared.gcp.artifactRegions.filter((r) => r !== declared.gcp.canonicalRegion),
  ];
  await assertPortsFree(ports, regions.length, clientCount);

  const teardown = new Teardown();
  const workDir = mkdtempSync(join(tmpdir(), 'multicloud-local-'));
  teardown.add('temporary directory', () => rmSync(workDir, { recursive: true, force: true }));
  const runningJobs = new Set<ManagedChild>();
  teardown.add('replication jobs', async () => {
    await Promise.all([...runningJobs].map((job) => job.stop()));
  });
  const step = async <T>(message: string, run: () => Promise<T>): Promise<T> => {
    options.signal?.throwIfAborted();
    progress(message);
    return run();
  };
  const output = (name: string) => (line: string) => options.output?.(name, line);

  try {
    const buckets = localBuckets(declared);
    const azureAccounts = localAzureAccounts(declared);
    const s3Start = step(`S3 stand-in with buckets ${[...buckets.byRegion.values()].join(', ')}`, async () => {
      const started = await startS3([...buckets.byRegion.values()], { port: ports.s3, parentDir: workDir });
      teardown.add('S3 stand-in', () => started.stop());
      return started;
    });
    const azuriteStart = wantsAzurite(declared)
      ? step(`Azurite with containers ${azureAccounts.map((a) => `${a.account}/${a.container}`).join(', ')}`, () =>
          startAzureStandIn(
            azureAccounts,
            { port: ports.azurite, parentDir: workDir, onLine: output('azurite') },
            teardown,
          ),
        )
      : Promise.resolve(undefined);
    // Both settle before going on: a failure of one must not run the teardown before the other registered its stop.
    await Promise.allSettled([s3Start, azuriteStart]);
    const [s3, azurite] = await Promise.all([s3Start, azuriteStart]);
    const replication = startCrossRegionReplication(
      s3,
      { source: buckets.upload, destinations: buckets.replicated },
      output('s3-replication'),
    );
    teardown.add('S3 replication', () => replication.stop());
    const topology = localTopology(declared, { s3: s3.endpoint, azure: azurite?.endpointTemplate });

    const registryPorts = consecutive(ports.registry, regions.length);
    const started = await step(`registries for ${regions.join(', ')}`, () =>
      Promise.all(
        regions.map(async (region, i) => {
          const registry = await startRegistry({
            port: registryPorts[i],
            name: `docker-registry (${region})`,
            parentDir: workDir,
          });
          teardown.add(`registry ${region}`, () => registry.stop());
          return [region, registry] as const;
        }),
      ),
    );
    const registries = new Map(started);
    const registry = registries.get(declared.gcp.canonicalRegion)!;

    const redirectorRegion = localRedirectorRegion(topology);
    const table = routingTableFor(topology, redirectorRegion);
    const redirector = await step(`redirector (Cloud Run region ${redirectorRegion})`, () =>
      startRedirector({
        table,
        upstreamEndpoint: registries.get(redirectorRegion)!.url,
        ranges: LOCAL_RANGE_SOURCES,
        port: ports.redirector,
        onLine: output('redirector'),
      }),
    );
    teardown.add('redirector', () => redirector.stop());

    const clients = simulatedClients(topology, ranges);
    const frontDoor = await step('front door', () =>
      startFrontDoor({ target: redirector.host, clients, ports: consecutive(ports.clients, clients.length) }),
    );
    teardown.add('front door', () => frontDoor.stop());

    const upstreamPath = table.upstream.path;
    const image = await step(`sample image pushed to ${registry.host}/${upstreamPath}`, async () => {
      const client = new RegistryClient({ host: registry.host, insecure: true });
      try {
        return await pushSampleImage(client, upstreamPath);
      } finally {
        client.close();
      }
    });

    const replicate = async (): Promise<JobResult[]> => {
      const standIns = {
        registries: new Map([...registries].map(([region, r]) => [region, r.host])),
        s3Endpoint: s3.endpoint,
        azureKey: azurite?.key,
      };
      const results = await Promise.all(
        localJobs(topology, standIns).map(async (job) => {
          progress(`replication job ${job.name}: replicate ${job.args.join(' ')}`);
          const summary = await runJob(job, {
            onStart: (child) => runningJobs.add(child),
            onLine: output(`replicate ${job.name}`),
          });
          return { name: job.name, summary };
        }),
      );
      await replication.idle();
      const failures = replication.failures();
      if (failures.length > 0) throw new Error(`S3 replication failed:\n  ${failures.join('\n  ')}`);
      return results;
    };
    const jobs = await step('replication jobs', replicate);

    return {
      topologyFile,
      topology,
      redirectorRegion,
      table,
      registries,
      registry,
      upstreamPath,
      s3,
      buckets,
      azurite,
      azureContainers: azureAccounts,
      replication,
      redirector,
      entrances: frontDoor.entrances,
      image,
      jobs,
      replicate,
      stop: () => teardown.run(),
    };
  } catch (error) {
    await teardown.run().catch((stopError: unknown) => progress((stopError as Error).message));
    throw error;
  }
}
