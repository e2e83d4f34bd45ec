/**
 * The redirector's log: one JSON object a line on stdout, in the shape Cloud Logging reads as a structured entry.
 * Every line carries pino's numeric `level` and Cloud Logging's `severity`, and its text in `message`; a line about a
 * request carries the request's trace (`logging.googleapis.com/trace`, and `logging.googleapis.com/spanId` when
 * the header names one) from the load balancer's `X-Cloud-Trace-Context` header, so that Logs Explorer shows it
 * inside the load balancer's entry for the same request.
 *
 * Lines are written by pino, except the one written per image pull: that line is assembled from JSON fragments
 * built once (the field names, the service's own values, each client location), with the repository and the
 * reference quoted as they are when they hold nothing JSON escapes (always, for the names and references route.ts
 * lets through). It is the same JSON as pino's line with the same fields (the tests hold it to that), at a fraction
 * of the cost: pino took about a third of a manifest redirect's CPU time.
 */
import pino, { type Logger } from 'pino';
import { cloudLoggingOptions, SEVERITY } from '../config/cloud-logging';
import type { LogLevel } from './config';
import type { DecisionLabel } from './decide';
import { BREAKER_LINE, PULL_MESSAGE } from './log-lines';
import type { LineSink } from './log-output';
import type { BreakerState } from './mirror-health';
import type { ClientLocation } from './range-index';

export const SERVICE_NAME = 'redirector';

export const TRACE_FIELD = 'logging.googleapis.com/trace';
export const SPAN_FIELD = 'logging.googleapis.com/spanId';
const TRACE_HEADER = 'x-cloud-trace-context';
/** The header's name as the load balancer writes it: compared as it is before any case folding. */
const TRACE_HEADER_AS_SENT = 'X-Cloud-Trace-Context';

/**
 * `TRACE_ID/SPAN_ID;o=OPTIONS` as the load balancer sends it: a 32-hex-digit trace id, then optionally a decimal
 * span id (0: none, as Google's own client libraries read it) and the sampling option. Anything else is ignored
 * (the line is written without a trace). Tested, not executed: the ids are then cut out of the header by position,
 * which spares the match's array and strings on every pull.
 */
const TRACE_CONTEXT = /^[0-9a-f]{32}(?:\/(?:0|[1-9][0-9]{0,19}))?(?:;o=[0-9])?$/;
const TRACE_ID_LENGTH = 32;

/** The trace and span ids of a request. */
export interface TraceContext {
  readonly traceId: string;
  /** Absent when the header names none, or span 0. */
  readonly spanId?: string;
}

/** The `X-Cloud-Trace-Context` header's ids, or undefined when the header is absent or malformed. */
export function parseTraceContext(header: string | undefined): TraceContext | undefined {
  if (header === undefined || !TRACE_CONTEXT.test(header)) return undefined;
  const traceId = header.slice(0, TRACE_ID_LENGTH);
  const spanId = spanIdOf(header);
  return spanId === '' ? { traceId } : { traceId, spanId };
}

/** The span id of a header TRACE_CONTEXT accepts: the digits after the "/", or '' when it names none (or 0). */
function spanIdOf(header: string): string {
  if (header[TRACE_ID_LENGTH] !== '/') return '';
  const options = header.indexOf(';', TRACE_ID_LENGTH);
  const spanId = header.slice(TRACE_ID_LENGTH + 1, options < 0 ? header.length : options);
  return spanId === '0' ? '' : spanId;
}

/** The first `X-Cloud-Trace-Context` value in node's raw header list (name, value, name, value, ...). */
export function traceContextHeader(rawHeaders: readonly string[]): string | undefined {
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    // The load balancer's spelling first: a lower-cased copy of the name costs more than the rest of the loop.
    if (name.length !== TRACE_HEADER.length) continue;
    if (name === TRACE_HEADER_AS_SENT || name.toLowerCase() === TRACE_HEADER) return rawHeaders[i + 1];
  }
  return undefined;
}

/** One image pull (a manifest GET), as its info line records it. */
export interface Pull {
  readonly repository: string;
  readonly reference: string;
  /** Where the client is; undefined for a client in no donor's ranges. */
  readonly location: ClientLocation | undefined;
  readonly backend: DecisionLabel;
  readonly status: number;
  /**
   * Whether the client is in its cloud's mirror share (decide's `inShare`: its blobs go to the mirror); undefined
   * when no share applies. The line's `inShare` field: true, false or null.
   */
  readonly inShare?: boolean;
}

export interface RedirectorLogOptions {
  readonly level: LogLevel;
  /** The redirector's region (the `region` of every line, and the pull line's `upstreamRegion`). */
  readonly region: string;
  /** The Google Cloud project of the load balancer's traces; without it, lines carry no trace. */
  readonly projectId?: string;
  readonly sink: LineSink;
}

/** The pull line's `inShare` field: true, false, or null when no share applies. */
function inShareJson(inShare: boolean | undefined): string {
  return inShare === undefined ? ',"inShare":null' : inShare ? ',"inShare":true' : ',"inShare":false';
}

