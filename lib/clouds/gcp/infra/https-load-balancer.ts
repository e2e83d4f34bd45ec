/**
 * The global external Application Load Balancer in front of the Cloud Run redirectors: IPv4 and IPv6 addresses,
 * HTTPS with a Certificate Manager certificate, HTTP answering 301 to HTTPS (query kept), one serverless NEG per
 * region behind one backend service, every request logged.
 */
import { CertificateManagerCertificate } from '@cdktf/provider-google/lib/certificate-manager-certificate';
import { CertificateManagerCertificateMap } from '@cdktf/provider-google/lib/certificate-manager-certificate-map';
import { CertificateManagerCertificateMapEntry } from '@cdktf/provider-google/lib/certificate-manager-certificate-map-entry';
import { CertificateManagerDnsAuthorization } from '@cdktf/provider-google/lib/certificate-manager-dns-authorization';
import { ComputeBackendService } from '@cdktf/provider-google/lib/compute-backend-service';
import { ComputeGlobalAddress } from '@cdktf/provider-google/lib/compute-global-address';
import { ComputeGlobalForwardingRule } from '@cdktf/provider-google/lib/compute-global-forwarding-rule';
import { ComputeRegionNetworkEndpointGroup } from '@cdktf/provider-google/lib/compute-region-network-endpoint-group';
import { ComputeSslPolicy } from '@cdktf/provider-google/lib/compute-ssl-policy';
import { ComputeTargetHttpProxy } from '@cdktf/provider-google/lib/compute-target-http-proxy';
import { ComputeTargetHttpsProxy } from '@cdktf/provider-google/lib/compute-target-https-proxy';
import { ComputeUrlMap } from '@cdktf/provider-google/lib/compute-url-map';
import { Construct } from 'constructs';
import type { GcpNames } from './names';

/** A Cloud Run service the load balancer sends traffic to. */
export interface CloudRunBackend {
  readonly region: string;
  readonly serviceName: string;
}

export interface HttpsLoadBalancerProps {
  readonly project: string;
  readonly names: GcpNames;
  /** The host name clients use; the managed certificate covers it. */
  readonly domain: string;
  /** One serverless NEG each; clients reach the nearest healthy region. */
  readonly backends: readonly CloudRunBackend[];
  /** Cloud Armor policy (self link or id) attached to the backend service. */
  readonly securityPolicy: string;
  /** Share of requests logged. @default 1.0 (every request, as production) */
  readonly logSampleRate?: number;
}

type IpVersion = 'ipv4' | 'ipv6';

export class HttpsLoadBalancer extends Construct {
  readonly addresses: Record<IpVersion, ComputeGlobalAddress>;
  readonly dnsAuthorization: CertificateManagerDnsAuthorization;
  readonly backendService: ComputeBackendService;
  readonly urlMap: ComputeUrlMap;

  constructor(scope: Construct, id: string, props: HttpsLoadBalancerProps) {
    super(scope, id);
    const { project, names, domain } = props;
    if (props.backends.length === 0) throw new Error('HttpsLoadBalancer needs at least one Cloud Run backend');

    this.addresses = {
      ipv4: new ComputeGlobalAddress(this, 'ipv4', { project, name: names.ipv4Address, ipVersion: 'IPV4' }),
      ipv6: new ComputeGlobalAddress(this, 'ipv6', { project, name: names.ipv6Address, ipVersion: 'IPV6' }),
    };

    // The certificate is validated through a DNS record (output by the stack), so it can be issued before the
    // domain points at this load balancer: no downtime when moving the domain.
    this.dnsAuthorization = new CertificateManagerDnsAuthorization(this, 'dns-authorization', {
      project,
      name: names.dnsAuthorization,
      domain,
    });
    const certificate = new CertificateManagerCertificate(this, 'certificate', {
      project,
      name: names.certificate,
      managed: { domains: [domain], dnsAuthorizations: [this.dnsAuthorization.id] },
    });
    const certificateMap = new CertificateManagerCertificateMap(this, 'certificate-map', {
      project,
      name: names.certificateMap,
    });
    new CertificateManagerCertificateMapEntry(this, 'certificate-map-entry', {
      project,
      name: names.certificateMapEntry,
      map: certificateMap.name,
      hostname: domain,
      certificates: [certificate.id],
    });

    const negs = props.backends.map(
      (backend) =>
        new ComputeRegionNetworkEndpointGroup(this, `neg-${backend.region}`, {
          project,
          region: backend.region,
          name: names.redirectorNeg,
          networkEndpointType: 'SERVERLESS',
          cloudRun: { service: backend.serviceName },
        }),
    );
    this.backendService = new ComputeBackendService(this, 'backend-service', {
      project,
      name: names.backendService,
      loadBalancingScheme: 'EXTERNAL_MANAGED',
      protocol: 'HTTPS',
      securityPolicy: props.securityPolicy,
      logConfig: { enable: true, sampleRate: props.logSampleRate ?? 1.0 },
      backend: negs.map((neg) => ({ group: neg.id })),
    });

    this.urlMap = new ComputeUrlMap(this, 'https-url-map', {
      project,
      name: names.urlMap,
      defaultService: this.backendService.id,
    });
    const sslPolicy = new ComputeSslPolicy(this, 'ssl-policy', {
      project,
      name: names.sslPolicy,
      profile: 'MODERN',
      minTlsVersion: 'TLS_1_2',
    });
    const httpsProxy = new ComputeTargetHttpsProxy(this, 'https-proxy', {
      project,
      name: names.httpsProxy,
      urlMap: this.urlMap.id,
      certificateMap: `//certificatemanager.googleapis.com/${certificateMap.id}`,
      sslPolicy: sslPolicy.id,
    });

    // Port 80 serves nothing but a permanent redirect to HTTPS, query string kept (pagination needs it).
    const redirectUrlMap = new ComputeUrlMap(this, 'http-redirect-url-map', {
      project,
      name: names.httpRedirectUrlMap,
      defaultUrlRedirect: {
        httpsRedirect: true,
        stripQuery: false,
        redirectResponseCode: 'MOVED_PERMANENTLY_DEFAULT',
      },
    });
    const httpProxy = new ComputeTargetHttpProxy(this, 'http-proxy', {
      project,
      name: names.httpProxy,
      urlMap: redirectUrlMap.id,
    });

    const listeners = [
      { port: 443, target: httpsProxy.id },
      { port: 80, target: httpProxy.id },
    ];
    for (const ipVersion of ['ipv4', 'ipv6'] as const) {
      for (const { port, target } of listeners) {
        new ComputeGlobalForwardingRule(this, `forwarding-rule-${port}-${ipVersion}`, {
          project,
          name: names.forwardingRule(port, ipVersion),
          ipAddress: this.addresses[ipVersion].address,
          ipProtocol: 'TCP',
          portRange: String(port),
          loadBalancingScheme: 'EXTERNAL_MANAGED',
          target,
        });
      }
    }
  }
}
