/**
 * "Does this mirror have this blob?" answered by a HEAD of the exact blob URL, made cheap and safe:
 * - a short timeout, over keep-alive connections;
 * - a bounded LRU cache with a long TTL for "present" (blobs are content-addressed) and a short one for "absent"
 *   (the replication job may upload it soon); errors are not cached;
 * - one HEAD per URL in flight, however many requests wait on it (lru-cache's fetch coalesces);
 * - a circuit breaker per origin, so a dead mirror costs one timeout per cool-down instead of one per request.
 * Production cached positives forever and unbounded, no negatives, and waited up to 5 s on every request.
 */
import http from 'node:http';
import https from 'node:https';
import { LRUCache } from 'lru-cache';

export interface ExistenceOptions {
  /** HEAD timeout. */
  readonly timeoutMs: number;
  /** Cached answers kept at most. */
  readonly maxEntries: number;
  /** How long a "present" answer is trusted. */
  readonly positiveTtlMs: number;
  /** How long an "absent" answer is trusted. */
  readonly negativeTtlMs: number;
  /** Consecutive failures (timeout, connection error, 5xx) of an origin that open its breaker. */
  readonly breakerFailureThreshold: number;
  /** How long an open breaker refuses checks before letting one probe through. */
  readonly breakerCooldownMs: number;
}

export type HeadOutcome = 'present' | 'absent' | 'error' | 'timeout';
/**
 * How a check was answered: from the cache (hit), by a HEAD of its own (miss), by joining a HEAD in flight
 * (coalesced), or refused by an open breaker. The one vocabulary of the cache metric and the debug log.
 */
export type CacheResult = 'hit' | 'miss' | 'coalesced' | 'breaker-open';
export type BreakerState = 'closed' | 'open' | 'half-open';

/** The answer to "is it there?" and how it was reached. */
export interface Existence {
  readonly present: boolean;
  readonly cache: CacheResult;
}

// Every answer is one of these: no allocation per check.
const HIT_PRESENT: Existence = { present: true, cache: 'hit' };
const HIT_ABSENT: Existence = { present: false, cache: 'hit' };
const BREAKER_OPEN: Existence = { present: false, cache: 'breaker-open' };
const MISS_PRESENT: Existence = { present: true, cache: 'miss' };
const MISS_ABSENT: Existence = { present: false, cache: 'miss' };
const COALESCED_PRESENT: Existence = { present: true, cache: 'coalesced' };
const COALESCED_ABSENT: Existence = { present: false, cache: 'coalesced' };

/** Hooks for metrics; all optional. */
export interface ExistenceObserver {
  head?(origin: string, outcome: HeadOutcome, seconds: number): void;
  cache?(result: CacheResult): void;
  breaker?(origin: string, state: BreakerState): void;
}

interface OriginState {
  state: BreakerState;
  failures: number;
  openUntil: number;
}

/** A circuit breaker per origin. `now` is injectable so the state machine is testable without waiting. */
export class CircuitBreakers {
  private readonly origins = new Map<string, OriginState>();

  constructor(
    private readonly failureThreshold: number,
    private readonly cooldownMs: number,
    private readonly onChange: (origin: string, state: BreakerState) => void = () => {},
    private readonly now: () => number = Date.now,
  ) {}

  /** Open and still cooling down: checks are refused without changing state. */
  isOpen(origin: string): boolean {
    const entry = this.origins.get(origin);
    return (
      entry !== undefined && entry.state !== 'closed' && !(entry.state === 'open' && this.now() >= entry.openUntil)
    );
  }

  /** May a check of this origin go ahead? After the cool-down, exactly one probe is let through (half-open). */
  allow(origin: string): boolean {
    const entry = this.origins.get(origin);
    if (!entry || entry.state === 'closed') return true;
    if (entry.state === 'open' && this.now() >= entry.openUntil) {
      this.set(origin, entry, 'half-open');
      return true;
    }
    return false;
  }

  record(origin: string, healthy: boolean): void {
    let entry = this.origins.get(origin);
    if (!entry) {
      if (healthy) return;
      entry = { state: 'closed', failures: 0, openUntil: 0 };
      this.origins.set(origin, entry);
    }
    if (healthy) {
      entry.failures = 0;
      if (entry.state !== 'closed') this.set(origin, entry, 'closed');
      return;
    }
    entry.failures++;
    if (entry.state === 'half-open' || entry.failures >= this.failureThreshold) {
      entry.openUntil = this.now() + this.cooldownMs;
      if (entry.state !== 'open') this.set(origin, entry, 'open');
    }
  }

