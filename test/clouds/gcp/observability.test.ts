/**
 * gcp-observability beyond the uptime check: the log-based metrics count the lines the services really write, the
 * alerts fire on the topology's thresholds and link a runbook section that exists, the dashboard charts the four
 * things operators look at, and the request logs expire.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { gcpNames } from '../../../lib/clouds/gcp/infra/names';
import { headingAnchor, RUNBOOK_SECTIONS } from '../../../lib/clouds/gcp/infra/observability/runbook';
import { schedulePeriodSeconds, stalenessWindowSeconds } from '../../../lib/clouds/gcp/infra/observability/schedule';
import { THROTTLE_PRIORITY } from '../../../lib/clouds/gcp/infra/security-policy';
import { RedirectorLog } from '../../../lib/redirector/log';
import { Report } from '../../../lib/replicator/report';
import { TopologyError } from '../../../lib/topology';
import { defaultTopology, resourcesOf, smallTopology, synthesizeGcp } from './support';

const RUNBOOK = readFileSync(join(__dirname, '../../../docs/runbook.md'), 'utf8');
const topology = smallTopology();
const stack = synthesizeGcp(topology).observability;
const names = gcpNames(topology);
const userMetric = (id: string) => `metric.type="logging.googleapis.com/user/small-registry/${id}"`;

interface AlertPolicy {
  display_name: string;
  conditions: Record<string, Record<string, unknown>>[];
  documentation: { content: string; mime_type: string };
  depends_on: string[];
}
const alerts = stack.resource.google_monitoring_alert_policy as unknown as Record<string, AlertPolicy>;
const metrics = Object.fromEntries(
  resourcesOf(stack, 'google_logging_metric').map((m) => [String(m.name).split('/')[1], m]),
);

describe('log-based metrics', () => {
  const redirector = `resource.type="cloud_run_revision" AND resource.labels.service_name="${names.redirectorService}"`;
  const summaries =
    `resource.type="cloud_run_job" AND (resource.labels.job_name="${names.fanOutJob}" OR ` +
    `resource.labels.job_name="${names.s3UploadJob}") AND jsonPayload.event="summary"`;

  it.each([
    ['image-pulls', `${redirector} AND jsonPayload.message="image pull"`, 'INT64'],
    ['breaker-opened', `${redirector} AND jsonPayload.message="breaker" AND jsonPayload.state="open"`, 'INT64'],
    ['replication-succeeded', `${summaries} AND jsonPayload.ok=true`, 'INT64'],
    ['replication-failed', `${summaries} AND jsonPayload.ok=false`, 'INT64'],
    ['replication-seconds', summaries, 'DISTRIBUTION'],
    [
      'armor-throttled',
      `resource.type="http_load_balancer" AND resource.labels.url_map_name="${names.urlMap}" AND ` +
        `jsonPayload.enforcedSecurityPolicy.priority=${THROTTLE_PRIORITY} AND httpRequest.status=429`,
      'INT64',
    ],
  ])('%s counts %s', (id, filter, valueType) => {
    expect(metrics[id]).toMatchObject({ filter, metric_descriptor: { metric_kind: 'DELTA', value_type: valueType } });
  });

  it('label pulls by client cloud and backend, openings by origin; the duration reads the summary seconds', () => {
    expect(metrics['image-pulls']!.label_extractors).toEqual({
      client_cloud: 'EXTRACT(jsonPayload.clientCloud)',
      backend: 'EXTRACT(jsonPayload.backend)',
    });
    expect(metrics['breaker-opened']!.label_extractors).toEqual({ origin: 'EXTRACT(jsonPayload.origin)' });
    expect(metrics['replication-seconds']).toMatchObject({
      value_extractor: 'EXTRACT(jsonPayload.seconds)',
      bucket_options: { exponential_buckets: { num_finite_buckets: 16, growth_factor: 2, scale: 1 } },
    });
  });

  it("match the redirector's real pull line", () => {
    const lines: string[] = [];
    const log = new RedirectorLog({ level: 'info', region: 'us-central1', sink: { write: (l) => lines.push(l) } });
    log.pull(
      {
        repository: 'pause',
        reference: '3.10',
        location: { cloud: 'aws', region: 'us-east-1' },
        backend: 'upstream',
        status: 307,
      },
      [],
    );
    expect(JSON.parse(lines[0]!)).toMatchObject({ message: 'image pull', clientCloud: 'aws', backend: 'upstream' });
  });

  it("match the redirector's real breaker line (message, state and origin)", () => {
    const lines: string[] = [];
    const log = new RedirectorLog({ level: 'info', region: 'us-central1', sink: { write: (l) => lines.push(l) } });
    log.breaker('https://mirror.example.com', 'open');
    const filter = metrics['breaker-opened']!.filter;
    const line = JSON.parse(lines[0]!) as Record<string, string>;
    expect(filter).toContain(`jsonPayload.message="${line.message}"`);
    expect(filter).toContain(`jsonPayload.state="${line.state}"`);
    expect(line).toMatchObject({ severity: 'WARNING', origin: 'https://mirror.example.com' });
  });

  it("match the replicator's real summary line (ok and seconds)", () => {
    const lines: string[] = [];
    const output = new Writable({ write: (chunk: Buffer, _e, done) => void (lines.push(String(chunk)), done()) });
    new Report({ output }).finish();
    const summary = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.event === 'summary');
    expect(summary).toMatchObject({ event: 'summary', ok: true, seconds: expect.any(Number) });
  });
});

describe('alerts', () => {
  const { alerts: thresholds } = topology.gcp.observability;
  const lb = (metric: string) =>
    `metric.type="loadbalancing.googleapis.com/https/${metric}" AND resource.type="https_lb_rule" AND ` +
    `resource.label.url_map_name="${names.urlMap}"`;
  const rate = { alignment_period: '300s', per_series_aligner: 'ALIGN_RATE', cross_series_reducer: 'REDUCE_SUM' };

  it('5xx: the share of 5xx answers above the threshold for five minutes', () => {
    expect(alerts['server-errors-alert']!.conditions).toMatchObject([
      {
        condition_threshold: {
          filter: `${lb('request_count')} AND metric.label.response_code_class=500`,
          denominator_filter: lb('request_count'),
          comparison: 'COMPARISON_GT',
          threshold_value: thresholds.serverErrorPercent / 100,
          duration: '300s',
          aggregations: [rate],
          denominator_aggregations: [rate],
        },
      },
    ]);
  });

  it("p99: the 99th percentile of every backend's latency above the threshold for ten minutes", () => {
    expect(alerts['slow-answers-alert']!.conditions).toMatchObject([
      {
        condition_threshold: {
          filter: lb('backend_latencies'),
          comparison: 'COMPARISON_GT',
          threshold_value: thresholds.p99LatencyMs,
          duration: '600s',
          aggregations: [{ per_series_aligner: 'ALIGN_DELTA', cross_series_reducer: 'REDUCE_PERCENTILE_99' }],
        },
      },
    ]);
  });

  it('throttling: 429s of the throttle per second above the threshold', () => {
    expect(alerts['throttling-alert']!.conditions).toMatchObject([
      {
        condition_threshold: {
          filter: userMetric('armor-throttled'),
          comparison: 'COMPARISON_GT',
          threshold_value: thresholds.throttledPerSecond,
          aggregations: [rate],
        },
      },
    ]);
  });

  it('breaker: any opening, per backend origin', () => {
    expect(alerts['breaker-open-alert']!.conditions).toMatchObject([
      {
        condition_threshold: {
          filter: userMetric('breaker-opened'),
          comparison: 'COMPARISON_GT',
          threshold_value: 0,
          aggregations: [{ per_series_aligner: 'ALIGN_SUM', group_by_fields: ['metric.label.origin'] }],
        },
      },
    ]);
  });

  it("replication failed: a summary with ok false, or Cloud Run's failed execution of either job", () => {
    const [summary, execution] = alerts['replication-failed-alert']!.conditions;
    expect(summary).toMatchObject({
      condition_threshold: {
        filter: userMetric('replication-failed'),
        comparison: 'COMPARISON_GT',
        threshold_value: 0,
      },
    });
    expect(execution).toMatchObject({
      condition_threshold: {
        filter:
          'metric.type="run.googleapis.com/job/completed_execution_count" AND resource.type="cloud_run_job" AND ' +
          `resource.label.job_name=one_of("${names.fanOutJob}", "${names.s3UploadJob}") AND metric.label.result="failed"`,
        comparison: 'COMPARISON_GT',
        threshold_value: 0,
      },
    });
  });

  it('replication stale: no successful summary for two periods of the schedule (every 2 h: 4 h), per job', () => {
    expect(alerts['replication-stale-alert']!.conditions).toMatchObject([
      {
        condition_absent: {
          filter: userMetric('replication-succeeded'),
          duration: '14400s',
          aggregations: [{ group_by_fields: ['resource.label.job_name'] }],
        },
      },
    ]);
  });

  it.each(Object.keys(alerts))('%s links its docs/runbook.md section, which exists', (id) => {
    const { content, mime_type } = alerts[id]!.documentation;
    expect(mime_type).toBe('text/markdown');
    const link = /https:\/\/github\.com\/example-org\/small-registry\/blob\/main\/docs\/runbook\.md#([\w-]+)/.exec(
      content,
    );
    expect(link).not.toBeNull();
    const headings = [...RUNBOOK.matchAll(/^## (.+)$/gm)].map((m) => headingAnchor(m[1]!));
    expect(headings).toContain(link![1]);
  });

  it('every runbook section the code names is a heading of docs/runbook.md', () => {
    for (const heading of Object.values(RUNBOOK_SECTIONS)) expect(RUNBOOK).toContain(`\n## ${heading}\n`);
  });

  it('alerts on log-based metrics are created after the metrics', () => {
    expect(alerts['breaker-open-alert']!.depends_on).toEqual(
      expect.arrayContaining(
        Object.keys(stack.resource.google_logging_metric!).map((id) => `google_logging_metric.${id}`),
      ),
    );
  });
});

describe('the staleness window', () => {
  it.each([
    ['0 */2 * * *', 'Etc/UTC', 7200],
    ['*/15 * * * *', 'Etc/UTC', 900],
    ['0 9 * * 1-5', 'Europe/Berlin', 3 * 86400], // the weekend
  ])('%s (%s) has a period of %i s', (schedule, zone, period) => {
    expect(schedulePeriodSeconds(schedule, zone)).toBe(period);
  });

  it('a schedule Cloud Monitoring cannot watch two periods of (23.5 h at most) is a topology problem', () => {
    expect(stalenessWindowSeconds('0 */6 * * *', 'Etc/UTC')).toBe(12 * 3600);
    expect(() => stalenessWindowSeconds('0 3 * * *', 'Etc/UTC')).toThrow(TopologyError);
    expect(() => stalenessWindowSeconds('0 3 * * *', 'Etc/UTC')).toThrow(/replication\.schedule: "0 3 \* \* \*"/);
  });
});

