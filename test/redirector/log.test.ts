/**
 * The log lines as Cloud Logging reads them: severity and message on every line, the request's trace from the
 * load balancer's header, and a pull line that is exactly the JSON pino writes for the same fields.
 */
import type { LogLevel } from '../../lib/redirector/config';
import {
  jsonString,
  parseTraceContext,
  RedirectorLog,
  SPAN_FIELD,
  TRACE_FIELD,
  traceContextHeader,
  type Pull,
} from '../../lib/redirector/log';
import { BREAKER_LINE } from '../../lib/redirector/log-lines';

const TRACE_ID = '105445aa7843bc8bf206b120001000ab';
const PROJECT = 'k8s-infra-prod-registry';

/** `project` null: no GOOGLE_CLOUD_PROJECT configured. */
function logTo(level: LogLevel, project: string | null = PROJECT) {
  const raw: string[] = [];
  const log = new RedirectorLog({
    level,
    region: 'us-central1',
    projectId: project ?? undefined,
    sink: { write: (line) => raw.push(line) },
  });
  const lines = () => raw.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { log, raw, lines };
}

describe('every line', () => {
  it.each([
    ['trace', 10, 'DEBUG'],
    ['debug', 20, 'DEBUG'],
    ['info', 30, 'INFO'],
    ['warn', 40, 'WARNING'],
    ['error', 50, 'ERROR'],
    ['fatal', 60, 'CRITICAL'],
  ] as const)('%s: level %d, severity %s, the text in message', (method, level, severity) => {
    const { log, lines } = logTo('trace');
    log.logger[method]({ port: 8080 }, 'listening');
    expect(lines()).toEqual([
      {
        level,
        severity,
        time: expect.any(Number),
        service: 'redirector',
        region: 'us-central1',
        port: 8080,
        message: 'listening',
      },
    ]);
  });

  it.each([
    ['silent', false, false],
    ['warn', false, false],
    ['info', true, false],
    ['debug', true, true],
  ] as const)('at %s: pull lines %s, debug lines %s', (level, pulls, debug) => {
    expect(logTo(level).log).toMatchObject({ pulls, debug });
  });
});

describe('the X-Cloud-Trace-Context header', () => {
  it.each([
    [`${TRACE_ID}/123456789012;o=1`, { traceId: TRACE_ID, spanId: '123456789012' }],
    [`${TRACE_ID}/18446744073709551615;o=0`, { traceId: TRACE_ID, spanId: '18446744073709551615' }],
    [`${TRACE_ID}/1`, { traceId: TRACE_ID, spanId: '1' }],
    [`${TRACE_ID}/0;o=1`, { traceId: TRACE_ID }],
    [`${TRACE_ID};o=1`, { traceId: TRACE_ID }],
    [TRACE_ID, { traceId: TRACE_ID }],
  ])('%s -> %j', (header, context) => {
    expect(parseTraceContext(header)).toEqual(context);
  });

  it.each([
    undefined,
    '',
    TRACE_ID.slice(1),
    `${TRACE_ID}0`,
    TRACE_ID.toUpperCase(),
    `${TRACE_ID}/`,
    `${TRACE_ID}/12a`,
    `${TRACE_ID}/123456789012345678901`,
    `${TRACE_ID}/00`,
    `${TRACE_ID}/012`,
    `${TRACE_ID}/1;o=`,
    `${TRACE_ID}/1;o=1 `,
    `"${TRACE_ID}"`,
    `${TRACE_ID}/1\n{"injected":true}`,
  ])('%j is ignored', (header) => {
    expect(parseTraceContext(header)).toBeUndefined();
  });

  it('is found by name in any case; the first one counts', () => {
    expect(traceContextHeader(['Host', 'h', 'x-cloud-trace-context', 'a', 'X-Cloud-Trace-Context', 'b'])).toBe('a');
    expect(traceContextHeader(['X-CLOUD-TRACE-CONTEXT', 'c'])).toBe('c');
    expect(traceContextHeader(['Host', 'h', 'X-Cloud-Trace-Contexts', 'd'])).toBeUndefined();
  });
});

describe('jsonString', () => {
  it.each([
    ['printable ASCII, quoted as it is', 'registry.k8s.io/kube-apiserver:v1.31.0 ~ !'],
    ['empty', ''],
    ['a quote', 'a"b'],
    ['a backslash', 'a\\b'],
    ['the last control character', 'a\u001fb'],
    ['DEL, after the last printable character', 'a\u007fb'],
    ['a non-ASCII letter', 'é'],
    ['a lone surrogate', 'a\ud800b'],
  ])('%s: what JSON.stringify writes', (_name, text) => {
    expect(jsonString(text)).toBe(JSON.stringify(text));
  });
});

