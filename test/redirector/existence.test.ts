/**
 * The existence checks and the backends' health, with a clock and a probe ticker the tests step: breakers, probes,
 * and the checker against a real HTTP backend on 127.0.0.1 whose answers the tests switch.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ExistenceChecker,
  originOf,
  outcomeOf,
  PROBE_IDLE_MS,
  type CacheResult,
  type ExistenceObserver,
  type ExistenceOptions,
} from '../../lib/redirector/existence';
import {
  CircuitBreakers,
  HealthProbes,
  type OriginHealth,
  type Ticker,
  unrefInterval,
} from '../../lib/redirector/mirror-health';
import { pollUntil } from '../support/poll';

/** A clock the test steps, and a ticker whose rounds the test runs. */
function manualTime() {
  let now = 1_000;
  let tick: (() => void) | undefined;
  let starts = 0;
  const ticker: Ticker = (run) => {
    tick = run;
    starts++;
    return () => {
      tick = undefined;
    };
  };
  return {
    clock: { now: () => now, ticker },
    advance(ms: number) {
      now += ms;
    },
    round() {
      if (!tick) throw new Error('no probe ticker is running');
      tick();
    },
    running: () => tick !== undefined,
    starts: () => starts,
  };
}

describe('outcomeOf', () => {
  it.each([
    [200, 'present'],
    [404, 'absent'],
    [403, 'absent'],
    [301, 'absent'],
    [500, 'error'],
    [503, 'error'],
  ])('%d -> %s', (status, outcome) => {
    expect(outcomeOf(status)).toBe(outcome);
  });
});

describe('originOf', () => {
  it.each([
    [
      'https://b.s3.dualstack.us-east-2.amazonaws.com/containers/images/sha256:ab',
      'https://b.s3.dualstack.us-east-2.amazonaws.com',
    ],
    ['http://127.0.0.1:9000/bucket/containers/images/x', 'http://127.0.0.1:9000'],
    ['https://cdn.example.com', 'https://cdn.example.com'],
  ])('%s -> %s', (url, origin) => {
    expect(originOf(url)).toBe(origin);
    expect(originOf(url)).toBe(new URL(url).origin);
  });
});

describe('CircuitBreakers', () => {
  function setup(threshold: number) {
    const time = manualTime();
    const changes: string[] = [];
    const breakers = new CircuitBreakers(threshold, 30_000, time.clock.now, (origin, state) =>
      changes.push(`${origin} ${state}`),
    );
    return { breakers, changes, advance: time.advance };
  }

  it('keeps one record per origin, reported closed when first seen', () => {
    const { breakers, changes } = setup(1);
    const a = breakers.of('http://a');
    expect(breakers.of('http://a')).toBe(a);
    expect(a).toMatchObject({ origin: 'http://a', state: 'closed', failures: 0 });
    expect(changes).toEqual(['http://a closed']);
  });

  it('opens after the threshold of consecutive failures, per origin', () => {
    const { breakers, changes } = setup(2);
    const [a, b] = [breakers.of('http://a'), breakers.of('http://b')];
    breakers.record(a, false);
    expect(breakers.allow(a)).toBe(true);
    breakers.record(a, false);
    expect(breakers.allow(a)).toBe(false);
    expect(breakers.allow(b)).toBe(true);
    expect(changes).toEqual(['http://a closed', 'http://b closed', 'http://a open']);
  });

  it('a success resets the failure count', () => {
    const { breakers, changes } = setup(2);
    const a = breakers.of('http://a');
    breakers.record(a, false);
    breakers.record(a, true);
    breakers.record(a, false);
    expect(a.state).toBe('closed');
    expect(breakers.allow(a)).toBe(true);
    expect(changes).toEqual(['http://a closed']);
  });

  it('lets exactly one trial through after the cool-down; its result closes or reopens', () => {
    const { breakers, changes, advance } = setup(1);
    const a = breakers.of('http://a');
    breakers.record(a, false);
    advance(29_999);
    expect(breakers.allow(a)).toBe(false);
    advance(1);
    expect(breakers.allow(a)).toBe(true);
    expect(breakers.allow(a)).toBe(false); // the trial is in flight
    breakers.record(a, false);
    expect(breakers.allow(a)).toBe(false);
    advance(30_000);
    expect(breakers.allow(a)).toBe(true);
    breakers.record(a, true);
    expect(breakers.allow(a)).toBe(true);
    expect(changes).toEqual([
      'http://a closed',
      'http://a open',
      'http://a half-open',
      'http://a open',
      'http://a half-open',
      'http://a closed',
    ]);
  });
});