describe('the dashboard', () => {
  const [dashboard] = resourcesOf(stack, 'google_monitoring_dashboard');
  // Terraform's escape of ${ (the legends' own placeholders) undone, as Terraform does.
  const json = JSON.parse(String(dashboard!.dashboard_json).replace(/\$\$\{/g, '${')) as {
    mosaicLayout: {
      columns: number;
      tiles: {
        widget: {
          title: string;
          xyChart: {
            dataSets: {
              timeSeriesQuery: { timeSeriesFilter: { filter: string; aggregation: { groupByFields?: string[] } } };
            }[];
          };
        };
      }[];
    };
  };
  const tiles = json.mosaicLayout.tiles;
  const chart = (title: RegExp) => tiles.find((t) => title.test(t.widget.title))!.widget.xyChart.dataSets;

  it('charts pulls per region and backend, redirect latency, mirror health and replication lag', () => {
    expect(chart(/pulls per second, by Cloud Run region/)[0]!.timeSeriesQuery.timeSeriesFilter).toEqual({
      filter: userMetric('image-pulls'),
      aggregation: expect.objectContaining({ groupByFields: ['resource.label.location'] }),
    });
    expect(chart(/client's cloud/)[0]!.timeSeriesQuery.timeSeriesFilter.aggregation.groupByFields).toEqual([
      'metric.label.client_cloud',
      'metric.label.backend',
    ]);
    expect(chart(/Redirect latency/).map((d) => d.timeSeriesQuery.timeSeriesFilter.filter)).toEqual([
      expect.stringContaining('run.googleapis.com/request_latencies'),
      expect.stringContaining('run.googleapis.com/request_latencies'),
    ]);
    expect(chart(/Mirror health/)[0]!.timeSeriesQuery.timeSeriesFilter.filter).toBe(userMetric('breaker-opened'));
    expect(chart(/Replication lag/)[0]!.timeSeriesQuery.timeSeriesFilter.filter).toBe(
      userMetric('replication-seconds'),
    );
  });

  it('lays the tiles out two a row without overlap', () => {
    expect(json.mosaicLayout.columns).toBe(48);
    const cells = tiles.map((t) =>
      JSON.stringify(t)
        .match(/"xPos":(\d+),"yPos":(\d+)/)!
        .slice(1)
        .join(','),
    );
    expect(new Set(cells).size).toBe(tiles.length);
  });

  it("escapes the legends' placeholders from Terraform's interpolation", () => {
    expect(String(dashboard!.dashboard_json)).not.toMatch(/[^$]\$\{/);
  });
});

describe('request logs', () => {
  it.each([
    ['small fixture (default retention)', topology, 30],
    [
      'a topology that keeps them 7 days',
      smallTopology((t) => void (t.gcp.observability.requestLogRetentionDays = 7)),
      7,
    ],
  ])('%s: each day of logs is deleted after the retention', (_name, t, days) => {
    const dataset = resourcesOf(synthesizeGcp(t).observability, 'google_bigquery_dataset')[0]!;
    expect(dataset.default_partition_expiration_ms).toBe(days * 86_400_000);
    expect(dataset.default_table_expiration_ms).toBeUndefined();
  });

  it('the default topology keeps them 30 days', () => {
    expect(defaultTopology().gcp.observability.requestLogRetentionDays).toBe(30);
  });
});