  private set(origin: string, entry: OriginState, state: BreakerState): void {
    entry.state = state;
    this.onChange(origin, state);
  }
}

/** What a HEAD status means: 200 present; other 2xx-4xx absent (a healthy backend without it); 5xx a failure. */
export function outcomeOf(status: number): HeadOutcome {
  if (status === 200) return 'present';
  return status >= 500 ? 'error' : 'absent';
}

export class ExistenceChecker {
  private readonly cache: LRUCache<string, boolean>;
  private readonly breakers: CircuitBreakers;
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 128 });
  private readonly httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 128 });

  constructor(
    private readonly options: ExistenceOptions,
    private readonly observer: ExistenceObserver = {},
  ) {
    this.breakers = new CircuitBreakers(options.breakerFailureThreshold, options.breakerCooldownMs, observer.breaker);
    this.cache = new LRUCache<string, boolean>({
      max: options.maxEntries,
      ttl: options.positiveTtlMs,
      fetchMethod: async (url, _stale, { options: entry }) => {
        const outcome = await this.head(url);
        if (outcome === 'present') return true;
        if (outcome === 'absent') {
          entry.ttl = this.options.negativeTtlMs;
          return false;
        }
        return undefined; // not cached: the breaker bounds the cost of a failing backend
      },
    });
  }

  /**
   * The answer when it is known without a HEAD: cached, or absent while the origin's breaker is open; undefined
   * when a HEAD is needed. Lets the server answer those requests synchronously.
   */
  known(url: string): Existence | undefined {
    const value = this.cache.get(url);
    if (value !== undefined) {
      this.observer.cache?.('hit');
      return value ? HIT_PRESENT : HIT_ABSENT;
    }
    if (this.breakers.isOpen(originOf(url))) {
      this.observer.cache?.('breaker-open');
      return BREAKER_OPEN;
    }
    return undefined;
  }

  /** Present when the URL answers a HEAD with 200 (cached, coalesced, breaker-guarded). Never rejects. */
  async exists(url: string): Promise<Existence> {
    const known = this.known(url);
    if (known !== undefined) return known;
    if (!this.breakers.allow(originOf(url))) {
      this.observer.cache?.('breaker-open');
      return BREAKER_OPEN;
    }
    const status: LRUCache.Status<string, boolean> = {};
    try {
      const present = (await this.cache.fetch(url, { status })) === true;
      const coalesced = status.fetch === 'inflight';
      this.observer.cache?.(coalesced ? 'coalesced' : 'miss');
      if (coalesced) return present ? COALESCED_PRESENT : COALESCED_ABSENT;
      return present ? MISS_PRESENT : MISS_ABSENT;
    } catch {
      return MISS_ABSENT;
    }
  }

  /** Closes the keep-alive connections. */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private async head(url: string): Promise<HeadOutcome> {
    const origin = originOf(url);
    const started = process.hrtime.bigint();
    const outcome = await headRequest(
      url,
      url.startsWith('https:') ? this.httpsAgent : this.httpAgent,
      this.options.timeoutMs,
    );
    this.breakers.record(origin, outcome === 'present' || outcome === 'absent');
    this.observer.head?.(origin, outcome, Number(process.hrtime.bigint() - started) / 1e9);
    return outcome;
  }
}

/**
 * `scheme://host[:port]` of a URL. The URLs checked are built from validated http(s) base URLs, so the origin ends
 * at the first "/" after "://" (no URL object per request).
 */
export function originOf(url: string): string {
  const slash = url.indexOf('/', url.indexOf('://') + 3);
  return slash < 0 ? url : url.slice(0, slash);
}

function headRequest(url: string, agent: http.Agent, timeoutMs: number): Promise<HeadOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: HeadOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const timer = setTimeout(() => {
      finish('timeout');
      request?.destroy();
    }, timeoutMs);
    let request: http.ClientRequest | undefined;
    try {
      request = (url.startsWith('https:') ? https : http).request(url, { method: 'HEAD', agent }, (response) => {
        response.resume();
        finish(outcomeOf(response.statusCode ?? 0));
      });
    } catch {
      finish('error');
      return;
    }
    request.on('error', () => finish('error'));
    request.end();
  });
}
