/**
 * Every GCP resource name, derived from the topology in one place so that stacks which refer to each other's
 * resources (the load balancer to the Cloud Run services, the log sink to the URL map) agree without cross-stack
 * references: each stack can be planned and deployed on its own.
 */
import type { Topology } from '../../../topology';

/** The CDKTF stacks of the GCP app, one per concern, in deploy order. */
export const GCP_STACK_IDS = {
  delivery: 'gcp-delivery',
  artifacts: 'gcp-artifacts',
  redirector: 'gcp-redirector',
  frontend: 'gcp-frontend',
  observability: 'gcp-observability',
  replication: 'gcp-replication',
} as const;

export type GcpStackKey = keyof typeof GCP_STACK_IDS;

/** Terraform output names the deploy reads (`cdktf deploy --outputs-file`: `{<stack id>: {<name>: value}}`). */
export const GCP_OUTPUT_IDS = {
  /** Of gcp-replication: the unique ID of the S3 job's service account, the `sub` of its ID tokens. */
  replicatorUniqueId: 'replicator-unique-id',
  /** Of gcp-replication, when Azure is on: the unique ID of the Azure job's service account, which Azure trusts. */
  azureReplicatorUniqueId: 'azure-replicator-unique-id',
  /** Of gcp-delivery: what the GitHub workflows authenticate with and push to (README, "Continuous delivery"). */
  workloadIdentityProvider: 'workload-identity-provider',
  deployServiceAccount: 'deploy-service-account',
  imagesServiceAccount: 'images-service-account',
  servicesRepository: 'services-repository',
} as const;

/**
 * Service account IDs are limited to 30 characters, too short for the topology name in front: they carry their
 * role only. The serving project belongs to one registry, so they cannot collide.
 */
export const SERVICE_ACCOUNT_IDS = {
  redirector: 'registry-redirector',
  fanOut: 'replicator-registries',
  s3Upload: 'replicator-s3',
  scheduler: 'replication-scheduler',
  /** deploy.yml: `npm run deploy` from the production environment of the main branch. */
  deployer: 'github-deploy',
  /** images.yml: pushes and signs the services' images. */
  imagePublisher: 'github-images',
} as const;

export interface GcpNames {
  /** The Cloud Run service running the redirector; the same name in every region. */
  readonly redirectorService: string;
  /** The serverless NEG in front of the redirector; regional, so the same name in every region. */
  readonly redirectorNeg: string;
  readonly backendService: string;
  readonly securityPolicy: string;
  readonly ipv4Address: string;
  readonly ipv6Address: string;
  /** The URL map serving HTTPS traffic (the request logs carry its name). */
  readonly urlMap: string;
  /** The URL map of port 80: a redirect to HTTPS and nothing else. */
  readonly httpRedirectUrlMap: string;
  readonly httpsProxy: string;
  readonly sslPolicy: string;
  readonly httpProxy: string;
  /** Forwarding rule name for a port (80, 443) and an IP version. */
  forwardingRule(port: number, ipVersion: 'ipv4' | 'ipv6'): string;
  readonly dnsAuthorization: string;
  readonly certificate: string;
  readonly certificateMap: string;
  readonly certificateMapEntry: string;
  readonly requestLogSink: string;
  readonly fanOutJob: string;
  readonly s3UploadJob: string;
  /** The Cloud Run job of a replication target (lib/clouds/donor.ts), by its short name. */
  replicationJob(job: string): string;
}

export function gcpNames(topology: Topology): GcpNames {
  const prefix = topology.name;
  return {
    redirectorService: `${prefix}-redirector`,
    redirectorNeg: `${prefix}-redirector`,
    backendService: `${prefix}-redirector`,
    securityPolicy: `${prefix}-armor`,
    ipv4Address: `${prefix}-ipv4`,
    ipv6Address: `${prefix}-ipv6`,
    urlMap: `${prefix}-https`,
    httpRedirectUrlMap: `${prefix}-http-redirect`,
    httpsProxy: `${prefix}-https`,
    sslPolicy: `${prefix}-tls`,
    httpProxy: `${prefix}-http`,
    forwardingRule: (port, ipVersion) => `${prefix}-${port === 443 ? 'https' : 'http'}-${ipVersion}`,
    dnsAuthorization: `${prefix}-dns-authorization`,
    certificate: `${prefix}-certificate`,
    certificateMap: `${prefix}-certificates`,
    certificateMapEntry: `${prefix}-default`,
    requestLogSink: `${prefix}-lb-requests`,
    fanOutJob: `${prefix}-replicate-registries`,
    s3UploadJob: `${prefix}-replicate-s3`,
    replicationJob: (job) => `${prefix}-replicate-${job}`,
  };
}
