/**
 * Watching the registry: every load balancer request in BigQuery (kept `requestLogRetentionDays`), an uptime check
 * of `/`, the services' signals as log-based metrics, alerts by e-mail (each linking its runbook section), and one
 * dashboard.
 */
import { BigqueryDataset } from '@cdktf/provider-google/lib/bigquery-dataset';
import { BigqueryDatasetIamMember } from '@cdktf/provider-google/lib/bigquery-dataset-iam-member';
import { LoggingMetric } from '@cdktf/provider-google/lib/logging-metric';
import { LoggingProjectSink } from '@cdktf/provider-google/lib/logging-project-sink';
import { MonitoringAlertPolicy } from '@cdktf/provider-google/lib/monitoring-alert-policy';
import { MonitoringDashboard } from '@cdktf/provider-google/lib/monitoring-dashboard';
import { MonitoringNotificationChannel } from '@cdktf/provider-google/lib/monitoring-notification-channel';
import { MonitoringUptimeCheckConfig } from '@cdktf/provider-google/lib/monitoring-uptime-check-config';
import type { Construct } from 'constructs';
import { replicationJobs, type Topology } from '../../../../topology';
import { apisOf } from '../apis';
import { ROLES } from '../iam';
import { gcpNames } from '../names';
import { alertDefinitions, type AlertDefinition } from '../observability/alerts';
import { registryDashboard } from '../observability/dashboard';
import { logMetricName, logMetrics, type LogMetric } from '../observability/log-metrics';
import { runbookUrl, type RunbookSection } from '../observability/runbook';
import { stalenessWindowSeconds } from '../observability/schedule';
import { GcpStack } from '../stack';

const DAY_MS = 86_400_000;

