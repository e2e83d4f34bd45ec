/**
 * Values that one deploy step produces and a later one consumes, so that nobody copies them by hand into a
 * topology: the CDN's domain name (output of the CDN stack, read by the redirectors' routing tables) and the unique
 * IDs of the replication jobs' service accounts (outputs of the GCP replication stack: the subjects the AWS writer
 * role and Azure's federated credential trust).
 *
 * `npm run deploy` reads them from the producing stacks' outputs and starts the consuming stack's CLI with them in
 * the environment; the apps fold them into the topology with `withDeployOutputs(topology, deployOutputsFromEnv(env))`.
 * Without them (a plain synth, or before the producer exists) every consumer synthesizes in a safe state: the writer
 * role trusts no one, and a redirector region whose default backend is the CDN sends those clients to the CDN's
 * primary mirror bucket.
 */
import * as z from 'zod';
import { GuidSchema } from '../clouds/azure/section';
import type { Env } from '../config/env';
import { TopologyError, type TopologyProblem } from './errors';
import { CDN_BACKEND, GOOGLE_OIDC_ISSUER, type Topology } from './schema';

export interface DeployOutputSpec {
  /** The environment variable the apps read it from. */
  readonly env: string;
  /** What it is, for messages and the plan. */
  readonly description: string;
  readonly schema: z.ZodType<string>;
}

/** The subject of a Google service account's ID tokens. */
const serviceAccountUniqueId = z
  .string()
  .regex(/^\d{1,32}$/, { error: "must be a service account's numeric unique ID" });

export const DEPLOY_OUTPUTS = {
  cdnDomainName: {
    env: 'DEPLOYED_CDN_DOMAIN_NAME',
    description: "the CloudFront distribution's domain name",
    schema: z
      .string()
      .regex(/^([a-z0-9-]+\.)+[a-z]{2,}$/, { error: 'must be a DNS name like d111111abcdef8.cloudfront.net' }),
  },
  replicatorUniqueId: {
    env: 'DEPLOYED_REPLICATOR_UNIQUE_ID',
    description: "the unique ID of the replicator's service account (the subject of its ID tokens)",
    schema: serviceAccountUniqueId,
  },
  /** Of the Azure replication job's own service account: the subject Azure's federated credential trusts. */
  azureReplicatorUniqueId: {
    env: 'DEPLOYED_AZURE_REPLICATOR_UNIQUE_ID',
    description: "the unique ID of the Azure replication job's service account (the subject of its ID tokens)",
    schema: serviceAccountUniqueId,
  },
  /** Of azure-mirrors: the managed identity the Azure job writes as. */
  azureReplicatorClientId: {
    env: 'DEPLOYED_AZURE_REPLICATOR_CLIENT_ID',
    description: "the client ID of Azure's replicator managed identity (the Azure job's AZURE_CLIENT_ID)",
    schema: GuidSchema,
  },
} as const satisfies Record<string, DeployOutputSpec>;

export type DeployOutputKey = keyof typeof DEPLOY_OUTPUTS;

export const DEPLOY_OUTPUT_KEYS = Object.keys(DEPLOY_OUTPUTS) as DeployOutputKey[];

/** The values known so far; a missing one has not been produced yet. */
export type DeployOutputs = Partial<Record<DeployOutputKey, string>>;

/** Where messages about the environment say the values came from. */
export const DEPLOY_OUTPUTS_SOURCE = 'deploy outputs in the environment';

/** The values in `env` (empty ones count as absent); throws a TopologyError naming each malformed variable. */
export function deployOutputsFromEnv(env: Env): DeployOutputs {
  const outputs: DeployOutputs = {};
  const problems: TopologyProblem[] = [];
  for (const key of DEPLOY_OUTPUT_KEYS) {
    const spec = DEPLOY_OUTPUTS[key];
    const value = env[spec.env];
    if (!value) continue;
    const parsed = spec.schema.safeParse(value);
    if (parsed.success) outputs[key] = parsed.data;
    else
      problems.push({ path: spec.env, message: `${parsed.error.issues[0]!.message} (got ${JSON.stringify(value)})` });
  }
  if (problems.length > 0) throw new TopologyError(DEPLOY_OUTPUTS_SOURCE, problems);
  return outputs;
}

/** The environment that hands `outputs` to an app: the inverse of deployOutputsFromEnv. */
export function deployOutputsEnv(outputs: DeployOutputs): Record<string, string> {
  return Object.fromEntries(
    DEPLOY_OUTPUT_KEYS.filter((key) => outputs[key] !== undefined).map((key) => [
      DEPLOY_OUTPUTS[key].env,
      outputs[key]!,
    ]),
  );
}

/**
 * Whether the topology leaves this value to a deploy: the CDN's address when the topology names neither a domain nor
 * a public URL, the writer's subject when its issuer is Google's and no subject is written.
 */
export function leftToDeploy(topology: Topology, key: DeployOutputKey): boolean {
  const { cdn, writer } = topology.aws;
  switch (key) {
    case 'cdnDomainName':
      return cdn.enabled && cdn.publicUrl === undefined && cdn.domainName === undefined;
    case 'replicatorUniqueId':
      return writer.oidcIssuer === GOOGLE_OIDC_ISSUER && writer.subject === undefined;
    case 'azureReplicatorUniqueId': {
      const replicator = topology.azure?.enabled ? topology.azure.replicator : undefined;
      return replicator?.oidcIssuer === GOOGLE_OIDC_ISSUER && replicator.subject === undefined;
    }
    case 'azureReplicatorClientId':
      return topology.azure?.enabled === true && topology.azure.replicator.clientId === undefined;
  }
}

/** Whether a stack of this topology consumes the value, i.e. synthesizes differently once it is known. */
export function consumesDeployOutput(topology: Topology, key: DeployOutputKey): boolean {
  if (!leftToDeploy(topology, key)) return false;
  if (key === 'cdnDomainName')
    return Object.values(topology.gcp.redirector.regions).some((r) => r.defaultBlobBackend === CDN_BACKEND);
  return true;
}

/** The topology as the consuming stacks see it once the values are known; values it does not leave to a deploy are ignored. */
export function withDeployOutputs(topology: Topology, outputs: DeployOutputs): Topology {
  const { cdnDomainName, replicatorUniqueId, azureReplicatorUniqueId, azureReplicatorClientId } = outputs;
  const { cdn, writer } = topology.aws;
  const setCdn = cdnDomainName !== undefined && leftToDeploy(topology, 'cdnDomainName');
  const setSubject = replicatorUniqueId !== undefined && leftToDeploy(topology, 'replicatorUniqueId');
  const azureSubject = azureReplicatorUniqueId !== undefined && leftToDeploy(topology, 'azureReplicatorUniqueId');
  const azureClient = azureReplicatorClientId !== undefined && leftToDeploy(topology, 'azureReplicatorClientId');
  if (!setCdn && !setSubject && !azureSubject && !azureClient) return topology;
  const azure = topology.azure!;
  return {
    ...topology,
    aws: {
      ...topology.aws,
      cdn: setCdn ? { ...cdn, publicUrl: `https://${cdnDomainName}` } : cdn,
      writer: setSubject ? { ...writer, subject: replicatorUniqueId } : writer,
    },
    ...(azureSubject || azureClient
      ? {
          azure: {
            ...azure,
            replicator: {
              ...azure.replicator,
              ...(azureSubject ? { subject: azureReplicatorUniqueId } : {}),
              ...(azureClient ? { clientId: azureReplicatorClientId } : {}),
            },
          },
        }
      : {}),
  };
}