describe('the pull line', () => {
  const located: Pull = {
    repository: 'pause',
    reference: '3.10',
    location: { cloud: 'aws', region: 'eu-west-1' },
    backend: 'upstream',
    status: 307,
  };
  const unlisted: Pull = { ...located, location: undefined, backend: 'signature-upstream' };
  const inShare: Pull = { ...located, inShare: true };
  const outOfShare: Pull = { ...located, inShare: false };
  const escaped: Pull = { ...located, repository: 'a"b\\c', reference: 'é\u0001' };
  const withSpan = ['X-Cloud-Trace-Context', `${TRACE_ID}/42;o=1`];
  const withoutSpan = ['x-cloud-trace-context', TRACE_ID];

  /** What pino writes for the same fields: the reference the pull line is held to, key order included. */
  function pinoLine(log: RedirectorLog, raw: string[], pull: Pull, rawHeaders: string[]) {
    log.logger.info(
      {
        repository: pull.repository,
        reference: pull.reference,
        clientCloud: pull.location?.cloud ?? null,
        clientRegion: pull.location?.region ?? null,
        upstreamRegion: 'us-central1',
        backend: pull.backend,
        status: pull.status,
        inShare: pull.inShare ?? null,
        ...log.traceFields(rawHeaders),
      },
      'image pull',
    );
    return raw.pop()!;
  }

  it.each([
    ['a located client, trace and span', located, withSpan, PROJECT],
    ['an unlisted client, trace without span', unlisted, withoutSpan, PROJECT],
    ['strings that need escaping, no trace header', escaped, [], PROJECT],
    ['a trace header but no project configured', located, withSpan, null],
    ['a client in its cloud share', inShare, withSpan, PROJECT],
    ['a client outside its cloud share', outOfShare, [], PROJECT],
  ])('%s: the JSON pino writes for the same fields', (_name, pull, rawHeaders, project) => {
    const { log, raw } = logTo('info', project);
    log.pull(pull, ['Host', 'registry.k8s.io', ...rawHeaders]);
    const ours = raw.pop()!;
    const reference = pinoLine(log, raw, pull, rawHeaders);
    const withoutTime = (line: string) => line.replace(/"time":\d+,/, '');
    expect(ours.endsWith('}\n')).toBe(true);
    expect(withoutTime(ours)).toBe(withoutTime(reference));
  });

  it('carries every field, severity, message and the trace that joins the load balancer entry', () => {
    const { log, lines } = logTo('info');
    const before = Date.now();
    log.pull(located, withSpan);
    log.pull(unlisted, []);
    const [first, second] = lines();
    expect(first).toEqual({
      level: 30,
      severity: 'INFO',
      time: expect.any(Number),
      service: 'redirector',
      region: 'us-central1',
      repository: 'pause',
      reference: '3.10',
      clientCloud: 'aws',
      clientRegion: 'eu-west-1',
      upstreamRegion: 'us-central1',
      backend: 'upstream',
      status: 307,
      inShare: null,
      [TRACE_FIELD]: `projects/${PROJECT}/traces/${TRACE_ID}`,
      [SPAN_FIELD]: '42',
      message: 'image pull',
    });
    expect(first!.time).toBeGreaterThanOrEqual(before);
    expect(first!.time).toBeLessThanOrEqual(Date.now());
    expect(second).toMatchObject({ clientCloud: null, clientRegion: null, backend: 'signature-upstream' });
    expect(Object.keys(second!)).not.toContain(TRACE_FIELD);
    expect(Object.keys(second!)).not.toContain(SPAN_FIELD);
  });

  it('says whether the client was in its cloud share: true, false, or null when no share applies', () => {
    const { log, lines } = logTo('info');
    log.pull(inShare, []);
    log.pull(outOfShare, []);
    log.pull(located, []);
    expect(lines().map((line) => line.inShare)).toEqual([true, false, null]);
  });
});

describe('the breaker line', () => {
  it.each([
    ['open', 40, 'WARNING'],
    ['half-open', 30, 'INFO'],
    ['closed', 30, 'INFO'],
  ] as const)('%s: level %d, severity %s, message, state and origin', (state, level, severity) => {
    const { log, lines } = logTo('info');
    log.breaker('https://mirror.example.com', state);
    expect(lines()).toEqual([
      {
        level,
        severity,
        time: expect.any(Number),
        service: 'redirector',
        region: 'us-central1',
        origin: 'https://mirror.example.com',
        state,
        message: 'breaker',
      },
    ]);
  });

  it('is the line the log-based metric counts (the vocabulary shared with the observability stack)', () => {
    const { log, lines } = logTo('info');
    log.breaker('https://mirror.example.com', BREAKER_LINE.openState);
    expect(lines()[0]).toMatchObject({ message: BREAKER_LINE.message, state: BREAKER_LINE.openState });
    expect(BREAKER_LINE).toEqual({ message: 'breaker', openState: 'open' });
  });
});

describe('trace fields for pino lines', () => {
  it('are the trace and the span, or the trace alone, or nothing', () => {
    const { log } = logTo('info');
    expect(log.traceFields(withHeader(`${TRACE_ID}/7;o=1`))).toEqual({
      [TRACE_FIELD]: `projects/${PROJECT}/traces/${TRACE_ID}`,
      [SPAN_FIELD]: '7',
    });
    expect(log.traceFields(withHeader(TRACE_ID))).toEqual({ [TRACE_FIELD]: `projects/${PROJECT}/traces/${TRACE_ID}` });
    expect(log.traceFields(withHeader('garbage'))).toBeUndefined();
    expect(log.traceFields([])).toBeUndefined();
    expect(logTo('info', null).log.traceFields(withHeader(TRACE_ID))).toBeUndefined();
  });

  function withHeader(value: string): string[] {
    return ['X-Cloud-Trace-Context', value];
  }
});
