/**
 * The alerts beyond the uptime check, as pure data: what each watches (a metric filter), when it fires (threshold,
 * window) and the runbook section it links to. The stack turns each into a google_monitoring_alert_policy.
 */
import type {
  MonitoringAlertPolicyConditions,
  MonitoringAlertPolicyConditionsConditionThresholdAggregations as Aggregation,
} from '@cdktf/provider-google/lib/monitoring-alert-policy';
import type { Topology } from '../../../../topology';
import { logMetricType, type LogMetric } from './log-metrics';
import type { RunbookSection } from './runbook';

/** One alert policy, before it knows its project and notification channels. */
export interface AlertDefinition {
  /** The construct ID (and Terraform logical ID). */
  readonly id: string;
  readonly displayName: string;
  /** What it means, in a sentence: the first line of the notification. */
  readonly summary: string;
  readonly runbook: RunbookSection;
  readonly conditions: MonitoringAlertPolicyConditions[];
}

/** What the alerts watch: names from the topology. */
export interface AlertSubjects {
  readonly registry: string;
  readonly urlMap: string;
  readonly replicationJobs: readonly string[];
  readonly thresholds: Topology['gcp']['observability']['alerts'];
  /** The absence window of the staleness alert (stalenessWindowSeconds). */
  readonly stalenessWindowSeconds: number;
}

const FIVE_MINUTES = '300s';
const quote = (value: string): string => JSON.stringify(value);

/** The load balancer's own metrics, for this registry's HTTPS URL map. */
export function loadBalancerFilter(metric: string, urlMap: string): string {
  return `metric.type="loadbalancing.googleapis.com/https/${metric}" AND resource.type="https_lb_rule" AND resource.label.url_map_name=${quote(urlMap)}`;
}

/** A log-based metric of this registry. */
export function logMetricFilter(registry: string, id: LogMetric['id']): string {
  return `metric.type=${quote(logMetricType(registry, { id }))}`;
}

/** Cloud Run's own count of finished executions of the replication jobs that failed. */
export function failedExecutionsFilter(jobs: readonly string[]): string {
  return (
    'metric.type="run.googleapis.com/job/completed_execution_count" AND resource.type="cloud_run_job" AND ' +
    `resource.label.job_name=one_of(${jobs.map(quote).join(', ')}) AND metric.label.result="failed"`
  );
}

/** Requests per second over five minutes, summed over every series (or per group). */
function ratePerSecond(groupByFields: string[] = []): Aggregation {
  return {
    alignmentPeriod: FIVE_MINUTES,
    perSeriesAligner: 'ALIGN_RATE',
    crossSeriesReducer: 'REDUCE_SUM',
    groupByFields,
  };
}

/** Entries counted over five minutes, per group. */
function countOver5Minutes(groupByFields: string[]): Aggregation {
  return {
    alignmentPeriod: FIVE_MINUTES,
    perSeriesAligner: 'ALIGN_SUM',
    crossSeriesReducer: 'REDUCE_SUM',
    groupByFields,
  };
}

export function alertDefinitions(subjects: AlertSubjects): AlertDefinition[] {
  const { registry, urlMap, thresholds } = subjects;
  const requests = loadBalancerFilter('request_count', urlMap);
  const anyOccurrence = (displayName: string, filter: string, groupByFields: string[]) => ({
    displayName,
    conditionThreshold: {
      filter,
      comparison: 'COMPARISON_GT',
      thresholdValue: 0,
      duration: '0s',
      aggregations: [countOver5Minutes(groupByFields)],
    },
  });
  return [
    {
      id: 'server-errors-alert',
      displayName: `${registry}: more than ${thresholds.serverErrorPercent}% of requests answered 5xx`,
      summary: 'The load balancer answered 5xx to more requests than usual: clients are failing their pulls.',
      runbook: 'serverErrors',
      conditions: [
        {
          displayName: `5xx above ${thresholds.serverErrorPercent}% of requests for 5 minutes`,
          conditionThreshold: {
            filter: `${requests} AND metric.label.response_code_class=500`,
            denominatorFilter: requests,
            comparison: 'COMPARISON_GT',
            thresholdValue: thresholds.serverErrorPercent / 100,
            duration: FIVE_MINUTES,
            aggregations: [ratePerSecond()],
            denominatorAggregations: [ratePerSecond()],
          },
        },
      ],
    },
    {
      id: 'slow-answers-alert',
      displayName: `${registry}: p99 of the redirectors' answers above ${thresholds.p99LatencyMs} ms`,
      summary: 'The redirectors answer slowly (p99 of the load balancer backend latency): pulls start late.',
      runbook: 'slowAnswers',
      conditions: [
        {
          displayName: `p99 backend latency above ${thresholds.p99LatencyMs} ms for 10 minutes`,
          conditionThreshold: {
            filter: loadBalancerFilter('backend_latencies', urlMap),
            comparison: 'COMPARISON_GT',
            thresholdValue: thresholds.p99LatencyMs,
            duration: '600s',
            // One distribution of every backend's latencies per window, and its 99th percentile.
            aggregations: [
              {
                alignmentPeriod: FIVE_MINUTES,
                perSeriesAligner: 'ALIGN_DELTA',
                crossSeriesReducer: 'REDUCE_PERCENTILE_99',
                groupByFields: [],
              },
            ],
          },
        },
      ],
    },
    {
      id: 'throttling-alert',
      displayName: `${registry}: Cloud Armor throttles more than ${thresholds.throttledPerSecond} requests/s`,
      summary: 'Many requests hit the per-client throttle (429): an abusive client, or a legitimate one too busy.',
      runbook: 'throttling',
      conditions: [
        {
          displayName: `429 from the throttle above ${thresholds.throttledPerSecond}/s over 5 minutes`,
          conditionThreshold: {
            filter: logMetricFilter(registry, 'armor-throttled'),
            comparison: 'COMPARISON_GT',
            thresholdValue: thresholds.throttledPerSecond,
            duration: '60s',
            aggregations: [ratePerSecond()],
          },
        },
      ],
    },
    {
      id: 'breaker-open-alert',
      displayName: `${registry}: a backend's breaker opened`,
      summary: 'A redirector stopped sending clients to a backend that failed; they go to the upstream meanwhile.',
      runbook: 'breakerOpen',
      conditions: [
        anyOccurrence('A breaker opened (per backend origin)', logMetricFilter(registry, 'breaker-opened'), [
          'metric.label.origin',
        ]),
      ],
    },
    {
      id: 'replication-failed-alert',
      displayName: `${registry}: a replication run failed`,
      summary: 'A replication job reported a failure, or its execution failed: some images are not mirrored.',
      runbook: 'replicationFailed',
      conditions: [
        anyOccurrence('A summary line says ok: false', logMetricFilter(registry, 'replication-failed'), [
          'resource.label.job_name',
        ]),
        anyOccurrence('A job execution failed (Cloud Run)', failedExecutionsFilter(subjects.replicationJobs), [
          'resource.label.job_name',
        ]),
      ],
    },
    {
      id: 'replication-stale-alert',
      displayName: `${registry}: no successful replication for two schedule periods`,
      summary: 'No replication task has succeeded for two schedule periods: new images are not reaching mirrors.',
      runbook: 'replicationStale',
      conditions: [
        {
          displayName: `No successful run for ${subjects.stalenessWindowSeconds / 3600} h (per job)`,
          conditionAbsent: {
            filter: logMetricFilter(registry, 'replication-succeeded'),
            duration: `${subjects.stalenessWindowSeconds}s`,
            aggregations: [countOver5Minutes(['resource.label.job_name'])],
          },
        },
      ],
    },
  ];
}
