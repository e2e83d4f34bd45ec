/**
 * The `replicate` command: parse flags, build clients from the environment's credentials, select images, run the job,
 * summarize, and map the outcome to an exit code (see ExitCode).
 */
import type { Writable } from 'node:stream';
import { S3Client } from '@aws-sdk/client-s3';
import {
  RegistryClient,
  type RegistryLocation,
  registryOrigin,
  registryTransport,
  type RetryInfo,
  TokenBucket,
  Transport,
} from '../oci';
import { registryCredentials, s3Credentials } from './credentials';
import { describeError, ExitCode, StartupError, UsageError } from './errors';
import type { ReplicationDestination } from './destination';
import { type Command, parseCommandLine, type RegistryCommand, type S3Command, USAGE } from './options';
import { registryDestinations } from './registry-destination';
import { replicate } from './replication';
import { Report } from './report';
import { S3Destination } from './s3-destination';
import { S3BlobStore } from './s3-store';
import { selectImages } from './selection';
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

export async function runReplicate(argv: readonly string[], io: RunIo): Promise<number> {
  let command: Command;
  let credentials;
  try {
    command = parseCommandLine(argv);
    credentials = registryCredentials(io.env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(usageErrorText('replicate', error.message));
    return ExitCode.usage;
  }
  if (command.kind === 'help') {
    (io.output ?? process.stdout).write(`${USAGE}\n`);
    return ExitCode.ok;
  }

  const report = new Report({ tty: io.tty, output: io.output });
  const connections = new Transport({ maxSockets: Math.max(16, command.concurrency * 2) });
  const rateLimiter = new TokenBucket({ ratePerSecond: command.rps });
  const registry = (location: RegistryLocation) => {
    const insecure = command.insecureRegistries.has(location.host);
    const origin = registryOrigin(location.host, insecure);
    const onRetry = (info: RetryInfo) => report.retry(info);
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
    report.log.info({
      event: 'selected',
      images: images.length,
      source: `${command.source.host}/${command.source.path}`,
    });
    destinations = command.kind === 's3' ? bucketDestination(command, io.env) : registryTrees(command, registry);
    for (const destination of destinations.list) await start(destination.name, () => destination.probe());
    await replicate({
      source,
      sourceLocation: command.source,
      destinations: destinations.list,
      images,
      concurrency: command.concurrency,
      dryRun: command.dryRun,
      report,
    });
  } catch (error) {
    if (error instanceof UsageError) {
      report.finish();
      io.stderr.write(`replicate: ${error.message}\n`);
      return ExitCode.usage;
    }
    if (error instanceof StartupError) {
      report.log.error({ event: 'startup-failed', error: describeError(error) });
      report.finish();
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

/** A job's destinations, and how to let go of what they hold (connections). */
interface Destinations {
  readonly list: readonly ReplicationDestination[];
  close(): void;
}

function bucketDestination(command: S3Command, env: Env): Destinations {
  // A guessed region would only turn into S3 redirect errors later: ask for it instead.
  const region = command.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!region)
    throw new UsageError(`the region of bucket ${command.bucket} is unknown: pass --region or set AWS_REGION`);
  const client = new S3Client({
    region,
    ...(command.endpoint ? { endpoint: command.endpoint, forcePathStyle: true } : {}),
    credentials: s3Credentials(env),
    // We set ChecksumSHA256 ourselves; SDK-computed checksums would stream aws-chunked bodies some S3 stand-ins store as is.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const store = new S3BlobStore({ client, bucket: command.bucket });
  return { list: [new S3Destination(store)], close: () => client.destroy() };
}

function registryTrees(
  command: RegistryCommand,
  registry: (location: RegistryLocation) => RegistryClient,
): Destinations {
  const trees = command.destinations.map((location) => ({ location, client: registry(location) }));
  // The clients share the run's connections, which the run closes.
  return { list: registryDestinations(trees), close: () => undefined };
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
