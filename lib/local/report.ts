/**
 * What npm run local tells its user once everything runs: the one JSON line of `--json`, or the readable text with
 * the pull commands per simulated client. Pure functions of the running system's description.
 */
import type { SimulatedClient } from './clients';
import type { LocalAzureContainer } from './topology';

export interface ReadySystem {
  readonly topologyFile: string;
  readonly redirectorRegion: string;
  /** By Artifact Registry region, canonical first. */
  readonly registries: ReadonlyArray<{ readonly region: string; readonly url: string }>;
  readonly upstreamPath: string;
  readonly s3: string;
  readonly uploadBucket: string;
  readonly replicatedBuckets: readonly string[];
  /** Azurite and its containers (`<account>/<container>`), when the topology has Azure on. */
  readonly azure?: {
    readonly url: string;
    readonly containers: readonly LocalAzureContainer[];
  };
  readonly redirector: string;
  /** `<repository>:<tag>` as clients pull it. */
  readonly image: string;
  readonly imageDigest: string;
  readonly platforms: readonly string[];
  readonly blobCount: number;
  readonly entrances: ReadonlyArray<{ readonly client: SimulatedClient; readonly host: string }>;
  readonly jobs: ReadonlyArray<{ readonly name: string; readonly summary: Record<string, unknown> }>;
}

/** The `--json` line: exactly this shape, on one line. */
export function readyLine(system: ReadySystem): string {
  return JSON.stringify({
    ready: true,
    registry: system.registries[0]!.url,
    s3: system.s3,
    redirector: system.redirector,
    image: system.image,
    clients: Object.fromEntries(system.entrances.map(({ client, host }) => [client.id, host])),
  });
}

/** A directory name for a client's pulled copy: `gcp:us-central1` -> `pulled-gcp-us-central1`. */
function pulledDir(clientId: string): string {
  return `pulled-${clientId.replace(/[^a-z0-9-]+/gi, '-')}`;
}

/** The commands that pull the image as a client: skopeo (containers/image) and containerd's ctr. */
export function pullCommands(host: string, image: string, clientId: string): { skopeo: string; ctr: string } {
  const tag = image.slice(image.lastIndexOf(':') + 1);
  return {
    skopeo: `skopeo copy --all --preserve-digests --src-tls-verify=false docker://${host}/${image} oci:${pulledDir(clientId)}:${tag}`,
    ctr: `ctr content fetch --plain-http --all-platforms ${host}/${image}`,
  };
}

function jobLine(job: ReadySystem['jobs'][number]): string {
  const blobs = job.summary.blobs as { copied?: number; mounted?: number; skipped?: number } | undefined;
  const images = job.summary.images as { copied?: number; skipped?: number } | undefined;
  return `${job.name}: ${images?.copied ?? 0} images, ${blobs?.copied ?? 0} blobs copied`;
}

export function readyText(system: ReadySystem): string {
  const [canonical, ...others] = system.registries;
  const width = Math.max(...system.entrances.map(({ client }) => client.id.length));
  const lines = [
    `multicloud-registry is running locally (topology ${system.topologyFile}, redirector region ${system.redirectorRegion}).`,
    '',
    `  Artifact Registry ${canonical!.region}: ${canonical!.url}/v2/${system.upstreamPath}/ (canonical: images are pushed here)`,
    ...others.map(
      (r) =>
        `  Artifact Registry ${r.region}: ${r.url}/v2/${system.upstreamPath}/ (filled by the registry -> registry job)`,
    ),
    `  S3: ${system.s3}, upload bucket ${system.uploadBucket}, replicated to ${system.replicatedBuckets.join(', ') || 'no other bucket'}`,
    ...(system.azure
      ? [
          `  Azure Blob Storage (Azurite): ${system.azure.url}, containers ${system.azure.containers.map((c) => `${c.account}/${c.container}`).join(', ')}`,
        ]
      : []),
    `  redirector: ${system.redirector}`,
    '  front door (the load balancer), one port per simulated client:',
    ...system.entrances.map(({ client, host }) => `    ${host}  ${client.id.padEnd(width)}  ${client.description}`),
    '',
    `Image ${system.image} (index ${system.imageDigest}: ${system.platforms.join(' + ')}, ${system.blobCount} blobs), replicated by the jobs:`,
    ...system.jobs.map((job) => `  ${jobLine(job)}`),
    '',
    'Pull it as each client (skopeo; or ctr against your containerd):',
    ...system.entrances.flatMap(({ client, host }) => {
      const commands = pullCommands(host, system.image, client.id);
      return ['', `  # as ${client.description}`, `  ${commands.skopeo}`, `  ${commands.ctr}`];
    }),
    '',
    'Stop with Ctrl-C (or SIGTERM): every process started is stopped and its temporary files are removed.',
  ];
  return `${lines.join('\n')}\n`;
}
