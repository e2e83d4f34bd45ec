/**
 * The variables production's redirector (archeio) was configured with, applied on top of the routing table so that
 * this service drops in where the old one ran: UPSTREAM_REGISTRY_ENDPOINT, UPSTREAM_REGISTRY_PATH,
 * DEFAULT_AWS_BASE_URL and SIGNATURE_UPSTREAM_ENDPOINT. Each is validated like the table field it replaces.
 */
import type { z } from 'zod';
import type { Env } from '../../config/env';
import { RoutingTableSchema, UpstreamSchema, type RoutingTable } from '../../topology';
import { ConfigError, type ConfigProblem } from './problems';

export function withLegacyOverrides(table: RoutingTable, env: Env): RoutingTable {
  const problems: ConfigProblem[] = [];
  const check = (variable: string, schema: z.ZodType<string>): string | undefined => {
    const value = env[variable];
    if (value === undefined || value === '') return undefined;
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    problems.push({
      variable,
      // A failed parse always has an issue.
      message: `${parsed.error.issues[0]!.message} (got ${JSON.stringify(value)})`,
    });
    return undefined;
  };
  const endpoint = check('UPSTREAM_REGISTRY_ENDPOINT', UpstreamSchema.shape.endpoint);
  const path = check('UPSTREAM_REGISTRY_PATH', UpstreamSchema.shape.path);
  const defaultBlobBaseUrl = check('DEFAULT_AWS_BASE_URL', RoutingTableSchema.shape.defaultBlobBaseUrl);
  const signatureEndpoint = check('SIGNATURE_UPSTREAM_ENDPOINT', UpstreamSchema.shape.endpoint);
  if (problems.length > 0) throw new ConfigError(problems);
  const upstream = { endpoint: endpoint ?? table.upstream.endpoint, path: path ?? table.upstream.path };
  return {
    ...table,
    upstream,
    defaultBlobBaseUrl: defaultBlobBaseUrl ?? table.defaultBlobBaseUrl,
    ...(signatureEndpoint
      ? { signatureUpstream: { endpoint: signatureEndpoint, path: table.signatureUpstream?.path ?? upstream.path } }
      : {}),
  };
}
