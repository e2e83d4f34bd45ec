/**
 * "Does this backend have this blob?" answered by a HEAD of the exact blob URL, made cheap and safe:
 * - a short timeout, over keep-alive connections;
 * - a bounded LRU cache with a TTL for "present" (how long a blob that vanished from a backend is still sent there)
 *   and a shorter one for "absent" (the replication job may upload it soon); errors are not cached;
 * - one HEAD per URL in flight, however many requests wait on it (lru-cache's fetch coalesces);
 * - a circuit breaker per origin that cached answers obey too, kept informed by real HEADs and by a background probe
 *   of each origin in use (mirror-health.ts): a backend that goes dark stops getting clients within one probe
 *   interval plus one HEAD timeout, however warm the cache, and without a HEAD per request.
 * Production cached positives forever and unbounded, no negatives, and waited up to 5 s on every request.
 */
import http from 'node:http';
import type https from 'node:https';
import { LRUCache } from 'lru-cache';
import {
  CircuitBreakers,
  HealthProbes,
  OriginHealth,
  unrefInterval,
  type BreakerState,
  type Ticker,
} from './mirror-health';

export type { BreakerState } from './mirror-health';

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
  /** How long an open breaker refuses checks before letting one trial through. */
  readonly breakerCooldownMs: number;
  /** One background HEAD per origin in use this often. */
  readonly probeIntervalMs: number;
}

/** An origin nobody was sent to for this long is no longer probed (the next cache hit for it probes it again). */
export const PROBE_IDLE_MS = 60_000;

export type HeadOutcome = 'present' | 'absent' | 'error' | 'timeout';
/**
 * How a check was answered: from the cache (hit), by a HEAD of its own (miss), by joining a HEAD in flight
 * (coalesced), or refused by an open breaker. The one vocabulary of the cache metric and the debug log.
 */
export type CacheResult = 'hit' | 'miss' | 'coalesced' | 'breaker-open';

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

/** Hooks for metrics and logs; all optional. */
export interface ExistenceObserver {
  head?(origin: string, outcome: HeadOutcome, seconds: number): void;
  cache?(result: CacheResult): void;
  breaker?(origin: string, state: BreakerState): void;
}

const IGNORE: Required<ExistenceObserver> = { head() {}, cache() {}, breaker() {} };

/** Time as the checker sees it: injectable, so tests step it instead of waiting. */
export interface ExistenceClock {
  /** Monotonic milliseconds (the TTLs and the breakers' cool-downs). */
  now(): number;
  /** Runs the background probes. */
  readonly ticker: Ticker;
}

export const SYSTEM_CLOCK: ExistenceClock = { now: () => performance.now(), ticker: unrefInterval };

/** What a HEAD status means: 200 present; other 2xx-4xx absent (a healthy backend without it); 5xx a failure. */
export function outcomeOf(status: number): HeadOutcome {
  if (status === 200) return 'present';
  return status >= 500 ? 'error' : 'absent';
}

/** A cached answer: the origin's health record for "present" (its breaker is read on every hit), `false` for absent. */
type Cached = OriginHealth | false;

export class ExistenceChecker {
  private readonly cache: LRUCache<string, Cached>;
  private readonly breakers: CircuitBreakers;
  private readonly probes: HealthProbes;
  private readonly http = httpTransport();
  private https: Transport | undefined;

  private readonly observer: Required<ExistenceObserver>;

  constructor(
    private readonly options: ExistenceOptions,
    observer: ExistenceObserver = {},
    clock: ExistenceClock = SYSTEM_CLOCK,
  ) {
    this.observer = { ...IGNORE, ...observer };
    this.breakers = new CircuitBreakers(
      options.breakerFailureThreshold,
      options.breakerCooldownMs,
      clock.now,
      this.observer.breaker,
    );
    this.probes = new HealthProbes(
      this.breakers,
      (health, url) => this.probe(health, url),
      { intervalMs: options.probeIntervalMs, idleMs: PROBE_IDLE_MS },
      clock.ticker,
    );
    this.cache = new LRUCache<string, Cached>({
      // Bounded by count through maxSize (every entry weighs 1) rather than `max`: given `max`, lru-cache allocates
      // its arrays for every entry up front, 9-11 ms of start-up for the default 100,000 (measured); without it they
      // grow with the cache.
      maxSize: options.maxEntries,
      sizeCalculation: () => 1,
      ttl: options.positiveTtlMs,
      perf: clock,
      // lru-cache reads the system clock at most once a millisecond; an injected clock on every lookup, so that a
      // test's step is seen at once.
      ttlResolution: clock === SYSTEM_CLOCK ? 1 : 0,
      fetchMethod: async (url, _stale, { options: entry }) => {
        const health = this.breakers.of(originOf(url));
        const outcome = await this.head(health, url);
        if (outcome === 'present') {
          this.sendingTo(health, url);
          return health;
        }
        if (outcome === 'absent') {
          entry.ttl = this.options.negativeTtlMs;
          return false;
        }
        return undefined; // not cached: the breaker bounds the cost of a failing backend
      },
    });
  }

