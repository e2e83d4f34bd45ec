/** The front door: Cloud Armor and the global HTTPS load balancer in front of every redirector region. */
import type { Construct } from 'constructs';
import { redirectorRegions, type Topology } from '../../../../topology';
import { apisOf } from '../apis';
import { HttpsLoadBalancer } from '../https-load-balancer';
import { gcpNames } from '../names';
import { RegistrySecurityPolicy } from '../security-policy';
import { GcpStack, outputs } from '../stack';

export class FrontendStack extends GcpStack {
  readonly loadBalancer: HttpsLoadBalancer;
  readonly securityPolicy: RegistrySecurityPolicy;

  constructor(scope: Construct, id: string, topology: Topology) {
    super(scope, id, { topology, project: topology.gcp.servingProject, apis: apisOf(topology, 'frontend') });
    const project = topology.gcp.servingProject;
    const names = gcpNames(topology);
    const { armor } = topology.gcp;
    this.securityPolicy = new RegistrySecurityPolicy(this, 'security-policy', {
      project,
      name: names.securityPolicy,
      wafSensitivity: armor.wafSensitivity,
      throttle: { count: armor.rateLimitCount, intervalSeconds: armor.rateLimitIntervalSeconds },
    });
    this.loadBalancer = new HttpsLoadBalancer(this, 'load-balancer', {
      project,
      names,
      domain: topology.gcp.domain,
      // Services are found by name: the redirector stack must be deployed first (docs/gcp.md).
      backends: redirectorRegions(topology).map((region) => ({ region, serviceName: names.redirectorService })),
      securityPolicy: this.securityPolicy.policy.id,
    });

    const record = this.loadBalancer.dnsAuthorization.dnsResourceRecord.get(0);
    outputs(this, {
      'ipv4-address': [this.loadBalancer.addresses.ipv4.address, `A record of ${topology.gcp.domain}`],
      'ipv6-address': [this.loadBalancer.addresses.ipv6.address, `AAAA record of ${topology.gcp.domain}`],
      'dns-authorization-record-name': [record.name, 'DNS record proving domain ownership to Certificate Manager'],
      'dns-authorization-record-type': [record.type, 'its type (CNAME)'],
      'dns-authorization-record-data': [record.data, 'its value'],
    });
  }
}