/** Terraform reads `${...}` in any string as its own interpolation; the dashboard's legends mean Monitoring's. */
export function terraformLiteral(text: string): string {
  // A function, not a replacement string: in one, `$$` stands for a single `$`.
  return text.replace(/\$\{/g, () => '$${');
}

/** What `/` answers: a 307 to the project's info page (the uptime check must count it as up). */
export const ROOT_STATUS = 307;
export const UPTIME_PERIOD = '60s';

/** The request logs of this registry's load balancer, and nothing else. */
export function requestLogFilter(urlMapName: string): string {
  return `resource.type="http_load_balancer" AND resource.labels.url_map_name="${urlMapName}"`;
}

function uptimeMetricFilter(metric: string, checkId: string): string {
  return `metric.type="monitoring.googleapis.com/uptime_check/${metric}" AND resource.type="uptime_url" AND metric.label.check_id="${checkId}"`;
}

export class ObservabilityStack extends GcpStack {
  constructor(scope: Construct, id: string, topology: Topology) {
    super(scope, id, { topology, project: topology.gcp.servingProject, apis: apisOf(topology, 'observability') });
    const project = topology.gcp.servingProject;
    const { observability, domain } = topology.gcp;
    const names = gcpNames(topology);

    const dataset = new BigqueryDataset(this, 'request-logs', {
      project,
      datasetId: observability.logDataset,
      // Logs stay in the registry's home region.
      location: topology.gcp.canonicalRegion,
      description: `${topology.name}: load balancer request logs (client IP addresses: kept ${observability.requestLogRetentionDays} days)`,
      // The sink writes one day-partitioned table per log: each day's partition is deleted after the retention.
      // (A table expiration would delete a whole table, every day of it at once, counted from its creation.)
      defaultPartitionExpirationMs: observability.requestLogRetentionDays * DAY_MS,
    });
    const sink = new LoggingProjectSink(this, 'request-log-sink', {
      project,
      name: names.requestLogSink,
      destination: `bigquery.googleapis.com/projects/${project}/datasets/${observability.logDataset}`,
      filter: requestLogFilter(names.urlMap),
      uniqueWriterIdentity: true,
      bigqueryOptions: { usePartitionedTables: true },
    });
    // The sink's own identity may write to this dataset only.
    new BigqueryDatasetIamMember(this, 'request-log-sink-writer', {
      project,
      datasetId: dataset.datasetId,
      role: ROLES.bigQueryDataEditor,
      member: sink.writerIdentity,
    });

    const email = new MonitoringNotificationChannel(this, 'email', {
      project,
      displayName: `${topology.name} alerts`,
      type: 'email',
      labels: { email_address: observability.notificationEmail },
    });
    const uptime = new MonitoringUptimeCheckConfig(this, 'uptime', {
      project,
      displayName: `${topology.name}: https://${domain}/`,
      period: UPTIME_PERIOD,
      timeout: '10s',
      monitoredResource: { type: 'uptime_url', labels: { project_id: project, host: domain } },
      httpCheck: {
        path: '/',
        port: 443,
        useSsl: true,
        validateSsl: true,
        acceptedResponseStatusCodes: [{ statusValue: ROOT_STATUS }],
      },
    });

    const notificationChannels = [email.name];
    const alert = (definition: AlertDefinition, dependsOn: LoggingMetric[] = []) =>
      new MonitoringAlertPolicy(this, definition.id, {
        project,
        displayName: definition.displayName,
        combiner: 'OR',
        notificationChannels,
        conditions: definition.conditions,
        documentation: alertDocumentation(topology, definition.summary, definition.runbook),
        // An alert on a log-based metric can be created only once the metric exists.
        dependsOn,
      });
    alert({
      id: 'uptime-alert',
      displayName: `${topology.name}: https://${domain}/ is down`,
      summary: `The uptime check of https://${domain}/ fails from more than one place: clients cannot pull.`,
      runbook: 'siteDown',
      conditions: [
        {
          displayName: 'Uptime check failing from more than one location',
          conditionThreshold: {
            filter: uptimeMetricFilter('check_passed', uptime.uptimeCheckId),
            comparison: 'COMPARISON_GT',
            thresholdValue: 1,
            duration: '60s',
            aggregations: [
              {
                alignmentPeriod: '1200s',
                perSeriesAligner: 'ALIGN_NEXT_OLDER',
                crossSeriesReducer: 'REDUCE_COUNT_FALSE',
                groupByFields: ['resource.label.*'],
              },
            ],
          },
        },
      ],
    });
    alert({
      id: 'certificate-expiry-alert',
      displayName: `${topology.name}: TLS certificate of ${domain} expires in < ${observability.certificateExpiryDays} days`,
      summary: `The certificate of ${domain} has not been renewed and expires soon.`,
      runbook: 'certificateExpiry',
      conditions: [
        {
          displayName: `Certificate expires in fewer than ${observability.certificateExpiryDays} days`,
          conditionThreshold: {
            filter: uptimeMetricFilter('time_until_ssl_cert_expires', uptime.uptimeCheckId),
            comparison: 'COMPARISON_LT',
            thresholdValue: observability.certificateExpiryDays,
            duration: '600s',
            aggregations: [
              {
                alignmentPeriod: '1200s',
                perSeriesAligner: 'ALIGN_NEXT_OLDER',
                crossSeriesReducer: 'REDUCE_MEAN',
                groupByFields: ['resource.label.host'],
              },
            ],
          },
        },
      ],
    });

    // Every replication job of the enabled donors, by name (the replication stack's jobs).
    const jobs = replicationJobs(topology)
      .map((job) => names.replicationJob(job.job))
      .sort();
    const metrics = logMetrics({
      redirectorService: names.redirectorService,
      replicationJobs: jobs,
      urlMap: names.urlMap,
    });
    const created = metrics.map(
      (metric) => new LoggingMetric(this, `metric-${metric.id}`, logMetricConfig(project, topology.name, metric)),
    );
    const { replication } = topology;
    for (const definition of alertDefinitions({
      registry: topology.name,
      urlMap: names.urlMap,
      replicationJobs: jobs,
      thresholds: observability.alerts,
      stalenessWindowSeconds: stalenessWindowSeconds(replication.schedule, replication.timeZone),
    })) {
      alert(definition, created);
    }

    const dashboard = registryDashboard({
      registry: topology.name,
      redirectorService: names.redirectorService,
      urlMap: names.urlMap,
    });
    new MonitoringDashboard(this, 'dashboard', {
      project,
      dashboardJson: terraformLiteral(JSON.stringify(dashboard)),
      dependsOn: created,
    });
  }
}

/** The notification's text: what the alert means, and the link to what to check and do. */
function alertDocumentation(topology: Topology, summary: string, section: RunbookSection) {
  return {
    mimeType: 'text/markdown',
    content: `${summary}\n\nWhat it means, what to check and how to mitigate: ${runbookUrl(topology.github, section)}`,
  };
}

/** A log-based metric as google_logging_metric takes it. */
function logMetricConfig(project: string, registry: string, metric: LogMetric) {
  const { distribution } = metric;
  return {
    project,
    name: logMetricName(registry, metric),
    description: metric.description,
    filter: metric.filter,
    metricDescriptor: {
      metricKind: 'DELTA',
      valueType: distribution ? 'DISTRIBUTION' : 'INT64',
      unit: distribution?.unit ?? '1',
      displayName: metric.displayName,
      labels: metric.labels.map(({ key, description }) => ({ key, valueType: 'STRING', description })),
    },
    labelExtractors: Object.fromEntries(metric.labels.map(({ key, extractor }) => [key, extractor])),
    ...(distribution
      ? { valueExtractor: distribution.extractor, bucketOptions: { exponentialBuckets: distribution.buckets } }
      : {}),
  };
}
