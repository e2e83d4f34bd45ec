/**
 * The GCP app synthesized from the default topology (registry.k8s.io) and the small fixture: every resource count,
 * routing table, IAM grant and threshold follows the topology.
 */
import { ROLES } from '../../../lib/clouds/gcp/infra/iam';
import { gcpNames, SERVICE_ACCOUNT_IDS } from '../../../lib/clouds/gcp/infra/names';
import { fanOutJobArgs, s3UploadJobArgs } from '../../../lib/clouds/gcp/infra/replication-args';
import { WAF_RULE_SETS } from '../../../lib/clouds/gcp/infra/security-policy';
import {
  redirectorRegions,
  routingTableFor,
  RoutingTableSchema,
  writerRoleArn,
  type Topology,
} from '../../../lib/topology';
import {
  countOf,
  defaultTopology,
  iamGrantsOf,
  resourcesOf,
  smallTopology,
  synthesizeGcp,
  type SynthesizedGcp,
  type TerraformJson,
} from './support';

const PRIMITIVE_ROLES = ['roles/owner', 'roles/editor', 'roles/viewer'];
const STACK_KEYS = ['delivery', 'artifacts', 'redirector', 'frontend', 'observability', 'replication'] as const;

interface Case {
  readonly name: string;
  readonly topology: Topology;
  synthesized?: SynthesizedGcp;
}

const cases: Case[] = [
  { name: 'default topology', topology: defaultTopology() },
  { name: 'small fixture', topology: smallTopology() },
];

beforeAll(() => {
  for (const c of cases) c.synthesized = synthesizeGcp(c.topology);
});

function synth(c: Case): SynthesizedGcp {
  if (!c.synthesized) throw new Error(`${c.name} was not synthesized`);
  return c.synthesized;
}

/** `${google_service_account.<id>.email}` of the service account with this account ID. */
function serviceAccountRef(stack: TerraformJson, accountId: string, attribute: string): string {
  const entry = Object.entries(stack.resource.google_service_account ?? {}).find(([, c]) => c.account_id === accountId);
  if (!entry) throw new Error(`no service account ${accountId}`);
  return `\${google_service_account.${entry[0]}.${attribute}}`;
}

function envOf(container: { env?: { name: string; value: string }[] }): Record<string, string> {
  return Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value]));
}

describe('resource counts follow the topology', () => {
  it('the default topology has registry.k8s.io production numbers', () => {
    const s = synth(cases[0]!);
    expect(countOf(s.artifacts, 'google_artifact_registry_repository')).toBe(41);
    expect(countOf(s.redirector, 'google_cloud_run_v2_service')).toBe(22);
    expect(countOf(s.frontend, 'google_compute_region_network_endpoint_group')).toBe(22);
  });

  it.each(cases)('$name: one repository per AR region, one service and NEG per redirector region', (c) => {
    const s = synth(c);
    const { artifactRegions } = c.topology.gcp;
    const regions = redirectorRegions(c.topology);
    expect(
      resourcesOf(s.artifacts, 'google_artifact_registry_repository')
        .map((r) => r.location)
        .sort(),
    ).toEqual([...artifactRegions].sort());
    expect(
      resourcesOf(s.redirector, 'google_cloud_run_v2_service')
        .map((r) => r.location)
        .sort(),
    ).toEqual(regions);
    const negs = resourcesOf(s.frontend, 'google_compute_region_network_endpoint_group');
    expect(negs.map((n) => n.region).sort()).toEqual(regions);
    for (const neg of negs) {
      expect(neg).toMatchObject({
        network_endpoint_type: 'SERVERLESS',
        cloud_run: { service: gcpNames(c.topology).redirectorService },
      });
    }
    const backends = resourcesOf(s.frontend, 'google_compute_backend_service');
    expect(backends).toHaveLength(1);
    expect(backends[0]!.backend).toHaveLength(regions.length);
    expect(countOf(s.frontend, 'google_compute_global_address')).toBe(2);
    expect(countOf(s.frontend, 'google_compute_global_forwarding_rule')).toBe(4);
    expect(countOf(s.replication, 'google_cloud_run_v2_job')).toBe(2);
    expect(countOf(s.replication, 'google_cloud_scheduler_job')).toBe(2);
  });
});

