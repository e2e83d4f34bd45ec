/**
 * Watching the front door: every load balancer request in BigQuery, an uptime check of `/`, and alerts by e-mail when
 * the registry is down or its certificate is about to expire.
 */
import { BigqueryDataset } from '@cdktf/provider-google/lib/bigquery-dataset';
import { BigqueryDatasetIamMember } from '@cdktf/provider-google/lib/bigquery-dataset-iam-member';
import { LoggingProjectSink } from '@cdktf/provider-google/lib/logging-project-sink';
import { MonitoringAlertPolicy } from '@cdktf/provider-google/lib/monitoring-alert-policy';
import { MonitoringNotificationChannel } from '@cdktf/provider-google/lib/monitoring-notification-channel';
import { MonitoringUptimeCheckConfig } from '@cdktf/provider-google/lib/monitoring-uptime-check-config';
import type { Construct } from 'constructs';
import type { Topology } from '../../../../topology';
import { apisOf } from '../apis';
import { ROLES } from '../iam';
import { gcpNames } from '../names';
import { GcpStack } from '../stack';

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
      description: `${topology.name}: load balancer request logs`,
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
    new MonitoringAlertPolicy(this, 'uptime-alert', {
      project,
      displayName: `${topology.name}: https://${domain}/ is down`,
      combiner: 'OR',
      notificationChannels,
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
    new MonitoringAlertPolicy(this, 'certificate-expiry-alert', {
      project,
      displayName: `${topology.name}: TLS certificate of ${domain} expires in < ${observability.certificateExpiryDays} days`,
      combiner: 'OR',
      notificationChannels,
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
  }
}
