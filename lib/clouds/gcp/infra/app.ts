/** The GCP side of the registry: six stacks, one per concern, each a pure function of the topology. */
import type { App } from 'cdktf';
import type { Topology } from '../../../topology';
import { GCP_STACK_IDS } from './names';
import { ArtifactsStack } from './stacks/artifacts';
import { DeliveryStack } from './stacks/delivery';
import { FrontendStack } from './stacks/frontend';
import { ObservabilityStack } from './stacks/observability';
import { RedirectorStack } from './stacks/redirector';
import { ReplicationStack } from './stacks/replication';

export interface GcpStacks {
  readonly delivery: DeliveryStack;
  readonly artifacts: ArtifactsStack;
  readonly redirector: RedirectorStack;
  readonly frontend: FrontendStack;
  readonly observability: ObservabilityStack;
  readonly replication: ReplicationStack;
}

export function addGcpStacks(app: App, topology: Topology): GcpStacks {
  return {
    delivery: new DeliveryStack(app, GCP_STACK_IDS.delivery, topology),
    artifacts: new ArtifactsStack(app, GCP_STACK_IDS.artifacts, topology),
    redirector: new RedirectorStack(app, GCP_STACK_IDS.redirector, topology),
    frontend: new FrontendStack(app, GCP_STACK_IDS.frontend, topology),
    observability: new ObservabilityStack(app, GCP_STACK_IDS.observability, topology),
    replication: new ReplicationStack(app, GCP_STACK_IDS.replication, topology),
  };
}
