/** The redirector in one Cloud Run region: the service, its routing table, its probes and who may call it. */
import { CloudRunV2Service } from '@cdktf/provider-google/lib/cloud-run-v2-service';
import { CloudRunV2ServiceIamMember } from '@cdktf/provider-google/lib/cloud-run-v2-service-iam-member';
import { Construct } from 'constructs';
import type { RoutingTable, Topology } from '../../../topology';
// The container's side of the contract: its port (Cloud Run passes it as PORT), probe paths, table variable.
import {
  CONTAINER_PORT,
  LIVENESS_PATH,
  PROJECT_ENV,
  READINESS_PATH,
  ROUTING_TABLE_ENV,
} from '../../../redirector/service-contract';
import { ALL_USERS, ROLES } from './iam';

/** Size and scaling of a service: the topology's `gcp.redirector` settings, whose defaults are the only defaults. */
export type RedirectorSizing = Pick<
  Topology['gcp']['redirector'],
  'cpu' | 'memory' | 'concurrency' | 'minInstances' | 'maxInstances' | 'timeoutSeconds'
>;

export interface RedirectorServiceProps extends RedirectorSizing {
  readonly project: string;
  readonly region: string;
  readonly name: string;
  readonly image: string;
  /** The routing table of this region, baked into the service's environment. */
  readonly routingTable: RoutingTable;
  /** The identity the service runs as; give it no roles. */
  readonly serviceAccountEmail: string;
  /**
   * Who may reach the service. The default admits only the load balancer, so nobody bypasses Cloud Armor.
   * @default 'INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER'
   */
  readonly ingress?: 'INGRESS_TRAFFIC_ALL' | 'INGRESS_TRAFFIC_INTERNAL_ONLY' | 'INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER';
  /** Let unauthenticated callers invoke it (`allUsers` run.invoker); needed behind a public load balancer. @default false */
  readonly allowUnauthenticated?: boolean;
}

export class RedirectorService extends Construct {
  readonly service: CloudRunV2Service;

  constructor(scope: Construct, id: string, props: RedirectorServiceProps) {
    super(scope, id);
    this.service = new CloudRunV2Service(this, 'service', {
      project: props.project,
      location: props.region,
      name: props.name,
      ingress: props.ingress ?? 'INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER',
      template: {
        serviceAccount: props.serviceAccountEmail,
        maxInstanceRequestConcurrency: props.concurrency,
        timeout: `${props.timeoutSeconds}s`,
        scaling: { minInstanceCount: props.minInstances, maxInstanceCount: props.maxInstances },
        containers: [
          {
            image: props.image,
            ports: { containerPort: CONTAINER_PORT },
            env: [
              { name: ROUTING_TABLE_ENV, value: JSON.stringify(props.routingTable) },
              // The load balancer's traces are in this project: the log lines name it to join their requests' entries.
              { name: PROJECT_ENV, value: props.project },
            ],
            resources: {
              limits: { cpu: props.cpu, memory: props.memory },
              // CPU only while serving requests; the redirector does no background work.
              cpuIdle: true,
              startupCpuBoost: true,
            },
            startupProbe: {
              httpGet: { path: READINESS_PATH, port: CONTAINER_PORT },
              periodSeconds: 1,
              timeoutSeconds: 1,
              failureThreshold: 30,
            },
            livenessProbe: {
              httpGet: { path: LIVENESS_PATH, port: CONTAINER_PORT },
              periodSeconds: 10,
              timeoutSeconds: 2,
              failureThreshold: 3,
            },
          },
        ],
      },
    });
    if (props.allowUnauthenticated ?? false) {
      new CloudRunV2ServiceIamMember(this, 'public-invoker', {
        project: props.project,
        location: props.region,
        name: this.service.name,
        role: ROLES.runInvoker,
        member: ALL_USERS,
      });
    }
  }
}
