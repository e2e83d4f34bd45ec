/** The redirector: one Cloud Run service per redirector region, each with its own routing table. */
import { ServiceAccount } from '@cdktf/provider-google/lib/service-account';
import type { Construct } from 'constructs';
import { redirectorRegions, routingTableFor, type Topology } from '../../../../topology';
import { apisOf } from '../apis';
import { gcpNames, SERVICE_ACCOUNT_IDS } from '../names';
import { RedirectorService } from '../redirector-service';
import { GcpStack } from '../stack';

export class RedirectorStack extends GcpStack {
  /** Services by region. */
  readonly services: ReadonlyMap<string, RedirectorService>;
  readonly serviceAccount: ServiceAccount;

  constructor(scope: Construct, id: string, topology: Topology) {
    super(scope, id, { topology, project: topology.gcp.servingProject, apis: apisOf(topology, 'redirector') });
    const project = topology.gcp.servingProject;
    const { cpu, memory, concurrency, minInstances, maxInstances, timeoutSeconds } = topology.gcp.redirector;
    // The redirector reads nothing from Google APIs: its identity has no roles at all.
    this.serviceAccount = new ServiceAccount(this, 'service-account', {
      project,
      accountId: SERVICE_ACCOUNT_IDS.redirector,
      displayName: `${topology.name} redirector (no roles)`,
    });
    const name = gcpNames(topology).redirectorService;
    this.services = new Map(
      redirectorRegions(topology).map((region) => [
        region,
        new RedirectorService(this, `redirector-${region}`, {
          project,
          region,
          name,
          image: topology.images.redirector,
          routingTable: routingTableFor(topology, region),
          serviceAccountEmail: this.serviceAccount.email,
          ingress: 'INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER',
          // The load balancer does not authenticate; ingress keeps everyone else out.
          allowUnauthenticated: true,
          cpu,
          memory,
          concurrency,
          minInstances,
          maxInstances,
          timeoutSeconds,
        }),
      ]),
    );
  }
}