describe('artifacts', () => {
  it.each(cases)('$name: Docker repositories named by the topology, with its tag policy', (c) => {
    for (const repo of resourcesOf(synth(c).artifacts, 'google_artifact_registry_repository')) {
      expect(repo).toMatchObject({
        format: 'DOCKER',
        project: c.topology.gcp.artifactsProject,
        repository_id: c.topology.gcp.repository,
        docker_config: { immutable_tags: c.topology.gcp.immutableTags },
      });
    }
  });

  it('immutable tags when the topology asks for them', () => {
    const s = synthesizeGcp(smallTopology((t) => void (t.gcp.immutableTags = true)));
    for (const repo of resourcesOf(s.artifacts, 'google_artifact_registry_repository')) {
      expect(repo.docker_config).toEqual({ immutable_tags: true });
    }
  });

  it.each(cases)('$name: audit logs of writes and admin reads, not of anonymous pulls', (c) => {
    const audit = resourcesOf(synth(c).artifacts, 'google_project_iam_audit_config');
    const project = c.topology.gcp.artifactsProject;
    expect(audit).toEqual([
      {
        project,
        service: 'artifactregistry.googleapis.com',
        audit_log_config: [{ log_type: 'ADMIN_READ' }, { log_type: 'DATA_WRITE' }],
        depends_on: [
          `google_project_service.api-${project}-artifactregistry`,
          `google_project_service.api-${project}-cloudresourcemanager`,
        ],
      },
    ]);
  });
});

describe('redirector services', () => {
  it.each(cases)('$name: each service runs with the routing table of its own region', (c) => {
    for (const service of resourcesOf(synth(c).redirector, 'google_cloud_run_v2_service')) {
      const region = String(service.location);
      const container = (service.template as { containers: { env: { name: string; value: string }[] }[] })
        .containers[0]!;
      const table: unknown = JSON.parse(envOf(container).ROUTING_TABLE!);
      expect(table).toEqual(routingTableFor(c.topology, region));
      expect(RoutingTableSchema.parse(table).region).toBe(region);
      expect(envOf(container)).not.toHaveProperty('PORT');
      expect(envOf(container).GOOGLE_CLOUD_PROJECT).toBe(c.topology.gcp.servingProject);
    }
  });

  it.each(cases)('$name: reachable only through the load balancer, probed on the health endpoints', (c) => {
    const s = synth(c);
    const { redirector } = c.topology.gcp;
    for (const service of resourcesOf(s.redirector, 'google_cloud_run_v2_service')) {
      expect(service).toMatchObject({
        name: gcpNames(c.topology).redirectorService,
        project: c.topology.gcp.servingProject,
        ingress: 'INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER',
        template: {
          service_account: serviceAccountRef(s.redirector, SERVICE_ACCOUNT_IDS.redirector, 'email'),
          max_instance_request_concurrency: redirector.concurrency,
          timeout: `${redirector.timeoutSeconds}s`,
          scaling: { min_instance_count: redirector.minInstances, max_instance_count: redirector.maxInstances },
          containers: [
            {
              image: c.topology.images.redirector,
              ports: { container_port: 8080 },
              resources: { limits: { cpu: redirector.cpu, memory: redirector.memory } },
              startup_probe: { http_get: { path: '/-/ready', port: 8080 } },
              liveness_probe: { http_get: { path: '/-/healthy', port: 8080 } },
            },
          ],
        },
      });
    }
  });

  it('production sizing by default: 1 vCPU, 512 MiB, 800 concurrent requests', () => {
    const service = resourcesOf(synth(cases[0]!).redirector, 'google_cloud_run_v2_service')[0]!;
    expect(service.template).toMatchObject({
      max_instance_request_concurrency: 800,
      containers: [{ resources: { limits: { cpu: '1', memory: '512Mi' } } }],
    });
  });

  it.each(cases)('$name: the redirector identity has no roles anywhere', (c) => {
    const s = synth(c);
    const email = serviceAccountRef(s.redirector, SERVICE_ACCOUNT_IDS.redirector, 'email');
    const grants = STACK_KEYS.flatMap((key) => iamGrantsOf(s[key]));
    expect(grants.filter((g) => g.members.some((m) => m.includes(email)))).toEqual([]);
  });
});

