/**
 * The kinds of destination the replicator writes, one `replicate <kind>` subcommand each: a donor's replication
 * targets (lib/clouds/donor.ts) name the kind and give its flags. A kind parses its own flags and opens its
 * ReplicationDestinations (destination.ts); the command line, the copy loop and the report are the same for all.
 *
 * The registry of kinds lives here, apart from the donor registry, because the kinds carry the storage SDKs, which
 * the redirector's bundle (it imports the donor registry) must not. A donor whose storage is a new kind registers it
 * here too; test/replicator/kinds.test.ts fails while a registered donor's target names a kind that is not.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { isAwsRegionName } from '../clouds/aws/regions';
import { AZURE_KIND } from '../clouds/azure/kind';
import type { Env } from '../config/env';
import { parseRegistryLocation, type RegistryClient, type RegistryLocation } from '../oci';
import { s3Credentials } from './credentials';
import type { ReplicationDestination } from './destination';
import { UsageError } from './errors';
import { registryDestinations } from './registry-destination';
import { S3Destination } from './s3-destination';
import { S3BlobStore } from './s3-store';

/** A kind's flag values as parsed: a string, or strings for a repeatable flag. */
export type KindFlagValues = Readonly<Record<string, string | string[] | undefined>>;

/** A job's destinations, and how to let go of what they hold (connections). */
export interface Destinations {
  readonly list: readonly ReplicationDestination[];
  close(): void;
}

/** What a kind may use to open its destinations. */
export interface DestinationContext {
  readonly env: Env;
  /** A client for a registry, sharing the run's connections and request budgets. */
  registry(location: RegistryLocation): RegistryClient;
}

export interface DestinationKind<Settings extends object = object> {
  /** The subcommand, e.g. `s3`. */
  readonly name: string;
  /** Its line of the usage text: the subcommand and its own flags. */
  readonly usage: string;
  /** Its own flags (node:util parseArgs options), beside the common ones; a flag may belong to several kinds. */
  readonly flags: Readonly<Record<string, { readonly type: 'string'; readonly multiple?: boolean }>>;
  /** Its settings from its flags; a missing or bad flag is a UsageError naming it. */
  parse(values: KindFlagValues, source: RegistryLocation): Settings;
  /** Its destinations; a problem the settings cannot show (a region nobody gave) is a UsageError too. */
  open(settings: Settings, context: DestinationContext): Destinations;
}

/** The value of a flag the kind requires. */
export function required(values: KindFlagValues, flag: string): string {
  const value = values[flag];
  if (typeof value !== 'string') throw new UsageError(`--${flag} is required`);
  return value;
}

/** A registry location flag's value (`<host>/<path>`), or a UsageError naming the flag. */
export function location(flag: string, text: string): RegistryLocation {
  try {
    return parseRegistryLocation(text);
  } catch (error) {
    throw new UsageError(`${flag}: ${(error as Error).message}`);
  }
}

/** Throws a UsageError naming the first value of a repeatable flag that is given twice. */
export function assertDistinct(flag: string, values: readonly string[]): void {
  const seen = new Set<string>();
  for (const value of values) {
    if (seen.has(value)) throw new UsageError(`${flag} ${value} is given twice`);
    seen.add(value);
  }
}

function isBucketName(name: string): boolean {
  return /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name) && !name.includes('..') && !/^\d+\.\d+\.\d+\.\d+$/.test(name);
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.host !== '';
  } catch {
    return false;
  }
}

export interface S3Settings {
  readonly bucket: string;
  /** A custom S3 endpoint (path-style addressing is then used). */
  readonly endpoint?: string;
  readonly region?: string;
}

/** An S3 bucket (AWS's upload bucket, or any mirror bucket when backfilling it). */
export const S3_KIND: DestinationKind<S3Settings> = {
  name: 's3',
  usage:
    'replicate s3 --source <host>/<repo-path> --bucket <name> [--endpoint <s3-url>] [--region <aws-region>] [selection] [options]',
  flags: { bucket: { type: 'string' }, endpoint: { type: 'string' }, region: { type: 'string' } },
  parse(values) {
    const bucket = required(values, 'bucket');
    if (!isBucketName(bucket)) throw new UsageError(`--bucket ${JSON.stringify(bucket)} is not a valid S3 bucket name`);
    const endpoint = values.endpoint as string | undefined;
    const region = values.region as string | undefined;
    if (endpoint !== undefined && !isHttpUrl(endpoint))
      throw new UsageError(`--endpoint ${JSON.stringify(endpoint)} is not an http(s) URL`);
    if (region !== undefined && !isAwsRegionName(region))
      throw new UsageError(`--region ${JSON.stringify(region)} is not an AWS region name`);
    return { bucket, endpoint, region };
  },
  open({ bucket, endpoint, region: given }, { env }) {
    // A guessed region would only turn into S3 redirect errors later: ask for it instead.
    const region = given ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
    if (!region) throw new UsageError(`the region of bucket ${bucket} is unknown: pass --region or set AWS_REGION`);
    const client = new S3Client({
      region,
      ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
      credentials: s3Credentials(env),
      // We set ChecksumSHA256 ourselves; SDK-computed checksums would stream aws-chunked bodies some S3 stand-ins store as is.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    const store = new S3BlobStore({ client, bucket });
    return { list: [new S3Destination(store)], close: () => client.destroy() };
  },
};

export interface RegistrySettings {
  readonly destinations: readonly RegistryLocation[];
}

/** OCI registries (the other Artifact Registry regions). */
export const REGISTRY_KIND: DestinationKind<RegistrySettings> = {
  name: 'registry',
  usage: 'replicate registry --source <host>/<repo-path> --dest <host>/<repo-path> [--dest ...] [selection] [options]',
  flags: { dest: { type: 'string', multiple: true } },
  parse(values, source) {
    const destinations = ((values.dest as string[] | undefined) ?? []).map((text) => location('--dest', text));
    if (destinations.length === 0) throw new UsageError('--dest is required (at least one destination)');
    const keys = destinations.map(({ host, path }) => `${host}/${path}`);
    const itself = keys.find((key) => key === `${source.host}/${source.path}`);
    if (itself !== undefined) throw new UsageError(`--dest ${itself} is the source itself`);
    assertDistinct('--dest', keys);
    return { destinations };
  },
  open({ destinations }, { registry }) {
    const trees = destinations.map((destination) => ({ location: destination, client: registry(destination) }));
    // The clients share the run's connections, which the run closes.
    return { list: registryDestinations(trees), close: () => undefined };
  },
};

/** Every kind `replicate` knows, by subcommand. */
export const DESTINATION_KINDS: readonly DestinationKind[] = [S3_KIND, REGISTRY_KIND, AZURE_KIND];
