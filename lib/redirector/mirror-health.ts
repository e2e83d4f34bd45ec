/**
 * How healthy each backend origin (a mirror bucket, the default backend) is, and how that stays known while the
 * existence cache answers without any HEAD.
 *
 * - `OriginHealth`: one origin's record. The cache's "present" entries point at it, so a cached answer learns
 *   whether the origin is usable with one property read, and no lookup.
 * - `CircuitBreakers`: per origin, closed -> open after `failureThreshold` consecutive failures (time-out, connection
 *   error, 5xx) -> after the cool-down, one trial (half-open) -> closed on success, open again on failure.
 * - `HealthProbes`: while clients are being sent to an origin, one HEAD of a blob it recently confirmed every
 *   interval, so the breaker learns of an outage from the probe even when every request is a cache hit. An origin
 *   nobody asked for during `idleMs` is no longer probed (it costs nothing while unused); the next cache hit for it
 *   starts the probe again.
 */

export type BreakerState = 'closed' | 'open' | 'half-open';

export class OriginHealth {
  /** Cached "present" answers are trusted only while this is `closed`. */
  state: BreakerState = 'closed';
  /** Consecutive failures. */
  failures = 0;
  /** When an open breaker lets its trial through (ms, the breakers' clock). */
  openUntil = 0;
  /** Set by every answer that points a client here; each probe round reads and clears it. */
  asked = false;
  /** A blob URL this origin recently answered 200 for: what the probe asks for. */
  probeUrl: string | undefined = undefined;
  /** Whether the probes watch this origin. */
  watched = false;
  /** Probe rounds in a row nobody asked for this origin. */
  idleRounds = 0;
  /** A probe of this origin is in flight. */
  probing = false;

  constructor(readonly origin: string) {}
}

/** A circuit breaker per origin. `now` is injectable so the state machine is testable without waiting. */
export class CircuitBreakers {
  private readonly origins = new Map<string, OriginHealth>();

  constructor(
    private readonly failureThreshold: number,
    private readonly cooldownMs: number,
    private readonly now: () => number,
    private readonly onChange: (origin: string, state: BreakerState) => void,
  ) {}

  /** The record of an origin, made (closed, and reported as such) the first time it is needed. */
  of(origin: string): OriginHealth {
    let health = this.origins.get(origin);
    if (health === undefined) {
      health = new OriginHealth(origin);
      this.origins.set(origin, health);
      this.onChange(origin, health.state);
    }
    return health;
  }

  /**
   * May a check of this origin go ahead? Not while it is open and cooling down, nor while its one trial is in
   * flight (half-open); after the cool-down, the check asking is that trial.
   */
  allow(health: OriginHealth): boolean {
    if (health.state === 'closed') return true;
    if (health.state === 'open' && this.now() >= health.openUntil) {
      this.set(health, 'half-open');
      return true;
    }
    return false;
  }

  record(health: OriginHealth, healthy: boolean): void {
    if (healthy) {
      health.failures = 0;
      if (health.state !== 'closed') this.set(health, 'closed');
      return;
    }
    health.failures++;
    if (health.state === 'half-open' || health.failures >= this.failureThreshold) {
      health.openUntil = this.now() + this.cooldownMs;
      if (health.state !== 'open') this.set(health, 'open');
    }
  }

  private set(health: OriginHealth, state: BreakerState): void {
    health.state = state;
    this.onChange(health.origin, state);
  }
}

export interface ProbeOptions {
  /** One probe per watched origin this often. */
  readonly intervalMs: number;
  /** An origin nobody asked for this long is no longer probed. */
  readonly idleMs: number;
}

/** Calls `tick` every `intervalMs` until the returned function is called. */
export type Ticker = (tick: () => void, intervalMs: number) => () => void;

/** The real ticker: an interval that never keeps the process alive. */
export const unrefInterval: Ticker = (tick, intervalMs) => {
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
};

/**
 * The background probes: one ticker for all watched origins, running only while some origin is watched. `probe`
 * makes the HEAD and feeds its answer to the breaker (the existence checker's own HEAD).
 */
export class HealthProbes {
  private readonly watched = new Set<OriginHealth>();
  private readonly idleRounds: number;
  private stopTicker: (() => void) | undefined;
  private closed = false;

  constructor(
    private readonly breakers: CircuitBreakers,
    private readonly probe: (health: OriginHealth, url: string) => Promise<void>,
    private readonly options: ProbeOptions,
    private readonly ticker: Ticker,
  ) {
    this.idleRounds = Math.ceil(options.idleMs / options.intervalMs);
  }

  /** Starts probing an origin clients are being sent to (idempotent; nothing once closed). */
  watch(health: OriginHealth): void {
    if (health.watched || this.closed) return;
    health.watched = true;
    health.idleRounds = 0;
    this.watched.add(health);
    this.stopTicker ??= this.ticker(() => this.round(), this.options.intervalMs);
  }

  /**
   * One round: each watched origin that was asked for lately and has a blob to ask about gets a probe, unless one is
   * still in flight or its breaker is cooling down (after the cool-down, the probe is the breaker's trial).
   */
  round(): void {
    for (const health of this.watched) {
      if (health.asked) {
        health.asked = false;
        health.idleRounds = 0;
      } else if (++health.idleRounds > this.idleRounds) {
        this.unwatch(health);
        continue;
      }
      const url = health.probeUrl;
      if (url === undefined || health.probing || !this.breakers.allow(health)) continue;
      health.probing = true;
      const done = () => {
        health.probing = false;
      };
      this.probe(health, url).then(done, done);
    }
    if (this.watched.size === 0) this.stop();
  }

  /** Stops every probe (in-flight ones finish on their own time-out). */
  close(): void {
    this.closed = true;
    for (const health of this.watched) this.unwatch(health);
    this.stop();
  }

  private unwatch(health: OriginHealth): void {
    health.watched = false;
    this.watched.delete(health);
  }

  private stop(): void {
    this.stopTicker?.();
    this.stopTicker = undefined;
  }
}