describe('IAM', () => {
  it.each(cases)(
    '$name: only repository- and resource-level members (but the deploy identity), no primitive roles',
    (c) => {
      const s = synth(c);
      const grants = STACK_KEYS.flatMap((key) => iamGrantsOf(s[key]));
      expect(grants.length).toBeGreaterThan(0);
      const deployer = serviceAccountRef(s.delivery, SERVICE_ACCOUNT_IDS.deployer, 'email');
      for (const grant of grants) {
        expect(grant.type).toMatch(/_iam_member$/);
        // Creating resources cannot be granted on a resource: deploy.yml's identity alone holds project roles.
        if (grant.type === 'google_project_iam_member') expect(grant.members).toEqual([`serviceAccount:${deployer}`]);
        else expect(grant.type).not.toMatch(/^google_(project|organization|folder)_iam/);
        expect(PRIMITIVE_ROLES).not.toContain(grant.role);
        expect(grant.role).toMatch(/^roles\//);
      }
    },
  );

  it.each(cases)('$name: allUsers only reads Artifact Registry and invokes the Cloud Run services', (c) => {
    const s = synth(c);
    const publicGrants = STACK_KEYS.flatMap((key) => iamGrantsOf(s[key])).filter((g) =>
      g.members.some((m) => m === 'allUsers' || m === 'allAuthenticatedUsers'),
    );
    const allowed = new Set([
      `google_artifact_registry_repository_iam_member ${ROLES.artifactRegistryReader} allUsers`,
      `google_cloud_run_v2_service_iam_member ${ROLES.runInvoker} allUsers`,
    ]);
    for (const grant of publicGrants) expect(allowed).toContain(`${grant.type} ${grant.role} ${grant.members[0]}`);
    // Granted through the resource it opens, so Terraform never grants on a repository that does not exist yet.
    for (const grant of publicGrants) {
      expect(grant.config.repository ?? grant.config.name).toMatch(
        /^\$\{google_(artifact_registry_repository|cloud_run_v2_service)\./,
      );
    }
    expect(publicGrants).toHaveLength(c.topology.gcp.artifactRegions.length + redirectorRegions(c.topology).length);
  });

  it.each(cases)('$name: the fan-out job reads the canonical repository and writes every other one', (c) => {
    const s = synth(c).replication;
    const member = `serviceAccount:${serviceAccountRef(s, SERVICE_ACCOUNT_IDS.fanOut, 'email')}`;
    const { canonicalRegion, artifactRegions, artifactsProject, repository } = c.topology.gcp;
    const grants = iamGrantsOf(s).filter((g) => g.members.includes(member));
    expect(grants.every((g) => g.type === 'google_artifact_registry_repository_iam_member')).toBe(true);
    for (const g of grants) expect(g.config).toMatchObject({ project: artifactsProject, repository });
    const byRole = (role: string) =>
      grants
        .filter((g) => g.role === role)
        .map((g) => g.config.location)
        .sort();
    expect(byRole(ROLES.artifactRegistryReader)).toEqual([canonicalRegion]);
    expect(byRole(ROLES.artifactRegistryWriter)).toEqual(artifactRegions.filter((r) => r !== canonicalRegion).sort());
    expect(grants).toHaveLength(artifactRegions.length);
  });

  it.each(cases)('$name: the S3 job only reads the canonical repository', (c) => {
    const s = synth(c).replication;
    const member = `serviceAccount:${serviceAccountRef(s, SERVICE_ACCOUNT_IDS.s3Upload, 'email')}`;
    const grants = iamGrantsOf(s).filter((g) => g.members.includes(member));
    expect(grants.map((g) => [g.type, g.role, g.config.location])).toEqual([
      ['google_artifact_registry_repository_iam_member', ROLES.artifactRegistryReader, c.topology.gcp.canonicalRegion],
    ]);
  });

  it.each(cases)('$name: the scheduler may run each replication job and nothing else', (c) => {
    const s = synth(c).replication;
    const member = `serviceAccount:${serviceAccountRef(s, SERVICE_ACCOUNT_IDS.scheduler, 'email')}`;
    const grants = iamGrantsOf(s).filter((g) => g.members.includes(member));
    const jobRefs = Object.keys(s.resource.google_cloud_run_v2_job!).map(
      (id) => `\${google_cloud_run_v2_job.${id}.name}`,
    );
    expect(grants.map((g) => [g.type, g.role])).toEqual(
      jobRefs.map(() => ['google_cloud_run_v2_job_iam_member', ROLES.runInvoker]),
    );
    expect(grants.map((g) => g.config.name).sort()).toEqual(jobRefs.sort());
  });
});

describe('frontend', () => {
  it.each(cases)('$name: Cloud Armor WAF rules deny 403 at the topology sensitivity', (c) => {
    const [policy] = resourcesOf(synth(c).frontend, 'google_compute_security_policy');
    const rules = policy!.rule as { action: string; priority: number; match: { expr?: { expression: string } } }[];
    const waf = rules.filter((r) => r.match.expr?.expression.startsWith('evaluatePreconfiguredWaf'));
    expect(waf.map((r) => r.match.expr!.expression)).toEqual(
      WAF_RULE_SETS.map(
        (set) => `evaluatePreconfiguredWaf('${set}', {'sensitivity': ${c.topology.gcp.armor.wafSensitivity}})`,
      ),
    );
    expect(new Set(waf.map((r) => r.action))).toEqual(new Set(['deny(403)']));
    expect(rules.find((r) => r.priority === 2147483647)).toMatchObject({ action: 'allow' });
  });

  it('the WAF covers production rule sets', () => {
    for (const set of [
      'protocolattack',
      'methodenforcement',
      'scannerdetection',
      'rce',
      'rfi',
      'sessionfixation',
      'lfi',
      'php',
      'xss',
    ]) {
      expect(WAF_RULE_SETS).toContain(`${set}-v33-stable`);
    }
    expect(WAF_RULE_SETS).toContain('cve-canary');
  });

  it.each([
    ['default thresholds', smallTopology()],
    [
      'custom thresholds',
      smallTopology(
        (t) => void (t.gcp.armor = { rateLimitCount: 123, rateLimitIntervalSeconds: 10, wafSensitivity: 3 }),
      ),
    ],
  ])('%s: a per-client-IP throttle answering 429 with the topology thresholds', (_name, topology) => {
    const [policy] = resourcesOf(synthesizeGcp(topology).frontend, 'google_compute_security_policy');
    const rules = policy!.rule as Record<string, unknown>[];
    const throttle = rules.filter((r) => r.action === 'throttle');
    expect(throttle).toHaveLength(1);
    expect(throttle[0]).toMatchObject({
      match: { versioned_expr: 'SRC_IPS_V1', config: { src_ip_ranges: ['*'] } },
      rate_limit_options: {
        conform_action: 'allow',
        exceed_action: 'deny(429)',
        enforce_on_key: 'IP',
        rate_limit_threshold: {
          count: topology.gcp.armor.rateLimitCount,
          interval_sec: topology.gcp.armor.rateLimitIntervalSeconds,
        },
      },
    });
    expect(JSON.stringify(rules)).toContain(`{'sensitivity': ${topology.gcp.armor.wafSensitivity}}`);
  });

  it.each(cases)('$name: HTTP answers 301 to HTTPS keeping the query; HTTPS reaches the redirectors', (c) => {
    const s = synth(c).frontend;
    const names = gcpNames(c.topology);
    const maps = Object.fromEntries(resourcesOf(s, 'google_compute_url_map').map((m) => [m.name, m]));
    expect(maps[names.httpRedirectUrlMap]).toMatchObject({
      default_url_redirect: {
        https_redirect: true,
        strip_query: false,
        redirect_response_code: 'MOVED_PERMANENTLY_DEFAULT',
      },
    });
    expect(maps[names.urlMap]!.default_service).toMatch(/google_compute_backend_service\./);
    const rules = resourcesOf(s, 'google_compute_global_forwarding_rule');
    expect(rules.map((r) => r.port_range).sort()).toEqual(['443', '443', '80', '80']);
    expect(
      resourcesOf(s, 'google_compute_global_address')
        .map((a) => a.ip_version)
        .sort(),
    ).toEqual(['IPV4', 'IPV6']);
    expect(resourcesOf(s, 'google_compute_backend_service')[0]).toMatchObject({
      load_balancing_scheme: 'EXTERNAL_MANAGED',
      log_config: { enable: true, sample_rate: 1 },
      security_policy: expect.stringMatching(/google_compute_security_policy\./),
    });
  });

  it.each(cases)('$name: a managed certificate for the topology domain, validated by DNS', (c) => {
    const s = synth(c).frontend;
    const { domain } = c.topology.gcp;
    expect(resourcesOf(s, 'google_certificate_manager_dns_authorization')).toMatchObject([{ domain }]);
    expect(resourcesOf(s, 'google_certificate_manager_certificate')).toMatchObject([
      { managed: { domains: [domain] } },
    ]);
    expect(resourcesOf(s, 'google_certificate_manager_certificate_map_entry')).toMatchObject([{ hostname: domain }]);
    expect(resourcesOf(s, 'google_compute_target_https_proxy')[0]!.certificate_map).toMatch(
      /^\/\/certificatemanager\.googleapis\.com\/\$\{google_certificate_manager_certificate_map\./,
    );
    expect(Object.keys(s.output ?? {})).toEqual(
      expect.arrayContaining(['ipv4-address', 'ipv6-address', 'dns-authorization-record-data']),
    );
  });
});

describe('observability', () => {
  it.each(cases)('$name: request logs to BigQuery; the sink may write to that dataset only', (c) => {
    const s = synth(c).observability;
    const { logDataset } = c.topology.gcp.observability;
    const [sink] = resourcesOf(s, 'google_logging_project_sink');
    expect(sink).toMatchObject({
      destination: `bigquery.googleapis.com/projects/${c.topology.gcp.servingProject}/datasets/${logDataset}`,
      unique_writer_identity: true,
    });
    expect(sink!.filter).toContain('resource.type="http_load_balancer"');
    expect(sink!.filter).toContain(`url_map_name="${gcpNames(c.topology).urlMap}"`);
    expect(resourcesOf(s, 'google_bigquery_dataset')).toMatchObject([{ dataset_id: logDataset }]);
    expect(iamGrantsOf(s).map((g) => [g.type, g.role, g.members[0]])).toEqual([
      [
        'google_bigquery_dataset_iam_member',
        ROLES.bigQueryDataEditor,
        expect.stringMatching(/^\$\{google_logging_project_sink\..*\.writer_identity\}$/),
      ],
    ]);
  });

  it.each(cases)('$name: uptime check of / every minute, alerts on failure and certificate expiry by e-mail', (c) => {
    const s = synth(c).observability;
    const { domain, observability } = c.topology.gcp;
    const checks = Object.entries(s.resource.google_monitoring_uptime_check_config ?? {});
    expect(checks.map(([, check]) => check)).toMatchObject([
      {
        period: '60s',
        monitored_resource: { type: 'uptime_url', labels: { host: domain } },
        // `/` answers 307 to the info page: that is "up".
        http_check: {
          path: '/',
          port: 443,
          use_ssl: true,
          validate_ssl: true,
          accepted_response_status_codes: [{ status_value: 307 }],
        },
      },
    ]);
    const channels = Object.keys(s.resource.google_monitoring_notification_channel ?? {});
    expect(resourcesOf(s, 'google_monitoring_notification_channel')).toMatchObject([
      { type: 'email', labels: { email_address: observability.notificationEmail } },
    ]);
    const ofThisCheck = (metric: string) =>
      `metric.type="monitoring.googleapis.com/uptime_check/${metric}" AND resource.type="uptime_url" AND ` +
      `metric.label.check_id="\${google_monitoring_uptime_check_config.${checks[0]![0]}.uptime_check_id}"`;
    const alert = (conditionThreshold: Record<string, unknown>) => ({
      combiner: 'OR',
      notification_channels: channels.map((id) => `\${google_monitoring_notification_channel.${id}.name}`),
      conditions: [{ condition_threshold: conditionThreshold }],
    });
    expect(s.resource.google_monitoring_alert_policy).toMatchObject({
      // Down: the check failed from more than one checker location (over the last 20 minutes' results).
      'uptime-alert': alert({
        filter: ofThisCheck('check_passed'),
        comparison: 'COMPARISON_GT',
        threshold_value: 1,
        duration: '60s',
        aggregations: [
          {
            alignment_period: '1200s',
            per_series_aligner: 'ALIGN_NEXT_OLDER',
            cross_series_reducer: 'REDUCE_COUNT_FALSE',
            group_by_fields: ['resource.label.*'],
          },
        ],
      }),
      'certificate-expiry-alert': alert({
        filter: ofThisCheck('time_until_ssl_cert_expires'),
        comparison: 'COMPARISON_LT',
        threshold_value: observability.certificateExpiryDays,
        duration: '600s',
        aggregations: [{ per_series_aligner: 'ALIGN_NEXT_OLDER', cross_series_reducer: 'REDUCE_MEAN' }],
      }),
    });
    expect(Object.keys(s.resource.google_monitoring_alert_policy ?? {}).sort()).toEqual([
      'breaker-open-alert',
      'certificate-expiry-alert',
      'replication-failed-alert',
      'replication-stale-alert',
      'server-errors-alert',
      'slow-answers-alert',
      'throttling-alert',
      'uptime-alert',
    ]);
  });
});

describe('replication', () => {
  it.each(cases)('$name: the jobs run the replicator with the topology routes and identities', (c) => {
    const s = synth(c).replication;
    const names = gcpNames(c.topology);
    const jobs = Object.fromEntries(resourcesOf(s, 'google_cloud_run_v2_job').map((j) => [j.name, j]));
    const containerOf = (name: string) =>
      (jobs[name]!.template as { template: { containers: { image: string; args: string[]; env: never[] }[] } }).template
        .containers[0]!;

    const { canonicalRegion, artifactRegions, artifactsProject, repository } = c.topology.gcp;
    const referenceIn = (region: string) => `${region}-docker.pkg.dev/${artifactsProject}/${repository}`;
    const fanOut = containerOf(names.fanOutJob);
    expect(fanOut.image).toBe(c.topology.images.replicator);
    expect(fanOut.args).toEqual(fanOutJobArgs(c.topology));
    expect(fanOut.args.slice(0, 3)).toEqual(['registry', '--source', referenceIn(canonicalRegion)]);
    expect(fanOut.args.flatMap((arg, i) => (arg === '--dest' ? [fanOut.args[i + 1]] : []))).toEqual(
      artifactRegions.filter((region) => region !== canonicalRegion).map(referenceIn),
    );
    expect(envOf(fanOut)).toEqual({ REGISTRY_AUTH: 'gcp-metadata' });

    const s3 = containerOf(names.s3UploadJob);
    expect(s3.args).toEqual(s3UploadJobArgs(c.topology));
    expect(s3.args).toEqual(
      expect.arrayContaining(['--bucket', `${c.topology.aws.bucketPrefix}${c.topology.aws.uploadRegion}`]),
    );
    expect(envOf(s3)).toEqual({
      REGISTRY_AUTH: 'gcp-metadata',
      AWS_ROLE_ARN: writerRoleArn(c.topology),
      AWS_WEB_IDENTITY_AUDIENCE: c.topology.aws.writer.audience,
    });

    const runsAs = (name: string) =>
      (jobs[name]!.template as { template: { service_account: string } }).template.service_account;
    expect(runsAs(names.fanOutJob)).toBe(serviceAccountRef(s, SERVICE_ACCOUNT_IDS.fanOut, 'email'));
    expect(runsAs(names.s3UploadJob)).toBe(serviceAccountRef(s, SERVICE_ACCOUNT_IDS.s3Upload, 'email'));
    expect(s.output?.['replicator-unique-id']?.value).toBe(
      serviceAccountRef(s, SERVICE_ACCOUNT_IDS.s3Upload, 'unique_id'),
    );
  });

  it.each(cases)('$name: Cloud Scheduler starts each job through the Admin API on the topology schedule', (c) => {
    const s = synth(c).replication;
    const { schedule, timeZone } = c.topology.replication;
    const { servingProject, canonicalRegion } = c.topology.gcp;
    const names = gcpNames(c.topology);
    const triggers = resourcesOf(s, 'google_cloud_scheduler_job');
    expect(triggers.map((t) => t.name).sort()).toEqual([names.fanOutJob, names.s3UploadJob].sort());
    for (const trigger of triggers) {
      expect(trigger).toMatchObject({
        schedule,
        time_zone: timeZone,
        http_target: {
          http_method: 'POST',
          uri: `https://run.googleapis.com/v2/projects/${servingProject}/locations/${canonicalRegion}/jobs/${trigger.name}:run`,
          oauth_token: { service_account_email: serviceAccountRef(s, SERVICE_ACCOUNT_IDS.scheduler, 'email') },
        },
      });
    }
  });

  it.each(cases)('$name: each job runs replication.tasks tasks at once, which Cloud Run numbers', (c) => {
    const jobs = resourcesOf(synth(c).replication, 'google_cloud_run_v2_job');
    expect(jobs.length).toBeGreaterThan(0);
    for (const job of jobs) {
      expect(job.template).toMatchObject({
        task_count: c.topology.replication.tasks,
        parallelism: c.topology.replication.tasks,
      });
    }
  });

  it('a topology sets the number of tasks', () => {
    const s = synthesizeGcp(smallTopology((t) => (t.replication = { tasks: 12 }))).replication;
    for (const job of resourcesOf(s, 'google_cloud_run_v2_job'))
      expect(job.template).toMatchObject({ task_count: 12, parallelism: 12 });
  });

  it('a custom schedule and repository list reach the jobs', () => {
    const topology = smallTopology((t) => {
      t.replication = { schedule: '15 */3 * * *', timeZone: 'Europe/Berlin', repositories: ['pause', 'kube-proxy'] };
    });
    const s = synthesizeGcp(topology).replication;
    for (const trigger of resourcesOf(s, 'google_cloud_scheduler_job')) {
      expect(trigger).toMatchObject({ schedule: '15 */3 * * *', time_zone: 'Europe/Berlin' });
    }
    for (const job of resourcesOf(s, 'google_cloud_run_v2_job')) {
      const { args } = (job.template as { template: { containers: { args: string[] }[] } }).template.containers[0]!;
      expect(args.slice(-2)).toEqual(['--repos', 'pause,kube-proxy']);
    }
  });
});

/**
 * The API each resource type calls. A resource whose API is off fails the first deploy in a new project, so the test
 * reads the API from the resource type, independently of the list in apis.ts, and fails on a type it does not know.
 */
const API_OF_RESOURCE_TYPE: [RegExp, string][] = [
  [/^google_artifact_registry_/, 'artifactregistry.googleapis.com'],
  [/^google_project_iam_(audit_config|member)$/, 'cloudresourcemanager.googleapis.com'],
  [/^google_cloud_run_v2_/, 'run.googleapis.com'],
  [/^google_service_account(_iam_member)?$/, 'iam.googleapis.com'],
  [/^google_iam_workload_identity_pool/, 'iam.googleapis.com'],
  [/^google_compute_/, 'compute.googleapis.com'],
  [/^google_certificate_manager_/, 'certificatemanager.googleapis.com'],
  [/^google_bigquery_/, 'bigquery.googleapis.com'],
  [/^google_logging_/, 'logging.googleapis.com'],
  [/^google_monitoring_/, 'monitoring.googleapis.com'],
  [/^google_cloud_scheduler_/, 'cloudscheduler.googleapis.com'],
];

describe('Google APIs', () => {
  it.each(cases)('$name: each stack enables, before anything else, the API of every resource it creates', (c) => {
    const s = synth(c);
    for (const key of STACK_KEYS) {
      const stack = s[key];
      const services = stack.resource.google_project_service ?? {};
      const enabled = new Set(Object.values(services).map((api) => `${String(api.project)}/${String(api.service)}`));
      const addresses = Object.keys(services).map((id) => `google_project_service.${id}`);
      for (const api of Object.values(services)) expect(api.disable_on_destroy).toBe(false);
      for (const [type, byId] of Object.entries(stack.resource)) {
        if (type === 'google_project_service') continue;
        const api = API_OF_RESOURCE_TYPE.find(([pattern]) => pattern.test(type))?.[1];
        expect([type, api]).toEqual([type, expect.any(String)]);
        for (const [id, config] of Object.entries(byId)) {
          const project = String(config.project ?? stack.provider.google![0]!.project);
          expect([key, id, enabled.has(`${project}/${api}`)]).toEqual([key, id, true]);
          expect([key, id, config.depends_on]).toEqual([key, id, expect.arrayContaining(addresses)]);
        }
      }
    }
  });

  it('the default topology enables every API its stacks call, and the IAM credentials API for the scheduler', () => {
    const s = synth(cases[0]!);
    const apis = new Set(
      STACK_KEYS.flatMap((key) => resourcesOf(s[key], 'google_project_service')).map((a) => a.service),
    );
    expect([...apis].sort()).toEqual(
      [
        'artifactregistry',
        'bigquery',
        'certificatemanager',
        'cloudresourcemanager',
        'cloudscheduler',
        'compute',
        'iam',
        'iamcredentials',
        'logging',
        'monitoring',
        'run',
        'sts',
      ].map((name) => `${name}.googleapis.com`),
    );
  });
});

describe('the default topology carries nothing another deploy produced', () => {
  it('names no service account ID and no CloudFront distribution', () => {
    const text = STACK_KEYS.map((key) => synth(cases[0]!).json[key]).join('\n');
    expect(text).not.toMatch(/cloudfront\.net/);
    expect(text).not.toMatch(/\b\d{21}\b/);
  });
});

describe('providers and state', () => {
  it.each(cases)('$name: each stack has a Google provider for its project and its state in the bucket', (c) => {
    const s = synth(c);
    const projects: Record<(typeof STACK_KEYS)[number], string> = {
      delivery: c.topology.gcp.servingProject,
      artifacts: c.topology.gcp.artifactsProject,
      redirector: c.topology.gcp.servingProject,
      frontend: c.topology.gcp.servingProject,
      observability: c.topology.gcp.servingProject,
      replication: c.topology.gcp.servingProject,
    };
    for (const key of STACK_KEYS) {
      expect(s[key].provider.google).toMatchObject([{ project: projects[key] }]);
      expect(s[key].terraform.backend).toEqual({
        gcs: { bucket: `${c.topology.gcp.servingProject}-terraform-state`, prefix: `terraform/state/gcp-${key}` },
      });
    }
  });

  it('local state files only when the topology asks for them', () => {
    const s = synthesizeGcp(smallTopology((t) => void (t.gcp.stateBackend = { type: 'local' })));
    expect(s.frontend.terraform.backend).toEqual({ local: { path: '../../../terraform.gcp-frontend.tfstate' } });
  });

  it('a GCS backend with one prefix per stack when the topology configures one', () => {
    const topology = smallTopology((t) => {
      t.gcp.stateBackend = { type: 'gcs', bucket: 'small-tf-state', prefix: 'registry/state' };
    });
    const s = synthesizeGcp(topology);
    expect(s.artifacts.terraform.backend).toEqual({
      gcs: { bucket: 'small-tf-state', prefix: 'registry/state/gcp-artifacts' },
    });
    expect(s.replication.terraform.backend).toEqual({
      gcs: { bucket: 'small-tf-state', prefix: 'registry/state/gcp-replication' },
    });
  });

  it('synthesizing twice gives identical output', () => {
    const again = synthesizeGcp(cases[1]!.topology);
    expect(again.json).toEqual(synth(cases[1]!).json);
  });
});
