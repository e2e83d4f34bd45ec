/**
 * The `replicate` command: parse flags, build clients from the environment's credentials, select images, take this
 * task's share of them (shard.ts), run the job, summarize, and map the outcome to an exit code (see ExitCode).
 */
import type { Writable } from 'node:stream';
import {
  type Descriptor,
  fullRepositoryName,
  RegistryClient,
  type RegistryLocation,
  registryOrigin,
  registryTransport,
  type RetryInfo,
  Transport,
} from '../oci';
import { registryCredentials } from './credentials';
import { describeError, ExitCode, StartupError, UsageError } from './errors';
import { DESTINATION_KINDS, type DestinationKind, type Destinations } from './kinds';
import { type Command, isHelp, parseCommandLine, usageOf } from './options';
import { mapConcurrent } from './concurrent';
import type { ImageRef } from './images-file';
import { replicate, type ReplicationOptions } from './replication';
import { Report } from './report';
import { selectImages } from './selection';
import { shareOf, type Task, taskBudgets, taskOf } from './shard';
import { blobsOfTree, fetchTree, type ManifestNode } from './tree';
import type { Env } from '../config/env';
import { usageErrorText } from '../config/command-line';

export interface RunIo {
  readonly env: Env;
  /** Where usage errors go. */
  readonly stderr: NodeJS.WritableStream;
  /** A TTY for the progress bar; undefined for JSON lines. */
  readonly tty?: NodeJS.WriteStream;
  /** Where JSON lines go. @default standard output */
  readonly output?: Writable;
}

/** Runs `replicate <kind> ...` for one of `kinds` (the registered kinds of destination by default). */
export async function runReplicate(
  argv: readonly string[],
  io: RunIo,
  kinds: readonly DestinationKind[] = DESTINATION_KINDS,
): Promise<number> {
  let command: Command;
  let credentials;
  let task: Task;
  try {
    command = parseCommandLine(argv, kinds);
    credentials = registryCredentials(io.env);
    task = taskOf(io.env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(usageErrorText('replicate', error.message));
    return ExitCode.usage;
  }
  if (isHelp(command)) {
    (io.output ?? process.stdout).write(`${usageOf(kinds)}\n`);
    return ExitCode.ok;
  }

  const report = new Report({ tty: io.tty, output: io.output });
  const connections = new Transport({ maxSockets: Math.max(16, command.concurrency * 2) });
  const budgets = taskBudgets(command, task);
  const registry = (location: RegistryLocation) => {
    const insecure = command.insecureRegistries.has(location.host);
    const origin = registryOrigin(location.host, insecure);
    const onRetry = (info: RetryInfo) => report.retry(info);
    const rateLimiter = budgets.forHost(location.host);
    const transport = registryTransport({ origin, connections, credentials, rateLimiter, onRetry });
    return new RegistryClient({ host: location.host, insecure, transport });
  };
  const source = registry(command.source);
  let destinations: Destinations | undefined;
  try {
    const images = await start(`source ${command.source.host}`, async () => {
      await source.ping();
      return selectImages(source, command.source, command.selection, command.concurrency);
    });
    const sourceName = `${command.source.host}/${command.source.path}`;
    report.log.info(
      { event: 'selected', images: images.length, source: sourceName },
      `selected ${images.length} images under ${sourceName}`,
    );
    const work = await start(`source ${command.source.host}`, () =>
      taskWork(source, command.source, images, task, command.concurrency, report),
    );
    const kind = kinds.find((k) => k.name === command.kind)!;
    destinations = kind.open(command, { env: io.env, registry });
    for (const destination of destinations.list) await start(destination.name, () => destination.probe());
    await replicate({
      source,
      sourceLocation: command.source,
      destinations: destinations.list,
      ...work,
      concurrency: command.concurrency,
      dryRun: command.dryRun,
      report,
    });
  } catch (error) {
    if (error instanceof UsageError) {
      report.finish(error);
      io.stderr.write(`replicate: ${error.message}\n`);
      return ExitCode.usage;
    }
    if (error instanceof StartupError) {
      const reason = describeError(error);
      report.log.error({ event: 'startup-failed', error: reason }, `could not start: ${reason}`);
      report.finish(error);
      return ExitCode.unavailable;
    }
    throw error;
  } finally {
    destinations?.close();
    connections.close();
  }
  const summary = report.finish();
  return summary.ok ? ExitCode.ok : ExitCode.itemsFailed;
}

/**
 * What this task copies: everything, when it is the only one; otherwise its share (shard.ts), which needs the blobs
 * of every selected image, so every task reads every manifest tree (the trees are kept for the copy). An image whose
 * tree cannot be read weighs nothing; its task tries it again when copying, and fails that image alone.
 */
async function taskWork(
  source: RegistryClient,
  location: RegistryLocation,
  images: readonly ImageRef[],
  task: Task,
  concurrency: number,
  report: Report,
): Promise<Pick<ReplicationOptions, 'images' | 'sharedBlobs' | 'trees'>> {
  if (task.count === 1) return { images };
  const trees = new Map<string, Promise<ManifestNode>>();
  const blobs = new Map<ImageRef, Descriptor[]>();
  await mapConcurrent(images, concurrency, async (image) => {
    try {
      const tree = await fetchTree(source, fullRepositoryName(location, image.repository), image.digest, trees);
      blobs.set(image, blobsOfTree(tree));
    } catch (error) {
      const reason = describeError(error);
      const { repository, digest } = image;
      report.log.warn(
        { event: 'tree-unread', repository, digest, error: reason },
        `image ${repository}@${digest} weighs nothing in the shares, its manifests could not be read: ${reason}`,
      );
      blobs.set(image, []);
    }
  });
  const share = shareOf(images, (image) => blobs.get(image)!, task);
  report.log.info(
    {
      event: 'shard',
      task: task.index,
      tasks: task.count,
      repositories: share.repositories,
      images: share.images.length,
      sharedBlobs: share.sharedBlobs.size,
      bytes: share.bytes,
      totalBytes: share.totalBytes,
    },
    `task ${task.index} of ${task.count}: ${share.repositories} of ${share.totalRepositories} repositories, ${share.images.length} images, ${share.bytes} of ${share.totalBytes} bytes`,
  );
  return { images: share.images, sharedBlobs: share.sharedBlobs, trees };
}

/** Runs a startup step; its failure means nothing can be done (exit code 3), bad input stays a usage error. */
async function start<T>(what: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new StartupError(`${what}: ${describeError(error)}`, { cause: error });
  }
}
