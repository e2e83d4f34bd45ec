/**
 * Prometheus metrics, in their own registry (served on the admin port, never on the public one). Request counts
 * are kept per (route, decision, status) through pre-resolved children so the hot path does no label hashing.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Backend } from './decide';
import type { BreakerState, CacheResult, ExistenceObserver, HeadOutcome } from './existence';
import type { RouteKind } from './route';

const BREAKER_VALUES: Record<BreakerState, number> = { closed: 0, open: 1, 'half-open': 2 };

export class RedirectorMetrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: 'redirector_requests_total',
    help: 'Requests answered, by route, decision (backend) and status.',
    labelNames: ['route', 'decision', 'status'] as const,
    registers: [this.registry],
  });
  private readonly headDuration = new Histogram({
    name: 'redirector_head_duration_seconds',
    help: 'Existence-check HEAD latency by backend origin and outcome.',
    labelNames: ['origin', 'outcome'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  private readonly cacheLookups = new Counter({
    name: 'redirector_existence_cache_total',
    help: 'Existence-check lookups: hit, miss (a HEAD was made), coalesced (joined an in-flight HEAD), breaker-open.',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  private readonly breakerState = new Gauge({
    name: 'redirector_breaker_state',
    help: 'Circuit breaker state per backend origin: 0 closed, 1 open, 2 half-open.',
    labelNames: ['origin'] as const,
    registers: [this.registry],
  });
  private readonly cacheChildren = {
    hit: this.cacheLookups.labels('hit'),
    miss: this.cacheLookups.labels('miss'),
    coalesced: this.cacheLookups.labels('coalesced'),
    'breaker-open': this.cacheLookups.labels('breaker-open'),
  } satisfies Record<CacheResult, unknown>;
  private readonly requestChildren = new Map<RouteKind, Map<Backend, Map<number, Counter.Internal>>>();

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  request(route: RouteKind, decision: Backend, status: number): void {
    // Nested maps: no key string is built per request.
    let byDecision = this.requestChildren.get(route);
    if (!byDecision) this.requestChildren.set(route, (byDecision = new Map()));
    let byStatus = byDecision.get(decision);
    if (!byStatus) byDecision.set(decision, (byStatus = new Map()));
    let child = byStatus.get(status);
    if (!child) byStatus.set(status, (child = this.requests.labels(route, decision, String(status))));
    child.inc();
  }

  /** Hooks for the ExistenceChecker. */
  readonly existence: ExistenceObserver = {
    head: (origin: string, outcome: HeadOutcome, seconds: number) =>
      this.headDuration.observe({ origin, outcome }, seconds),
    cache: (result: CacheResult) => this.cacheChildren[result].inc(),
    breaker: (origin: string, state: BreakerState) => this.breakerState.set({ origin }, BREAKER_VALUES[state]),
  };
}