describe('HealthProbes', () => {
  function setup(options = { intervalMs: 1000, idleMs: 60_000 }) {
    const time = manualTime();
    const breakers = new CircuitBreakers(1, 30_000, time.clock.now, () => {});
    const probed: string[] = [];
    const inFlight: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
    const probes = new HealthProbes(
      breakers,
      (_health, url) => {
        probed.push(url);
        return new Promise<void>((resolve, reject) => inFlight.push({ resolve, reject }));
      },
      options,
      time.clock.ticker,
    );
    const origin = (name: string, probeUrl?: string): OriginHealth => {
      const health = breakers.of(name);
      health.probeUrl = probeUrl;
      return health;
    };
    return { time, breakers, probes, probed, inFlight, origin };
  }

  it('probes each watched origin once a round, with one ticker for all', () => {
    const { time, probes, probed, origin } = setup();
    const [a, b] = [origin('http://a', 'http://a/x'), origin('http://b', 'http://b/y')];
    probes.watch(a);
    probes.watch(b);
    probes.watch(a);
    expect(time.starts()).toBe(1);
    time.round();
    expect(probed).toEqual(['http://a/x', 'http://b/y']);
  });

  it('never has two probes of one origin in flight, whether the last one answered or failed', async () => {
    const { time, probes, probed, inFlight, origin } = setup();
    const a = origin('http://a', 'http://a/x');
    probes.watch(a);
    time.round();
    time.round();
    expect(probed).toHaveLength(1);
    inFlight.shift()!.resolve();
    await pollUntil(() => !a.probing, 1000, 'the probe finishing');
    time.round();
    expect(probed).toHaveLength(2);
    inFlight.shift()!.reject(new Error('a metrics hook failed'));
    await pollUntil(() => !a.probing, 1000, 'the failed probe finishing');
    time.round();
    expect(probed).toHaveLength(3);
  });

  it('has nothing to ask an origin that confirmed no blob yet', () => {
    const { time, probes, probed, origin } = setup();
    probes.watch(origin('http://a'));
    time.round();
    expect(probed).toEqual([]);
  });

  it('leaves an open origin alone while it cools down, then the probe is its one trial', () => {
    const { time, breakers, probes, probed, origin } = setup();
    const a = origin('http://a', 'http://a/x');
    breakers.record(a, false);
    probes.watch(a);
    a.asked = true;
    time.round();
    expect(probed).toEqual([]);
    time.advance(30_000);
    time.round();
    expect(probed).toEqual(['http://a/x']);
    expect(a.state).toBe('half-open');
  });

  it('stops probing an origin nobody was sent to for idleMs, and the ticker with the last one', async () => {
    const { time, probes, inFlight, probed, origin } = setup({ intervalMs: 1000, idleMs: 2500 });
    const a = origin('http://a', 'http://a/x');
    /** A round whose probe is answered before the next one. */
    const answeredRound = async () => {
      time.round();
      inFlight.shift()?.resolve();
      await pollUntil(() => !a.probing, 1000, 'the probe finishing');
    };
    probes.watch(a);
    for (let round = 1; round <= 3; round++) await answeredRound(); // 2500 ms of idle rounds, rounded up to three
    expect(probed).toHaveLength(3);
    a.asked = true;
    await answeredRound(); // asked for again: the count starts over
    for (let round = 1; round <= 3; round++) await answeredRound();
    expect(a.watched).toBe(true);
    expect(probed).toHaveLength(7);
    time.round();
    expect(a.watched).toBe(false);
    expect(probed).toHaveLength(7);
    expect(time.running()).toBe(false);
    probes.watch(a);
    expect(time.running()).toBe(true);
    expect(time.starts()).toBe(2);
  });

  it('once closed, stops its ticker and watches nothing more', () => {
    const { time, probes, origin } = setup();
    const [a, b] = [origin('http://a', 'http://a/x'), origin('http://b', 'http://b/y')];
    probes.watch(a);
    probes.close();
    expect(time.running()).toBe(false);
    expect(a.watched).toBe(false);
    probes.watch(b);
    expect(b.watched).toBe(false);
    expect(time.running()).toBe(false);
  });
});

