/**
 * The services' metrics in Cloud Monitoring, as log-based metrics: Cloud Run does not scrape a port, and every
 * signal an operator needs is already a log line (the redirector's pull line and breaker transitions, the
 * replicator's summary, the load balancer's request log with Cloud Armor's verdict). Cloud Logging counts them;
 * no collector container runs beside the services (docs/gcp.md, "Metrics: log-based, not a sidecar").
 *
 * Each definition below names the log line it counts and the fields it reads: those fields are a contract with
 * the services' logs (lib/redirector/log.ts, lib/replicator/report.ts), held by test/clouds/gcp/observability.test.ts.
 */
import { BREAKER_LINE } from '../../../../redirector/log-lines';
import { THROTTLE_PRIORITY } from '../security-policy';

/** A label of a log-based metric, read from the entry by a Cloud Logging extractor. */
export interface MetricLabel {
  readonly key: string;
  readonly extractor: string;
  readonly description: string;
}

/** A log-based metric: a count of matching entries (DELTA INT64), or a distribution of one numeric field. */
export interface LogMetric {
  /** Short ID, part of the metric's name (`<registry>/<id>`). */
  readonly id: string;
  readonly displayName: string;
  readonly description: string;
  readonly filter: string;
  readonly labels: readonly MetricLabel[];
  /** For a distribution: the field whose value is recorded, its unit and buckets. */
  readonly distribution?: {
    readonly extractor: string;
    readonly unit: string;
    readonly buckets: { readonly numFiniteBuckets: number; readonly growthFactor: number; readonly scale: number };
  };
}

/** What the metrics are about: names from the topology (gcpNames). */
export interface MetricSubjects {
  /** The Cloud Run service of the redirector (the same name in every region). */
  readonly redirectorService: string;
  /** The replication jobs. */
  readonly replicationJobs: readonly string[];
  /** The load balancer's HTTPS URL map (its request logs carry the name). */
  readonly urlMap: string;
}

/** The redirector's info line for each image pull (a manifest GET): `message`, `backend`, `clientCloud`. */
export const PULL_LINE = { message: 'image pull' } as const;

/**
 * The redirector's line for each change of a backend's circuit breaker: `message` "breaker", `origin` (the backend's
 * origin, e.g. a mirror bucket's URL) and `state` ("open", "half-open", "closed"): the redirector's own vocabulary.
 */
export { BREAKER_LINE };

/** The replicator's last line of a run: `event` "summary" and `ok` (false for a run that failed, at start-up too). */
export const SUMMARY_LINE = { event: 'summary' } as const;

const quote = (value: string): string => JSON.stringify(value);

function redirectorLines(subjects: MetricSubjects): string {
  return `resource.type="cloud_run_revision" AND resource.labels.service_name=${quote(subjects.redirectorService)}`;
}

/** The summary lines of the replication jobs. */
function summaryLines(subjects: MetricSubjects): string {
  const jobs = subjects.replicationJobs.map((job) => `resource.labels.job_name=${quote(job)}`).join(' OR ');
  return `resource.type="cloud_run_job" AND (${jobs}) AND jsonPayload.event=${quote(SUMMARY_LINE.event)}`;
}

/** Every log-based metric, in a stable order. */
export function logMetrics(subjects: MetricSubjects): LogMetric[] {
  return [
    {
      id: 'image-pulls',
      displayName: 'Image pulls',
      description: "Manifest GETs the redirector answered (its pull line), by the client's cloud and the backend.",
      filter: `${redirectorLines(subjects)} AND jsonPayload.message=${quote(PULL_LINE.message)}`,
      labels: [
        {
          key: 'client_cloud',
          extractor: 'EXTRACT(jsonPayload.clientCloud)',
          description: "The client's cloud (aws, gcp, azure; empty outside every donor's ranges)",
        },
        { key: 'backend', extractor: 'EXTRACT(jsonPayload.backend)', description: 'Where the manifest was sent' },
      ],
    },
    {
      id: 'breaker-opened',
      displayName: 'Backend breaker opened',
      description: 'A redirector instance stopped sending clients to a backend that failed (its breaker opened).',
      filter:
        `${redirectorLines(subjects)} AND jsonPayload.message=${quote(BREAKER_LINE.message)} AND ` +
        `jsonPayload.state=${quote(BREAKER_LINE.openState)}`,
      labels: [{ key: 'origin', extractor: 'EXTRACT(jsonPayload.origin)', description: 'The failing backend' }],
    },
    {
      id: 'replication-succeeded',
      displayName: 'Replication runs that succeeded',
      description: 'Summary lines of replication tasks that copied everything they had to.',
      filter: `${summaryLines(subjects)} AND jsonPayload.ok=true`,
      labels: [],
    },
    {
      id: 'replication-failed',
      displayName: 'Replication runs that failed',
      description: 'Summary lines of replication tasks that failed (an image, a blob, or at start-up).',
      filter: `${summaryLines(subjects)} AND jsonPayload.ok=false`,
      labels: [],
    },
    {
      id: 'replication-seconds',
      displayName: 'Replication run duration',
      description: 'How long each replication task ran: with the schedule, how stale a mirror can be.',
      filter: summaryLines(subjects),
      labels: [],
      distribution: {
        extractor: 'EXTRACT(jsonPayload.seconds)',
        unit: 's',
        // 1 s to about 9 hours.
        buckets: { numFiniteBuckets: 16, growthFactor: 2, scale: 1 },
      },
    },
    {
      id: 'armor-throttled',
      displayName: 'Requests throttled by Cloud Armor',
      description: "Requests the per-client throttle answered 429 (the load balancer's log, Cloud Armor's verdict).",
      filter:
        `resource.type="http_load_balancer" AND resource.labels.url_map_name=${quote(subjects.urlMap)} AND ` +
        `jsonPayload.enforcedSecurityPolicy.priority=${THROTTLE_PRIORITY} AND httpRequest.status=429`,
      labels: [],
    },
  ];
}

/** The metric name Cloud Logging creates: `<registry>/<id>`. */
export function logMetricName(registry: string, metric: Pick<LogMetric, 'id'>): string {
  return `${registry}/${metric.id}`;
}

/** The metric type Cloud Monitoring knows it by. */
export function logMetricType(registry: string, metric: Pick<LogMetric, 'id'>): string {
  return `logging.googleapis.com/user/${logMetricName(registry, metric)}`;
}
