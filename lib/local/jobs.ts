/**
 * The replication jobs, run exactly as the Cloud Run jobs run them: bin/replicate.ts with the command line the GCP
 * stack gives each enabled donor's replication target (jobArgs), with local differences only: every Artifact
 * Registry host is replaced by its local registry (spoken to in plain HTTP: `--insecure-registry`), and each kind
 * of destination writes to its stand-in with the stand-in's key instead of a federated identity (LOCAL_KINDS).
 */
import { join } from 'node:path';
import type { Donor } from '../clouds/donor';
import { DONORS } from '../clouds/donors';
import { jobArgs } from '../clouds/gcp/infra/replication-args';
import { replicationJobs, type Topology } from '../topology';
import { essentialEnvironment, ManagedChild, type Exit } from './processes';
import { S3_CREDENTIALS } from './s3';
import { artifactRegistryHosts } from './topology';

export const REPO_ROOT = join(__dirname, '../..');

export interface LocalJob {
  /** e.g. `registry -> S3`. */
  readonly name: string;
  /** The arguments of bin/replicate.ts. */
  readonly args: readonly string[];
  /** What the job needs beyond the essential environment: its stand-in's key. */
  readonly env: Readonly<Record<string, string>>;
}

/**
 * A job's command line with each Artifact Registry host (`us-central1-docker.pkg.dev/...`) replaced by the local
 * registry of that region, and `--insecure-registry` for each of those. Throws if a cloud address is left (a
 * registry host with no local stand-in, an https URL): the job would otherwise reach for the real service.
 */
export function localizeArgs(
  args: readonly string[],
  topology: Topology,
  localRegistries: ReadonlyMap<string, string>,
): string[] {
  const used = new Set<string>();
  const replaced = args.map((arg) => {
    for (const [region, host] of artifactRegistryHosts(topology)) {
      if (!arg.startsWith(`${host}/`)) continue;
      const local = localRegistries.get(region);
      if (!local) throw new Error(`no local registry for Artifact Registry region ${region} (${arg})`);
      used.add(local);
      return `${local}/${arg.slice(host.length + 1)}`;
    }
    return arg;
  });
  const left = replaced.find((arg) => arg.includes('.pkg.dev') || arg.startsWith('https://'));
  if (left) throw new Error(`the job would reach a real service: ${left}`);
  return [...replaced, ...[...used].flatMap((host) => ['--insecure-registry', host])];
}

/** The local stand-ins the jobs write to. */
export interface JobStandIns {
  /** Artifact Registry region -> local registry host (`127.0.0.1:<port>`). */
  readonly registries: ReadonlyMap<string, string>;
  /** The S3 stand-in, `http://127.0.0.1:<port>`. */
  readonly s3Endpoint: string;
  /** Azurite's account key, when it runs. */
  readonly azureKey?: string;
}

/** How a kind of destination (a `replicate` subcommand) writes to its stand-in: its name, flags and key. */
interface LocalKind {
  /** What the job writes to, in its name (`registry -> S3`). */
  readonly label: string;
  readonly args: (standIns: JobStandIns) => string[];
  readonly env: (standIns: JobStandIns) => Record<string, string>;
}

export const LOCAL_KINDS: Readonly<Record<string, LocalKind>> = {
  registry: { label: 'registry', args: () => [], env: () => ({}) },
  // The SDK's default chain reads the stand-in's dummy keys (no role to assume); path-style at --endpoint.
  s3: {
    label: 'S3',
    args: ({ s3Endpoint }) => ['--endpoint', s3Endpoint],
    env: () => ({
      AWS_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey,
    }),
  },
  // Azurite's shared key instead of the federated identity; the container URLs already point at Azurite.
  azure: {
    label: 'Azure',
    args: () => [],
    env: ({ azureKey }) => {
      if (azureKey === undefined) throw new Error('the Azure job needs Azurite, which is not running');
      return { AZURE_STORAGE_KEY: azureKey };
    },
  },
};

/** Every enabled donor's replication job, pointed at the local stand-ins (the topology's URLs already are). */
export function localJobs(topology: Topology, standIns: JobStandIns, donors: readonly Donor[] = DONORS): LocalJob[] {
  return replicationJobs(topology, donors).map((job) => {
    const kind = LOCAL_KINDS[job.kind];
    if (!kind)
      throw new Error(`npm run local has no stand-in for ${job.donor}'s replication kind ${JSON.stringify(job.kind)}`);
    return {
      name: `registry -> ${kind.label}`,
      args: [...localizeArgs(jobArgs(topology, job), topology, standIns.registries), ...kind.args(standIns)],
      env: kind.env(standIns),
    };
  });
}

/**
 * A job's environment: no cloud identity (no metadata-server registry auth, no role to assume, no profile), only
 * its stand-in's key.
 */
export function jobEnvironment(parent: NodeJS.ProcessEnv, job: Pick<LocalJob, 'env'>): NodeJS.ProcessEnv {
  return { ...essentialEnvironment(parent), ...job.env };
}

/** `node --import tsx <script>`: a TypeScript entry point run as is, in one process (no build, no wrapper). */
export function tsxCommand(script: string, args: readonly string[]): { command: string; args: string[] } {
  return { command: process.execPath, args: ['--import', 'tsx', join(REPO_ROOT, script), ...args] };
}

export interface JobRun {
  /** Called with the job's process once started (to stop it if the system stops first). */
  readonly onStart?: (child: ManagedChild) => void;
  readonly onLine?: (line: string) => void;
}

/** Runs one job to its end and returns its summary line; rejects with its last output lines unless it exits 0. */
export async function runJob(job: LocalJob, run: JobRun = {}): Promise<Record<string, unknown>> {
  let summary: Record<string, unknown> = {};
  const child = new ManagedChild({
    name: `replicate (${job.name})`,
    ...tsxCommand('bin/replicate.ts', job.args),
    cwd: REPO_ROOT,
    env: jobEnvironment(process.env, job),
    onLine: (line) => {
      summary = summaryOf(line) ?? summary;
      run.onLine?.(line);
    },
  });
  run.onStart?.(child);
  const exit: Exit = await child.exited;
  if (exit.code !== 0) throw new Error(child.describeExit(exit));
  return summary;
}

/** The replicator's closing JSON line (`"event":"summary"`), or undefined for any other line. */
export function summaryOf(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const parsed = JSON.parse(line) as Record<string, unknown>;
    return parsed.event === 'summary' ? parsed : undefined;
  } catch {
    return undefined;
  }
}
