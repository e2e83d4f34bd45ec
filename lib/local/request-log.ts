/**
 * What a backend itself says it served: one entry per request, from the registry's access log or the S3 stand-in's
 * own server. The end-to-end tests prove where bytes came from with these, never with the redirector's word.
 */
import { EventEmitter } from 'node:events';

export interface LoggedRequest {
  readonly method: string;
  /** The path, without the query. */
  readonly path: string;
  /** `?...` or empty. */
  readonly query: string;
  readonly status: number;
}

/** A position in a log: the entries recorded after it are `since(mark)`. */
export type LogMark = number;

const BARRIER_PARAMETER = 'local-log-barrier';

export class RequestLog {
  private readonly entries: LoggedRequest[] = [];
  private readonly recorded = new EventEmitter();
  private barriers = 0;

  record(entry: LoggedRequest): void {
    this.entries.push(entry);
    this.recorded.emit('entry', entry);
  }

  mark(): LogMark {
    return this.entries.length;
  }

  since(mark: LogMark = 0): readonly LoggedRequest[] {
    return this.entries.slice(mark).filter((entry) => !entry.query.includes(BARRIER_PARAMETER));
  }

  /**
   * Resolves once every request answered before this call is in the log. A backend that writes its log after the
   * response (the registry's access log) may lag behind its clients: `probe` sends one more request carrying a
   * unique query, and entries are written in order, so when the probe's entry arrives the earlier ones are in.
   */
  async barrier(probe: (query: string) => Promise<void>, timeoutMs = 10_000): Promise<void> {
    const query = `?${BARRIER_PARAMETER}=${++this.barriers}`;
    const arrived = this.waitFor((entry) => entry.query === query, timeoutMs);
    await probe(query);
    await arrived;
  }

  /** The first entry from now on that matches, or an error after `timeoutMs`. */
  waitFor(matches: (entry: LoggedRequest) => boolean, timeoutMs: number): Promise<LoggedRequest> {
    return new Promise((resolve, reject) => {
      const onEntry = (entry: LoggedRequest) => {
        if (!matches(entry)) return;
        stopWaiting();
        resolve(entry);
      };
      const timer = setTimeout(() => {
        stopWaiting();
        reject(new Error(`no matching request was logged within ${timeoutMs} ms`));
      }, timeoutMs);
      const stopWaiting = () => {
        clearTimeout(timer);
        this.recorded.off('entry', onEntry);
      };
      this.recorded.on('entry', onEntry);
    });
  }
}

/** Splits a request target into path and query. */
export function splitTarget(target: string): { path: string; query: string } {
  const q = target.indexOf('?');
  return q < 0 ? { path: target, query: '' } : { path: target.slice(0, q), query: target.slice(q) };
}

/**
 * One line of an access log in the Common/Combined Log Format (the registry's): the request line and the status,
 * or undefined for any other line.
 */
export function parseAccessLogLine(line: string): LoggedRequest | undefined {
  const match = /^\S+ \S+ \S+ \[[^\]]*\] "(\S+) (\S+) [^"]*" (\d{3}) /.exec(line);
  if (!match) return undefined;
  return { method: match[1]!, ...splitTarget(match[2]!), status: Number(match[3]) };
}
