/**
 * Prometheus metrics, in their own registry (served on the admin port, never on the public one). The per-request
 * counts (requests by route, decision and status; existence-cache results) are plain numbers incremented on the hot
 * path and copied into their prom-client counters only when the registry is scraped, so a request does no label
 * hashing. HEAD latencies and breaker states, which change far less often, go to prom-client directly.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { DecisionLabel } from './decide';
import type { BreakerState, CacheResult, ExistenceObserver, HeadOutcome } from './existence';
import type { RouteKind } from './route';

const BREAKER_VALUES: Record<BreakerState, number> = { closed: 0, open: 1, 'half-open': 2 };

/** Plain counters keyed by nested maps: incremented per request with no allocation and no label hashing. */
class RequestCounts {
  private readonly counts = new Map<RouteKind, Map<DecisionLabel, Map<number, { value: number }>>>();

  inc(route: RouteKind, decision: DecisionLabel, status: number): void {
    let byDecision = this.counts.get(route);
    if (!byDecision) this.counts.set(route, (byDecision = new Map()));
    let byStatus = byDecision.get(decision);
    if (!byStatus) byDecision.set(decision, (byStatus = new Map()));
    const cell = byStatus.get(status);
    if (cell) cell.value++;
    else byStatus.set(status, { value: 1 });
  }

  *entries(): Generator<[{ route: string; decision: string; status: string }, number]> {
    for (const [route, byDecision] of this.counts) {
      for (const [decision, byStatus] of byDecision) {
        for (const [status, cell] of byStatus) yield [{ route, decision, status: String(status) }, cell.value];
      }
    }
  }
}

/** prom-client hashes the labels on every inc(), even through labels() children: hence the plain counts above. */
export class RedirectorMetrics {
  readonly registry = new Registry();
  private readonly requestCounts = new RequestCounts();
  private readonly cacheCounts: Record<CacheResult, number> = { hit: 0, miss: 0, coalesced: 0, 'breaker-open': 0 };
  /** By cloud: blob requests of clients in and outside its mirrors' share. */
  private readonly shareCounts = new Map<string, { in: number; out: number }>();

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const requestCounts = this.requestCounts;
    const cacheCounts = this.cacheCounts;
    const shareCounts = this.shareCounts;
    new Counter({
      name: 'redirector_requests_total',
      help: 'Requests answered, by route, decision (backend) and status.',
      labelNames: ['route', 'decision', 'status'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [labels, value] of requestCounts.entries()) this.inc(labels, value);
      },
    });
    new Counter({
      name: 'redirector_existence_cache_total',
      help: 'Existence-check lookups: hit, miss (a HEAD was made), coalesced (joined an in-flight HEAD), breaker-open.',
      labelNames: ['result'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [result, value] of Object.entries(cacheCounts)) if (value > 0) this.inc({ result }, value);
      },
    });
    new Counter({
      name: 'redirector_mirror_share_total',
      help:
        "Blob requests of clients whose cloud's mirrors take a share of its clients (gradual rollout), by cloud and " +
        'whether the client was in the share (sent to the mirror) or not (the region default).',
      labelNames: ['cloud', 'in_share'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [cloud, counts] of shareCounts) {
          this.inc({ cloud, in_share: 'true' }, counts.in);
          this.inc({ cloud, in_share: 'false' }, counts.out);
        }
      },
    });
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  private readonly headDuration = new Histogram({
    name: 'redirector_head_duration_seconds',
    help: 'Existence-check HEAD latency by backend origin and outcome.',
    labelNames: ['origin', 'outcome'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  private readonly breakerState = new Gauge({
    name: 'redirector_breaker_state',
    help: 'Circuit breaker state per backend origin, from its first check: 0 closed, 1 open (its clients go to the upstream), 2 half-open.',
    labelNames: ['origin'] as const,
    registers: [this.registry],
  });

  request(route: RouteKind, decision: DecisionLabel, status: number): void {
    this.requestCounts.inc(route, decision, status);
  }

  /** A blob request of a client of `cloud`, whose mirrors take a share of its clients. */
  share(cloud: string, inShare: boolean): void {
    let counts = this.shareCounts.get(cloud);
    if (!counts) this.shareCounts.set(cloud, (counts = { in: 0, out: 0 }));
    if (inShare) counts.in++;
    else counts.out++;
  }

  /** Hooks for the ExistenceChecker. */
  readonly existence: Required<ExistenceObserver> = {
    head: (origin: string, outcome: HeadOutcome, seconds: number) =>
      this.headDuration.observe({ origin, outcome }, seconds),
    cache: (result: CacheResult) => void this.cacheCounts[result]++,
    breaker: (origin: string, state: BreakerState) => this.breakerState.set({ origin }, BREAKER_VALUES[state]),
  };
}
