/**
 * The variables production's redirector (archeio) was configured with, applied on top of the routing table so that
 * this service drops in where the old one ran: UPSTREAM_REGISTRY_ENDPOINT, UPSTREAM_REGISTRY_PATH,
 * DEFAULT_AWS_BASE_URL and SIGNATURE_UPSTREAM_ENDPOINT. Each is validated like the table field it replaces.
 */
import type { z } from 'zod';
import type { Env } from '../../config/env';
import type { RoutingTable } from '../../topology/routing-table';
import { routingTableModule } from '../on-demand';
import { ConfigError, type ConfigProblem } from './problems';

/** Each variable, by the table field it replaces. */
const LEGACY_VARIABLES = {
  upstreamEndpoint: 'UPSTREAM_REGISTRY_ENDPOINT',
  upstreamPath: 'UPSTREAM_REGISTRY_PATH',
  defaultBlobBaseUrl: 'DEFAULT_AWS_BASE_URL',
  signatureEndpoint: 'SIGNATURE_UPSTREAM_ENDPOINT',
} as const;

export function withLegacyOverrides(table: RoutingTable, env: Env): RoutingTable {
  // Without any, the table's schemas (what each variable is checked against) are not even loaded.
  if (Object.values(LEGACY_VARIABLES).every((variable) => !env[variable])) return table;
  const { RoutingTableSchema, UpstreamSchema } = routingTableModule();
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
  const endpoint = check(LEGACY_VARIABLES.upstreamEndpoint, UpstreamSchema.shape.endpoint);
  const path = check(LEGACY_VARIABLES.upstreamPath, UpstreamSchema.shape.path);
  const defaultBlobBaseUrl = check(LEGACY_VARIABLES.defaultBlobBaseUrl, RoutingTableSchema.shape.defaultBlobBaseUrl);
  const signatureEndpoint = check(LEGACY_VARIABLES.signatureEndpoint, UpstreamSchema.shape.endpoint);
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
