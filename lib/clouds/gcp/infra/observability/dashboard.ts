/**
 * The registry's Cloud Monitoring dashboard as typed data (the shape of the Dashboards API's JSON): pulls per
 * region and backend, redirect latency, mirror health, replication lag, and the front door's answers. Built from
 * the same filters as the alerts, so a chart shows what an alert watched.
 */
import { loadBalancerFilter, logMetricFilter } from './alerts';

export interface Aggregation {
  readonly alignmentPeriod: string;
  readonly perSeriesAligner: string;
  readonly crossSeriesReducer?: string;
  readonly groupByFields?: readonly string[];
}

export interface DataSet {
  readonly timeSeriesQuery: {
    readonly timeSeriesFilter: { readonly filter: string; readonly aggregation: Aggregation };
  };
  readonly plotType: 'LINE' | 'STACKED_AREA' | 'STACKED_BAR';
  readonly legendTemplate?: string;
}

export interface Tile {
  readonly xPos: number;
  readonly yPos: number;
  readonly width: number;
  readonly height: number;
  readonly widget: {
    readonly title: string;
    readonly xyChart: {
      readonly dataSets: readonly DataSet[];
      readonly yAxis: { readonly label: string; readonly scale: 'LINEAR' };
    };
  };
}

export interface Dashboard {
  readonly displayName: string;
  readonly mosaicLayout: { readonly columns: number; readonly tiles: readonly Tile[] };
}

export interface DashboardSubjects {
  readonly registry: string;
  readonly redirectorService: string;
  readonly urlMap: string;
}

/** A chart: its title, its y axis, and what it plots. */
interface Chart {
  readonly title: string;
  readonly yAxis: string;
  readonly dataSets: readonly DataSet[];
}

const COLUMNS = 48;
const TILE = { width: 24, height: 16 };

function dataSet(
  filter: string,
  aggregation: Aggregation,
  plotType: DataSet['plotType'],
  legendTemplate?: string,
): DataSet {
  return {
    timeSeriesQuery: { timeSeriesFilter: { filter, aggregation } },
    plotType,
    ...(legendTemplate ? { legendTemplate } : {}),
  };
}

const perSecond = (groupByFields: string[]): Aggregation => ({
  alignmentPeriod: '60s',
  perSeriesAligner: 'ALIGN_RATE',
  crossSeriesReducer: 'REDUCE_SUM',
  groupByFields,
});

const sumOver = (alignmentPeriod: string, groupByFields: string[]): Aggregation => ({
  alignmentPeriod,
  perSeriesAligner: 'ALIGN_SUM',
  crossSeriesReducer: 'REDUCE_SUM',
  groupByFields,
});

const percentile = (p: 50 | 99, alignmentPeriod: string, groupByFields: string[]): Aggregation => ({
  alignmentPeriod,
  perSeriesAligner: 'ALIGN_DELTA',
  crossSeriesReducer: `REDUCE_PERCENTILE_${p}`,
  groupByFields,
});

/** The charts, in reading order (two a row). */
export function dashboardCharts(subjects: DashboardSubjects): Chart[] {
  const { registry } = subjects;
  const pulls = logMetricFilter(registry, 'image-pulls');
  const runLatency =
    'metric.type="run.googleapis.com/request_latencies" AND resource.type="cloud_run_revision" AND ' +
    `resource.label.service_name=${JSON.stringify(subjects.redirectorService)}`;
  const byJob = ['resource.label.job_name'];
  return [
    {
      title: 'Image pulls per second, by Cloud Run region',
      yAxis: 'pulls/s',
      dataSets: [dataSet(pulls, perSecond(['resource.label.location']), 'STACKED_AREA')],
    },
    {
      title: "Image pulls per second, by the client's cloud (its blobs' backend) and the manifest's backend",
      yAxis: 'pulls/s',
      dataSets: [dataSet(pulls, perSecond(['metric.label.client_cloud', 'metric.label.backend']), 'STACKED_AREA')],
    },
    {
      title: 'Redirect latency by Cloud Run region: p50 and p99',
      yAxis: 'ms',
      dataSets: [
        dataSet(
          runLatency,
          percentile(50, '60s', ['resource.label.location']),
          'LINE',
          'p50 ${resource.labels.location}',
        ),
        dataSet(
          runLatency,
          percentile(99, '60s', ['resource.label.location']),
          'LINE',
          'p99 ${resource.labels.location}',
        ),
      ],
    },
    {
      title: 'Load balancer answers per second, by response class',
      yAxis: 'requests/s',
      dataSets: [
        dataSet(
          loadBalancerFilter('request_count', subjects.urlMap),
          perSecond(['metric.label.response_code_class']),
          'STACKED_AREA',
        ),
      ],
    },
    {
      title: 'Mirror health: breaker openings per backend (a failing mirror stops receiving clients)',
      yAxis: 'openings',
      dataSets: [
        dataSet(logMetricFilter(registry, 'breaker-opened'), sumOver('300s', ['metric.label.origin']), 'STACKED_BAR'),
      ],
    },
    {
      title: 'Cloud Armor: requests throttled per second (429)',
      yAxis: 'requests/s',
      dataSets: [dataSet(logMetricFilter(registry, 'armor-throttled'), perSecond([]), 'LINE')],
    },
    {
      title: 'Replication: runs per job and hour, succeeded and failed',
      yAxis: 'runs',
      dataSets: [
        dataSet(
          logMetricFilter(registry, 'replication-succeeded'),
          sumOver('3600s', byJob),
          'STACKED_BAR',
          'succeeded ${resource.labels.job_name}',
        ),
        dataSet(
          logMetricFilter(registry, 'replication-failed'),
          sumOver('3600s', byJob),
          'STACKED_BAR',
          'failed ${resource.labels.job_name}',
        ),
      ],
    },
    {
      title: 'Replication lag: run duration per job (a mirror trails the registry by the schedule period plus this)',
      yAxis: 's',
      dataSets: [
        dataSet(
          logMetricFilter(registry, 'replication-seconds'),
          percentile(50, '3600s', byJob),
          'LINE',
          'p50 ${resource.labels.job_name}',
        ),
        dataSet(
          logMetricFilter(registry, 'replication-seconds'),
          percentile(99, '3600s', byJob),
          'LINE',
          'p99 ${resource.labels.job_name}',
        ),
      ],
    },
  ];
}

/** The dashboard: the charts laid out two a row. */
export function registryDashboard(subjects: DashboardSubjects): Dashboard {
  const tiles = dashboardCharts(subjects).map((chart, i): Tile => ({
    xPos: (i % 2) * TILE.width,
    yPos: Math.floor(i / 2) * TILE.height,
    ...TILE,
    widget: {
      title: chart.title,
      xyChart: { dataSets: chart.dataSets, yAxis: { label: chart.yAxis, scale: 'LINEAR' } },
    },
  }));
  return {
    displayName: `${subjects.registry}: pulls, latency, mirrors, replication`,
    mosaicLayout: { columns: COLUMNS, tiles },
  };
}
