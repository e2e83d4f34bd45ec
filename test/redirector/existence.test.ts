import { CircuitBreakers, originOf, outcomeOf, type BreakerState } from '../../lib/redirector/existence';

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
    let now = 1_000;
    const changes: string[] = [];
    const breakers = new CircuitBreakers(
      threshold,
      30_000,
      (origin, state: BreakerState) => changes.push(`${origin} ${state}`),
      () => now,
    );
    return { breakers, changes, advance: (ms: number) => (now += ms) };
  }

  it('opens after the threshold of consecutive failures, per origin', () => {
    const { breakers, changes } = setup(2);
    breakers.record('http://a', false);
    expect(breakers.allow('http://a')).toBe(true);
    breakers.record('http://a', false);
    expect(breakers.allow('http://a')).toBe(false);
    expect(breakers.allow('http://b')).toBe(true);
    expect(changes).toEqual(['http://a open']);
  });

  it('a success resets the failure count', () => {
    const { breakers, changes } = setup(2);
    breakers.record('http://a', false);
    breakers.record('http://a', true);
    breakers.record('http://a', false);
    expect(breakers.isOpen('http://a')).toBe(false);
    expect(breakers.allow('http://a')).toBe(true);
    expect(changes).toEqual([]);
  });

  it('lets exactly one probe through after the cool-down; its result closes or reopens', () => {
    const { breakers, changes, advance } = setup(1);
    breakers.record('http://a', false);
    advance(29_999);
    expect(breakers.isOpen('http://a')).toBe(true);
    expect(breakers.allow('http://a')).toBe(false);
    advance(1);
    expect(breakers.isOpen('http://a')).toBe(false);
    expect(breakers.allow('http://a')).toBe(true);
    expect(breakers.allow('http://a')).toBe(false); // the probe is in flight
    breakers.record('http://a', false);
    expect(breakers.isOpen('http://a')).toBe(true);
    advance(30_000);
    expect(breakers.allow('http://a')).toBe(true);
    breakers.record('http://a', true);
    expect(breakers.allow('http://a')).toBe(true);
    expect(changes).toEqual([
      'http://a open',
      'http://a half-open',
      'http://a open',
      'http://a half-open',
      'http://a closed',
    ]);
  });
});
