/**
 * Bounded retries with exponential backoff and full jitter, honouring a server's `Retry-After`.
 * Which errors are worth retrying is the caller's decision (its `RetryClassifier`).
 */
import { setTimeout as delay } from 'node:timers/promises';

export interface RetryPolicy {
  /** Attempts in total, the first included. */
  readonly attempts: number;
  /** Backoff ceiling of the first retry; doubles each retry. */
  readonly baseDelayMs: number;
  /** Upper bound of any backoff. */
  readonly maxDelayMs: number;
  /** Upper bound of a server-requested `Retry-After` wait (a hostile or broken value cannot stall the job for hours). */
  readonly maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  attempts: 6,
  baseDelayMs: 250,
  maxDelayMs: 15_000,
  maxRetryAfterMs: 120_000,
};

/** Statuses that say "try again later": throttling and server-side failures (not 501, which never gets better). */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status !== 501 && status <= 599);
}

/** `Retry-After` as milliseconds from `now`: delta-seconds or an HTTP date. Undefined when absent or unparsable. */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** Full-jitter exponential backoff for retry number `retry` (1-based). */
export function backoffDelay(retry: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  return Math.floor(random() * ceiling);
}

/** How long to wait before the next attempt: the server's wish (bounded) when it said, our backoff otherwise. */
export function nextDelay(
  retry: number,
  retryAfterMs: number | undefined,
  policy: RetryPolicy,
  random?: () => number,
): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, policy.maxRetryAfterMs);
  return backoffDelay(retry, policy, random);
}

/** Tells whether an error is transient: `false` to give up, otherwise an optional server-requested delay. */
export type RetryClassifier = (error: unknown) => false | { retryAfterMs?: number };

/** What a retry is about to do, for logs: the failure, which retry (1-based), and the wait before it. */
export interface RetryInfo {
  readonly error: unknown;
  readonly retry: number;
  readonly delayMs: number;
}

export interface RetryOptions {
  readonly policy?: RetryPolicy;
  readonly classify: RetryClassifier;
  readonly onRetry?: (info: RetryInfo) => void;
  readonly sleep?: (ms: number) => Promise<unknown>;
  readonly random?: () => number;
}

/** Runs `operation` until it succeeds, fails for good, or runs out of attempts (then the last error is thrown). */
export async function withRetry<T>(operation: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const policy = options.policy ?? DEFAULT_RETRY_POLICY;
  const sleep = options.sleep ?? ((ms: number) => delay(ms));
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      const verdict = options.classify(error);
      if (verdict === false || attempt >= policy.attempts) throw error;
      const delayMs = nextDelay(attempt, verdict.retryAfterMs, policy, options.random);
      options.onRetry?.({ error, retry: attempt, delayMs });
      await sleep(delayMs);
    }
  }
}
