import {
  backoffDelay,
  DEFAULT_RETRY_POLICY,
  nextDelay,
  parseRetryAfter,
  RequestBudgets,
  Semaphore,
  TokenBucket,
  withRetry,
} from '../../lib/oci';
import { HttpError, transientError, nextLink } from '../../lib/oci';

describe('Semaphore', () => {
  it('never lets more than its capacity run at once', async () => {
    const semaphore = new Semaphore(3);
    let running = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 20 }, () =>
        semaphore.use(async () => {
          running++;
          peak = Math.max(peak, running);
          await Promise.resolve();
          running--;
        }),
      ),
    );
    expect(peak).toBe(3);
  });

  it('gives every slot back, also when a task fails', async () => {
    const semaphore = new Semaphore(2);
    await expect(semaphore.use(async () => Promise.reject(new Error('task failed')))).rejects.toThrow('task failed');
    await semaphore.use(async () => undefined);
    let acquired = 0;
    for (let i = 0; i < 3; i++) void semaphore.acquire().then(() => acquired++);
    await new Promise((resolve) => setImmediate(resolve)); // every acquire that can resolve has resolved
    expect(acquired).toBe(2);
  });

  it('refuses a non-positive capacity', () => expect(() => new Semaphore(0)).toThrow(/positive integer/));
});

describe('RequestBudgets', () => {
  it('gives every host a bucket of its own: one busy host does not slow another', () => {
    const budgets = new RequestBudgets({ requestsPerSecond: 2, now: () => 0 });
    const source = budgets.forHost('source.example');
    expect([source.reserve(), source.reserve(), source.reserve()]).toEqual([0, 0, 500]);
    expect(budgets.forHost('dest.example').reserve()).toBe(0);
    expect(budgets.forHost('source.example')).toBe(source);
  });

  it.each([
    ['the default', 'a.example', {}, 80],
    ['a host of its own', 'b.example:5000', {}, 200],
    ['a quarter of the default for one task of four', 'a.example', { share: 1 / 4 }, 20],
    ['a quarter of its own for one task of four', 'b.example:5000', { share: 1 / 4 }, 50],
  ])('spends %s', (_name, host, options, rate) => {
    const budgets = new RequestBudgets({
      requestsPerSecond: 80,
      perHost: new Map([['b.example:5000', 200]]),
      ...options,
    });
    expect(budgets.rateOf(host)).toBe(rate);
  });

  it.each([0, 1.5, -1])('refuses a share of %p', (share) =>
    expect(() => new RequestBudgets({ requestsPerSecond: 1, share })).toThrow(/share must be in/),
  );
});

describe('TokenBucket', () => {
  it('lets a burst through, then spaces callers at the rate', () => {
    let now = 0;
    const bucket = new TokenBucket({ ratePerSecond: 10, burst: 2, now: () => now });
    expect([bucket.reserve(), bucket.reserve()]).toEqual([0, 0]);
    expect(bucket.reserve()).toBeCloseTo(100);
    expect(bucket.reserve()).toBeCloseTo(200);
    now = 1000; // a quiet second refills to the burst, no further
    expect(bucket.reserve()).toBe(0);
  });

  it('waits the reserved time', async () => {
    const waits: number[] = [];
    const bucket = new TokenBucket({ ratePerSecond: 1, now: () => 0, sleep: async (ms) => waits.push(ms) });
    await bucket.take();
    await bucket.take();
    expect(waits).toEqual([1000]);
  });

  it('refuses a non-positive rate', () => expect(() => new TokenBucket({ ratePerSecond: 0 })).toThrow(/positive/));
});

describe('Retry-After and backoff', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it.each([
    ['3', 3000],
    [' 0 ', 0],
    ['Thu, 01 Jan 2026 00:00:05 GMT', 5000],
    ['Wed, 31 Dec 2025 23:59:00 GMT', 0],
    ['soon', undefined],
    [undefined, undefined],
  ])('parseRetryAfter(%j) = %j ms', (value, expected) => expect(parseRetryAfter(value, now)).toBe(expected));

  it('backs off exponentially with full jitter under a ceiling', () => {
    const policy = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 100, maxDelayMs: 1000 };
    expect([1, 2, 3, 4, 5].map((retry) => backoffDelay(retry, policy, () => 0.999999))).toEqual([
      99, 199, 399, 799, 999,
    ]);
    expect(backoffDelay(3, policy, () => 0)).toBe(0);
  });

  it('prefers the server-requested delay, bounded', () => {
    expect(nextDelay(1, 2000, DEFAULT_RETRY_POLICY)).toBe(2000);
    expect(nextDelay(1, 10 ** 9, DEFAULT_RETRY_POLICY)).toBe(DEFAULT_RETRY_POLICY.maxRetryAfterMs);
  });

  it('retries transient failures a bounded number of times, honouring Retry-After', async () => {
    const sleeps: number[] = [];
    let attempts = 0;
    const throttled = new HttpError('GET', 'http://r/v2/', 429, '', 1500);
    await expect(
      withRetry(
        async () => {
          attempts++;
          throw throttled;
        },
        {
          classify: transientError,
          sleep: async (ms) => sleeps.push(ms),
          policy: { ...DEFAULT_RETRY_POLICY, attempts: 3 },
        },
      ),
    ).rejects.toBe(throttled);
    expect(attempts).toBe(3);
    expect(sleeps).toEqual([1500, 1500]);
  });

  it.each([
    [new HttpError('GET', 'u', 429, ''), true],
    [new HttpError('GET', 'u', 503, ''), true],
    [new HttpError('GET', 'u', 501, ''), false],
    [new HttpError('GET', 'u', 404, ''), false],
    [Object.assign(new Error('reset'), { code: 'ECONNRESET' }), true],
    [new Error('digest mismatch'), false],
  ])('transientError(%s) -> %s', (error, retryable) => expect(transientError(error) !== false).toBe(retryable));
});

describe('Link pagination', () => {
  const base = new URL('https://r.example/v2/_catalog?n=2');
  it.each([
    ['</v2/_catalog?last=b&n=2>; rel="next"', 'https://r.example/v2/_catalog?last=b&n=2'],
    ['<https://other.example/x>; rel=next', 'https://other.example/x'],
    ['</a>; rel="prev", </b>; rel="next"', 'https://r.example/b'],
    ['</a>; rel="prev"', undefined],
    [undefined, undefined],
  ])('%j -> %j', (header, expected) => expect(nextLink(header, base)?.href).toBe(expected));
});