/**
 * `text` as a JSON string. Printable ASCII without a quote or a backslash is quoted as it is: a scan of its
 * characters costs about a third of JSON.stringify's call (measured on a repository and a reference), and it is
 * every pull's case.
 */
export function jsonString(text: string): string {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code > 0x7e || code === 0x22 || code === 0x5c) return JSON.stringify(text);
  }
  return `"${text}"`;
}

/** `,"name":value` */
function field(name: string, value: unknown): string {
  return `,${JSON.stringify(name)}:${JSON.stringify(value)}`;
}

export class RedirectorLog {
  /** For every line but the pull line. */
  readonly logger: Logger;
  /** Whether info lines (the pull line) are written: checked once, not per request. */
  readonly pulls: boolean;
  /** Whether debug lines (one per request) are written. */
  readonly debug: boolean;
  private readonly sink: LineSink;
  /** `projects/<project>/traces/`, or '' when no project is configured (then no line carries a trace). */
  private readonly traceResource: string;
  /** `,"logging.googleapis.com/trace":"projects/<project>/traces/` */
  private readonly traceStart: string;
  // The pull line's fixed fragments, in pino's order: level, time, the service's fields, the pull's, the message.
  private readonly pullStart: string;
  private readonly pullService: string;
  private readonly pullUpstream: string;
  private readonly pullEnd: string;
  private readonly unlocated: string;
  private readonly located = new Map<ClientLocation, string>();

  constructor(options: RedirectorLogOptions) {
    const service = { service: SERVICE_NAME, region: options.region };
    this.sink = options.sink;
    this.logger = pino({ level: options.level, base: service, ...cloudLoggingOptions }, options.sink);
    this.pulls = this.logger.isLevelEnabled('info');
    this.debug = this.logger.isLevelEnabled('debug');
    this.traceResource = options.projectId === undefined ? '' : `projects/${options.projectId}/traces/`;
    this.traceStart = field(TRACE_FIELD, this.traceResource).slice(0, -1);
    this.pullStart = `{"level":${pino.levels.values.info},"severity":"${SEVERITY.info}","time":`;
    this.pullService = Object.entries(service)
      .map(([name, value]) => field(name, value))
      .join('');
    this.pullUpstream = field('upstreamRegion', options.region);
    this.pullEnd = `${field('message', PULL_MESSAGE)}}\n`;
    this.unlocated = field('clientCloud', null) + field('clientRegion', null);
  }

  /** The info line of an image pull. */
  pull(pull: Pull, rawHeaders: readonly string[]): void {
    this.sink.write(
      this.pullStart +
        Date.now() +
        this.pullService +
        ',"repository":' +
        jsonString(pull.repository) +
        ',"reference":' +
        jsonString(pull.reference) +
        this.client(pull.location) +
        this.pullUpstream +
        ',"backend":"' +
        pull.backend +
        '","status":' +
        pull.status +
        inShareJson(pull.inShare) +
        this.traceJson(rawHeaders) +
        this.pullEnd,
    );
  }

  /** The line of a change of a backend's circuit breaker: WARNING when it opens, INFO otherwise. */
  breaker(origin: string, state: BreakerState): void {
    const fields = { origin, state };
    if (state === BREAKER_LINE.openState) this.logger.warn(fields, BREAKER_LINE.message);
    else this.logger.info(fields, BREAKER_LINE.message);
  }

  /** The trace fields of a request, to merge into a pino line (e.g. `{ ...log.traceFields(headers), route }`). */
  traceFields(rawHeaders: readonly string[]): Record<string, string> | undefined {
    const trace = this.trace(rawHeaders);
    if (!trace) return undefined;
    const fields: Record<string, string> = { [TRACE_FIELD]: this.traceResource + trace.traceId };
    if (trace.spanId !== undefined) fields[SPAN_FIELD] = trace.spanId;
    return fields;
  }

  private trace(rawHeaders: readonly string[]): TraceContext | undefined {
    return this.traceResource === '' ? undefined : parseTraceContext(traceContextHeader(rawHeaders));
  }

  /** The trace fields as JSON text (`,"logging.googleapis.com/trace":"...",...`), or '' without a trace. */
  private traceJson(rawHeaders: readonly string[]): string {
    if (this.traceResource === '') return '';
    const header = traceContextHeader(rawHeaders);
    if (header === undefined || !TRACE_CONTEXT.test(header)) return '';
    // The ids are hex and decimal digits (held to that by TRACE_CONTEXT): nothing to escape.
    const spanId = spanIdOf(header);
    const span = spanId === '' ? '' : `,"${SPAN_FIELD}":"${spanId}"`;
    return `${this.traceStart}${header.slice(0, TRACE_ID_LENGTH)}"${span}`;
  }

  private client(location: ClientLocation | undefined): string {
    if (location === undefined) return this.unlocated;
    let json = this.located.get(location);
    if (json === undefined) {
      json = field('clientCloud', location.cloud) + field('clientRegion', location.region);
      this.located.set(location, json);
    }
    return json;
  }
}