  /**
   * The answer when the cache has one: a "present" holds only while its origin's breaker is closed. Undefined when
   * a check is needed. Lets the server answer those requests synchronously: a cache hit is a map lookup and a few
   * property reads and writes.
   */
  known(url: string): Existence | undefined {
    const cached = this.cache.get(url);
    if (cached === undefined) return undefined;
    if (cached === false) {
      this.observer.cache('hit');
      return HIT_ABSENT;
    }
    cached.asked = true;
    if (!cached.watched) this.probes.watch(cached);
    if (cached.state === 'closed') {
      this.observer.cache('hit');
      return HIT_PRESENT;
    }
    this.observer.cache('breaker-open');
    return BREAKER_OPEN;
  }

  /** Present when the URL answers a HEAD with 200 (cached, coalesced, breaker-guarded). Never rejects. */
  async exists(url: string): Promise<Existence> {
    const known = this.known(url);
    if (known !== undefined) return known;
    if (!this.breakers.allow(this.breakers.of(originOf(url)))) {
      this.observer.cache('breaker-open');
      return BREAKER_OPEN;
    }
    const status: LRUCache.Status<string, Cached> = {};
    try {
      const cached = await this.cache.fetch(url, { status });
      const present = cached !== undefined && cached !== false;
      const coalesced = status.fetch === 'inflight';
      this.observer.cache(coalesced ? 'coalesced' : 'miss');
      if (coalesced) return present ? COALESCED_PRESENT : COALESCED_ABSENT;
      return present ? MISS_PRESENT : MISS_ABSENT;
    } catch {
      return MISS_ABSENT; // whatever went wrong, the client is sent where the blob surely is
    }
  }

  /** Stops the probes and closes the keep-alive connections. */
  close(): void {
    this.probes.close();
    this.http.agent.destroy();
    this.https?.agent.destroy();
  }

  /** A client is being sent to this origin for `url`, which it just confirmed: the blob the probes ask for. */
  private sendingTo(health: OriginHealth, url: string): void {
    health.probeUrl = url;
    health.asked = true;
    this.probes.watch(health);
  }

  /** The background probe's HEAD (its answer feeds the breaker in head()). */
  private async probe(health: OriginHealth, url: string): Promise<void> {
    if ((await this.head(health, url)) === 'absent') this.forget(health);
  }

  /**
   * A blob this origin confirmed is gone: blobs are immutable, so the origin lost content (a bucket emptied, a
   * replication gone wrong) and none of its cached "present" answers can be trusted. They are dropped, and the
   * probe's URL with them; the next HEAD that finds a blob there gives the probe a new one.
   */
  private forget(health: OriginHealth): void {
    health.probeUrl = undefined;
    const stale: string[] = [];
    this.cache.forEach((cached, url) => {
      if (cached === health) stale.push(url);
    });
    for (const url of stale) this.cache.delete(url);
  }

  private async head(health: OriginHealth, url: string): Promise<HeadOutcome> {
    const started = process.hrtime.bigint();
    const transport = url.startsWith('https:') ? (this.https ??= httpsTransport()) : this.http;
    const outcome = await headRequest(url, transport, this.options.timeoutMs);
    this.breakers.record(health, outcome === 'present' || outcome === 'absent');
    this.observer.head(health.origin, outcome, Number(process.hrtime.bigint() - started) / 1e9);
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

/** How checks reach the origins of one protocol: its module's request function and a keep-alive agent. */
interface Transport {
  readonly request: typeof http.request;
  readonly agent: http.Agent;
}

const AGENT_OPTIONS: http.AgentOptions = { keepAlive: true, maxSockets: 128 };

function httpTransport(): Transport {
  return { request: http.request, agent: new http.Agent(AGENT_OPTIONS) };
}

/**
 * Made at the first check of an https origin: loading node:https (and TLS with it) took about 2.5 ms of every
 * start-up (measured), before the first answer, for checks that come later or, locally, never.
 */
function httpsTransport(): Transport {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when first needed (above)
  const { request, Agent } = require('node:https') as typeof https;
  return { request, agent: new Agent(AGENT_OPTIONS) };
}

function headRequest(url: string, { request: send, agent }: Transport, timeoutMs: number): Promise<HeadOutcome> {
  return new Promise((resolve) => {
    let request: http.ClientRequest;
    try {
      request = send(url, { method: 'HEAD', agent }, (response) => {
        response.resume();
        finish(outcomeOf(response.statusCode!));
      });
    } catch {
      resolve('error');
      return;
    }
    let settled = false;
    const timer = setTimeout(() => {
      finish('timeout');
      request.destroy();
    }, timeoutMs);
    function finish(outcome: HeadOutcome): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    }
    request.on('error', () => finish('error'));
    request.end();
  });
}
