/**
 * The replication jobs, run exactly as the Cloud Run jobs run them: bin/replicate.ts with the command line the GCP
 * stack gives the jobs (fanOutJobArgs, s3UploadJobArgs), with two local differences only: every Artifact Registry
 * host is replaced by its local registry (spoken to in plain HTTP: `--insecure-registry`), and the S3 job writes to
 * the S3 stand-in (`--endpoint`) with its dummy keys instead of assuming the writer role.
 */
import { join } from 'node:path';
import { fanOutJobArgs, s3UploadJobArgs } from '../clouds/gcp/infra/replication-args';
import type { Topology } from '../topology';
import { essentialEnvironment, ManagedChild, type Exit } from './processes';
import { S3_CREDENTIALS } from './s3';
import { artifactRegistryHosts } from './topology';

export const REPO_ROOT = join(__dirname, '../..');

export interface LocalJob {
  /** e.g. `registry -> S3`. */
  readonly name: string;
  /** The arguments of bin/replicate.ts. */
  readonly args: readonly string[];
}

/**
 * A job's command line with each Artifact Registry host (`us-central1-docker.pkg.dev/...`) replaced by the local
 * registry of that region, and `--insecure-registry` for each of those. Throws if a registry host is left that has
 * no local stand-in: the job would otherwise reach for the real one.
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
  const left = replaced.find((arg) => arg.includes('.pkg.dev'));
  if (left) throw new Error(`the job would reach a real registry: ${left}`);
  return [...replaced, ...[...used].flatMap((host) => ['--insecure-registry', host])];
}

/** Both jobs of the topology, pointed at the local stand-ins (the fan-out only when there is a second region). */
export function localJobs(
  topology: Topology,
  localRegistries: ReadonlyMap<string, string>,
  s3Endpoint: string,
): LocalJob[] {
  const s3 = {
    name: 'registry -> S3',
    args: [...localizeArgs(s3UploadJobArgs(topology), topology, localRegistries), '--endpoint', s3Endpoint],
  };
  if (topology.gcp.artifactRegions.length < 2) return [s3];
  return [s3, { name: 'registry -> registry', args: localizeArgs(fanOutJobArgs(topology), topology, localRegistries) }];
}

/**
 * The job's environment: no cloud identity (no metadata-server registry auth, no role to assume, no profile), only
 * the S3 stand-in's dummy keys.
 */
export function jobEnvironment(parent: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return {
    ...essentialEnvironment(parent),
    AWS_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey,
  };
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
    env: jobEnvironment(process.env),
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
