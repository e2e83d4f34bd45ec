/**
 * The knobs that keep a job polite to the registries: a semaphore bounds how much runs at once, a token bucket
 * bounds how many requests start per second, and RequestBudgets gives each host a bucket of its own.
 */
import { setTimeout as delay } from 'node:timers/promises';

/** At most `capacity` holders at a time; waiters are served in arrival order. */
export class Semaphore {
  private available: number;
  private readonly waiters: Array<() => void> = [];

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new Error(`semaphore capacity must be a positive integer, got ${capacity}`);
    this.available = capacity;
  }

  /** Resolves with a release function once a slot is free. Call it exactly once. */
  async acquire(): Promise<() => void> {
    if (this.available > 0) {
      this.available--;
    } else {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next) next();
      else this.available++;
    };
  }

  /** Runs `task` holding a slot. */
  async use<T>(task: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await task();
    } finally {
      release();
    }
  }
}

export interface TokenBucketOptions {
  /** Tokens added per second. `Infinity` disables the limit. */
  readonly ratePerSecond: number;
  /** Tokens the bucket holds when full (how many requests may start at once after a quiet period). @default ratePerSecond, at least 1 */
  readonly burst?: number;
  /** Milliseconds clock, for tests. @default performance.now */
  readonly now?: () => number;
  /** Sleep, for tests. @default timers/promises setTimeout */
  readonly sleep?: (ms: number) => Promise<unknown>;
}

/**
 * A token bucket by reservation: each caller takes a token now, possibly driving the balance negative, and waits for
 * its own deficit to refill. No queue and no timer to manage, and callers are still spaced at the configured rate.
 */
export class TokenBucket {
  private readonly rate: number;
  private readonly burst: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<unknown>;
  private tokens: number;
  private updatedAt: number;

  constructor(options: TokenBucketOptions) {
    if (!(options.ratePerSecond > 0)) throw new Error(`request rate must be positive, got ${options.ratePerSecond}`);
    this.rate = options.ratePerSecond;
    this.burst = options.burst ?? Math.max(1, Math.min(options.ratePerSecond, Number.MAX_SAFE_INTEGER));
    this.now = options.now ?? (() => performance.now());
    this.sleep = options.sleep ?? ((ms) => delay(ms));
    this.tokens = this.burst;
    this.updatedAt = this.now();
  }

  /** Milliseconds this caller must wait; the token is reserved already. */
  reserve(): number {
    if (this.rate === Infinity) return 0;
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.updatedAt) / 1000) * this.rate);
    this.updatedAt = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens / this.rate) * 1000;
  }

  /** Resolves when the caller may start its request. */
  async take(): Promise<void> {
    const wait = this.reserve();
    if (wait > 0) await this.sleep(wait);
  }
}

export interface RequestBudgetsOptions {
  /** Requests per second each host may receive, unless `perHost` names it. */
  readonly requestsPerSecond: number;
  /** Budgets of particular hosts (`host` or `host:port`, as RegistryClient names them). @default none */
  readonly perHost?: ReadonlyMap<string, number>;
  /**
   * The part of every budget this process may spend: 1/N when N processes (the tasks of one job) share the budgets.
   * @default 1
   */
  readonly share?: number;
  /** For tests: the buckets' clock and sleep. */
  readonly now?: TokenBucketOptions['now'];
  readonly sleep?: TokenBucketOptions['sleep'];
}

/**
 * A request budget per host: each registry its own token bucket, so that the source and forty destinations do not
 * queue behind one another, and no registry receives more than its budget, however many hosts a job speaks to.
 */
export class RequestBudgets {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(private readonly options: RequestBudgetsOptions) {
    const share = options.share ?? 1;
    if (!(share > 0 && share <= 1)) throw new Error(`budget share must be in (0, 1], got ${share}`);
  }

  /** Requests per second this process may send to `host`. */
  rateOf(host: string): number {
    return (this.options.perHost?.get(host) ?? this.options.requestsPerSecond) * (this.options.share ?? 1);
  }

  /** The bucket every request to `host` takes its token from (one per host, created on first use). */
  forHost(host: string): TokenBucket {
    let bucket = this.buckets.get(host);
    if (!bucket) {
      const { now, sleep } = this.options;
      bucket = new TokenBucket({ ratePerSecond: this.rateOf(host), now, sleep });
      this.buckets.set(host, bucket);
    }
    return bucket;
  }
}