describe('unrefInterval', () => {
  it('ticks until stopped, and never keeps the process alive', async () => {
    const setInterval = jest.spyOn(global, 'setInterval');
    const clearInterval = jest.spyOn(global, 'clearInterval');
    try {
      let ticks = 0;
      const stop = unrefInterval(() => ticks++, 5);
      const timer = setInterval.mock.results[0]!.value as NodeJS.Timeout;
      expect(timer.hasRef()).toBe(false);
      await pollUntil(() => ticks >= 2, 5000, 'two ticks');
      stop();
      expect(clearInterval).toHaveBeenCalledWith(timer);
    } finally {
      setInterval.mockRestore();
      clearInterval.mockRestore();
    }
  });
});

/**
 * A backend on 127.0.0.1 holding a set of paths (200, else 404), or failing: every request answered 503, or
 * accepted and never answered.
 */
async function startBackend() {
  const blobs = new Set<string>();
  const heads: string[] = [];
  let failure: '503' | 'no answer' | undefined;
  const server = http.createServer((req, res) => {
    heads.push(req.url!);
    if (failure === 'no answer') return;
    res.writeHead(failure === '503' ? 503 : blobs.has(req.url!) ? 200 : 404);
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    blobs,
    heads,
    fail(how: typeof failure) {
      failure = how;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const OPTIONS: ExistenceOptions = {
  timeoutMs: 5000,
  maxEntries: 100,
  positiveTtlMs: 600_000,
  negativeTtlMs: 60_000,
  breakerFailureThreshold: 1,
  breakerCooldownMs: 30_000,
  probeIntervalMs: 1000,
};

const HIT_PRESENT = { present: true, cache: 'hit' };
const HIT_ABSENT = { present: false, cache: 'hit' };
const REFUSED = { present: false, cache: 'breaker-open' };
const MISS_PRESENT = { present: true, cache: 'miss' };
const MISS_ABSENT = { present: false, cache: 'miss' };

describe('ExistenceChecker', () => {
  let backend: Awaited<ReturnType<typeof startBackend>>;
  const checkers: ExistenceChecker[] = [];

  beforeEach(async () => {
    backend = await startBackend();
  });

  afterEach(async () => {
    for (const checker of checkers.splice(0)) checker.close();
    await backend.close();
  });

  function setup(options: Partial<ExistenceOptions> = {}, observer: ExistenceObserver = {}) {
    const time = manualTime();
    const seen = { heads: [] as string[], cache: [] as CacheResult[], breaker: [] as string[] };
    const existence = new ExistenceChecker(
      { ...OPTIONS, ...options },
      {
        head: (_origin, outcome) => seen.heads.push(outcome),
        cache: (result) => seen.cache.push(result),
        breaker: (_origin, state) => seen.breaker.push(state),
        ...observer,
      },
      time.clock,
    );
    checkers.push(existence);
    const blob = (name: string) => {
      backend.blobs.add(`/bucket/${name}`);
      return `${backend.url}/bucket/${name}`;
    };
    /** Runs a probe round and waits for its HEADs (one per watched backend) to be answered. */
    const probeRound = async (backends = 1) => {
      const before = seen.heads.length;
      time.round();
      await pollUntil(() => seen.heads.length >= before + backends, 5000, 'the probes answering');
    };
    return { existence, time, seen, blob, probeRound };
  }

  const known = (existence: ExistenceChecker, url: string, times: number) =>
    Array.from({ length: times }, () => existence.known(url));

  it('keeps at most maxEntries answers: the least recently used goes first', async () => {
    const { existence, blob } = setup({ maxEntries: 2 });
    const [a, b, c] = [blob('a'), blob('b'), blob('c')];
    await existence.exists(a);
    await existence.exists(b);
    expect(existence.known(a)).toEqual(HIT_PRESENT); // a is now more recent than b
    await existence.exists(c);
    expect([existence.known(a), existence.known(b), existence.known(c)]).toEqual([HIT_PRESENT, undefined, HIT_PRESENT]);
  });

  it.each([
    ['answers 503', (b: typeof backend) => b.fail('503'), 'error'],
    ['stops answering', (b: typeof backend) => b.fail('no answer'), 'timeout'],
    ['is stopped', (b: typeof backend) => b.close(), 'error'],
  ])(
    'stops sending clients to a backend that %s after one probe round, however warm the cache',
    async (_how, goDark, outcome) => {
      const { existence, seen, blob, probeRound } = setup({ timeoutMs: 200 });
      const url = blob('a');
      expect(await existence.exists(url)).toEqual(MISS_PRESENT);
      expect(new Set(known(existence, url, 100))).toEqual(new Set([HIT_PRESENT]));
      await goDark(backend);
      expect(existence.known(url)).toEqual(HIT_PRESENT); // the cache alone cannot know
      await probeRound();
      expect(new Set(known(existence, url, 100))).toEqual(new Set([REFUSED]));
      expect(backend.heads.length).toBeLessThanOrEqual(2); // the first check and one probe: no HEAD per request
      expect(seen.breaker).toEqual(['closed', 'open']);
      expect(seen.heads).toEqual(['present', outcome]);
    },
  );

  it('gives the backend its clients back once a probe after the cool-down finds it answering', async () => {
    const { existence, time, seen, blob, probeRound } = setup();
    const url = blob('a');
    await existence.exists(url);
    backend.fail('503');
    await probeRound();
    backend.fail(undefined);
    time.round(); // cooling down: no probe
    expect(backend.heads).toHaveLength(2);
    expect(existence.known(url)).toEqual(REFUSED);
    time.advance(OPTIONS.breakerCooldownMs);
    await probeRound();
    expect(existence.known(url)).toEqual(HIT_PRESENT);
    expect(seen.breaker).toEqual(['closed', 'open', 'half-open', 'closed']);
  });

  it('refuses an uncached check without a HEAD while the breaker is open; after the cool-down it is the trial', async () => {
    const { existence, time, seen, blob } = setup();
    backend.fail('503');
    expect(await existence.exists(blob('a'))).toEqual(MISS_ABSENT);
    expect(await existence.exists(blob('b'))).toEqual(REFUSED);
    expect(backend.heads).toHaveLength(1);
    backend.fail(undefined);
    time.advance(OPTIONS.breakerCooldownMs);
    expect(await existence.exists(blob('b'))).toEqual(MISS_PRESENT);
    expect(seen.breaker).toEqual(['closed', 'open', 'half-open', 'closed']);
  });

  it('sends clients to a blob that vanished for the positive TTL, no longer', async () => {
    const { existence, time, blob } = setup();
    const url = blob('a');
    await existence.exists(url);
    backend.blobs.clear();
    time.advance(OPTIONS.positiveTtlMs);
    expect(existence.known(url)).toEqual(HIT_PRESENT);
    time.advance(1);
    expect(existence.known(url)).toBeUndefined();
    expect(await existence.exists(url)).toEqual(MISS_ABSENT);
  });

  it('trusts "absent" for the negative TTL, then asks again', async () => {
    const { existence, time } = setup();
    const url = `${backend.url}/bucket/later`;
    expect(await existence.exists(url)).toEqual(MISS_ABSENT);
    backend.blobs.add('/bucket/later');
    time.advance(OPTIONS.negativeTtlMs);
    expect(existence.known(url)).toEqual(HIT_ABSENT);
    time.advance(1);
    expect(await existence.exists(url)).toEqual(MISS_PRESENT);
  });

  it('makes one HEAD for concurrent checks of one URL, present or absent, then answers from the cache', async () => {
    const { existence, seen, blob } = setup();
    const [present, absent] = [blob('a'), `${backend.url}/bucket/none`];
    expect(await Promise.all([existence.exists(present), existence.exists(present)])).toEqual([
      MISS_PRESENT,
      { present: true, cache: 'coalesced' },
    ]);
    expect(await Promise.all([existence.exists(absent), existence.exists(absent)])).toEqual([
      MISS_ABSENT,
      { present: false, cache: 'coalesced' },
    ]);
    expect(await existence.exists(present)).toEqual(HIT_PRESENT);
    expect(backend.heads).toHaveLength(2);
    expect(seen.cache).toEqual(['miss', 'coalesced', 'miss', 'coalesced', 'hit']);
  });

  it('drops every cached "present" of a backend whose confirmed blob the probe finds gone', async () => {
    const { existence, blob, probeRound, time } = setup();
    const other = await startBackend();
    try {
      const [a, b] = [blob('a'), blob('b')];
      other.blobs.add('/bucket/c');
      const c = `${other.url}/bucket/c`;
      for (const url of [a, b, c]) expect(await existence.exists(url)).toEqual(MISS_PRESENT);
      backend.blobs.clear(); // the bucket was emptied
      await probeRound(2); // probes b (this backend's latest confirmed blob) and c
      expect(existence.known(a)).toBeUndefined();
      expect(existence.known(b)).toBeUndefined();
      expect(existence.known(c)).toEqual(HIT_PRESENT);
      const heads = backend.heads.length;
      time.round(); // nothing confirmed there any more: nothing to probe until a check finds a blob
      expect(backend.heads).toHaveLength(heads);
      expect(await existence.exists(a)).toEqual(MISS_ABSENT);
    } finally {
      await other.close();
    }
  });

  it('stops probing a backend nobody is sent to, and starts again with the next cache hit', async () => {
    const intervalMs = PROBE_IDLE_MS / 2;
    const { existence, time, blob, probeRound } = setup({ probeIntervalMs: intervalMs });
    const url = blob('a');
    await existence.exists(url);
    await probeRound(); // asked for by the check itself
    await probeRound(); // idle, 1 of 2
    await probeRound(); // idle, 2 of 2
    time.round();
    expect(time.running()).toBe(false);
    expect(existence.known(url)).toEqual(HIT_PRESENT);
    expect(time.running()).toBe(true);
  });

  it('keeps probing a backend whose clients all come from the cache, however long', async () => {
    const intervalMs = PROBE_IDLE_MS / 2;
    const { existence, time, blob, probeRound } = setup({ probeIntervalMs: intervalMs });
    const url = blob('a');
    await existence.exists(url);
    for (let round = 1; round <= 4; round++) {
      expect(existence.known(url)).toEqual(HIT_PRESENT); // a client sent there between two rounds
      await probeRound();
    }
    expect(time.running()).toBe(true);
    expect(backend.heads).toHaveLength(1 + 4); // the first check, then one probe a round
  });

  it('a check that fails inside (here a throwing metrics hook) sends the client to the fallback', async () => {
    const { existence, blob } = setup(
      {},
      {
        head: () => {
          throw new Error('metrics hook failed');
        },
      },
    );
    expect(await existence.exists(blob('a'))).toEqual(MISS_ABSENT);
  });

  it('counts a URL that cannot be requested, and a refused https connection, as failures (no observer needed)', async () => {
    const existence = new ExistenceChecker(OPTIONS);
    checkers.push(existence);
    expect(await existence.exists('http://bad host/x')).toEqual(MISS_ABSENT);
    expect(await existence.exists('http://bad host/y')).toEqual(REFUSED);
    expect(await existence.exists('https://127.0.0.1:1/x')).toEqual(MISS_ABSENT);
  });
});
