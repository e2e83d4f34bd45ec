/**
 * The public edge: HTTP/1.1 on node:net, for a service that only answers bodiless requests. node:http's
 * IncomingMessage and ServerResponse streams, and the ticks they schedule, cost about as much CPU per request as
 * everything the redirector decides (docs/benchmarks.md); this server frames requests by their empty line, reads
 * each head strictly (head.ts), hands the handler one exchange, and writes its answer with one call.
 *
 * One request per connection is handled at a time; pipelined requests wait in the connection's buffer (reading
 * pauses once that holds more than a head's worth) and are answered in order. A connection's time-outs are
 * checked by one sweep for all connections, as node:http does, so no timer is armed per request.
 */
import net from 'node:net';
import { answerText, refusalText, type Answer, type Persistence } from './answer';
import { isRejection, parseRequestHead, refusalOfPartialHead, type HeadRejection, type RequestHead } from './head';

export interface Http1Limits {
  /** Largest request head, in bytes, request line and empty line included; a larger one is answered 431. */
  readonly maxHeaderSize: number;
  /** Time from a connection's start, or from the first byte of a request on an idle one, to its complete head. */
  readonly headersTimeoutMs: number;
  /** Time a connection may stay idle between answers. */
  readonly keepAliveTimeoutMs: number;
}

const CUT_SHORT: HeadRejection = { reason: 'the connection was half-closed inside a request head' };

/** One request and the means to answer it, once. */
export class Http1Exchange {
  /** True once the answer was handed to the connection (or the connection was cut). */
  answered = false;

  constructor(
    private readonly connection: Connection,
    private readonly head: RequestHead,
  ) {}

  get method(): string {
    return this.head.method;
  }

  get url(): string {
    return this.head.target;
  }

  get rawHeaders(): readonly string[] {
    return this.head.rawHeaders;
  }

  get remoteAddress(): string | undefined {
    return this.connection.remoteAddress;
  }

  /** Writes the answer; throws (writing nothing) if a header value cannot be sent. */
  answer(answer: Answer): void {
    if (this.answered) throw new Error('this request was already answered');
    this.connection.answer(answer, this.head);
    this.answered = true;
  }

  /** Cuts the connection: for a failure after the answer was written, when nothing else can be said. */
  abort(): void {
    this.answered = true;
    this.connection.socket.destroy();
  }
}

export type Http1Handler = (exchange: Http1Exchange) => void;

export class Http1Server {
  readonly server: net.Server;
  private readonly connections = new Set<Connection>();
  private readonly sweepMs: number;
  private sweeper: NodeJS.Timeout | undefined;
  /** Sweeps since start: the clock connections' deadlines are counted in. */
  clock = 0;
  /** The Date field's value, renewed by the sweep. */
  date = new Date().toUTCString();
  draining = false;

  constructor(
    readonly limits: Http1Limits,
    readonly handler: Http1Handler,
  ) {
    // A deadline is checked at most a quarter of the shortest time-out late, and at least once a second for the date.
    this.sweepMs = Math.max(
      10,
      Math.min(1000, Math.floor(Math.min(limits.headersTimeoutMs, limits.keepAliveTimeoutMs) / 4)),
    );
    this.server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
      this.connections.add(new Connection(this, socket));
    });
  }

  /** Listens on `port` (0: any free one) and `address`; resolves with the port. */
  async listen(port: number, address: string): Promise<number> {
    const listening = await listenOn(this.server, port, address);
    this.sweeper = setInterval(() => this.sweep(), this.sweepMs).unref();
    return listening;
  }

  /**
   * Stops accepting, closes idle connections at once, lets requests being answered finish (their answers carry
   * `connection: close`), and cuts what is still open after `graceMs`. Resolves once every connection is closed.
   */
  async close(graceMs: number): Promise<void> {
    this.draining = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const connection of this.connections) connection.closeIfIdle();
    const cut = setTimeout(() => {
      for (const connection of this.connections) connection.socket.destroy();
    }, graceMs);
    await closed;
    clearTimeout(cut);
    clearInterval(this.sweeper);
  }

  /** Deadline, in sweeps, `ms` from now: never early. */
  deadline(ms: number): number {
    return this.clock + Math.ceil(ms / this.sweepMs) + 1;
  }

  forget(connection: Connection): void {
    this.connections.delete(connection);
  }

  private sweep(): void {
    this.clock++;
    this.date = new Date().toUTCString();
    for (const connection of this.connections) connection.expireIfLate(this.clock);
  }
}

/** Listens on `port` (0: any free one) and `address` (node:http's servers are net servers too); resolves with the port. */
export function listenOn(server: net.Server, port: number, address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(port, address, () => {
      server.off('error', onError);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

/** One client connection: its unread bytes, and whether a request of it is being answered. */
class Connection {
  readonly remoteAddress: string | undefined;
  /** Bytes received and not yet read as a request, one latin1 character per byte. */
  private pending = '';
  private busy = false;
  /** No more requests are read: the connection is closing. */
  private done = false;
  private readEnded = false;
  private reading = false;
  /** The sweep after which the connection is cut (idle, or a head too slow to arrive). */
  private expires: number;

  constructor(
    private readonly owner: Http1Server,
    readonly socket: net.Socket,
  ) {
    this.remoteAddress = socket.remoteAddress;
    this.expires = owner.deadline(owner.limits.headersTimeoutMs);
    socket.on('data', (chunk: Buffer) => this.received(chunk));
    socket.on('end', () => this.ended());
    socket.on('drain', () => this.read());
    socket.on('error', () => socket.destroy());
    socket.on('close', () => owner.forget(this));
  }

  answer(answer: Answer, head: RequestHead): void {
    const keepAlive = head.keepAlive && !this.owner.draining;
    const persistence: Persistence = keepAlive ? (head.version === 'HTTP/1.0' ? 'keep-alive' : 'default') : 'close';
    const text = answerText(answer, head.method === 'HEAD', persistence, this.owner.date);
    if (!keepAlive) this.done = true;
    this.busy = false;
    const flowing = this.socket.write(text);
    if (this.done) {
      this.finish();
      return;
    }
    this.expires = this.owner.deadline(this.owner.limits.keepAliveTimeoutMs);
    if (flowing && !this.reading) this.read();
  }

  closeIfIdle(): void {
    if (!this.busy) this.socket.destroy();
  }

  expireIfLate(clock: number): void {
    if (this.busy || clock < this.expires) return;
    if (this.pending.length > 0) this.refuse(408, 'the request head took too long to arrive', this.pending);
    else this.socket.destroy();
  }

  private received(chunk: Buffer): void {
    if (this.done) return;
    if (this.pending.length === 0 && !this.busy) this.expires = this.owner.deadline(this.owner.limits.headersTimeoutMs);
    this.pending += chunk.toString('latin1');
    if (!this.reading) this.read();
  }

  private ended(): void {
    this.readEnded = true;
    if (!this.reading) this.read();
  }

  /** Reads and hands on requests while none is being answered and the client takes our answers. */
  private read(): void {
    this.reading = true;
    while (!this.busy && !this.done && !this.socket.writableNeedDrain) {
      const head = this.nextHead();
      if (head === undefined) break;
      this.busy = true;
      this.owner.handler(new Http1Exchange(this, head));
    }
    this.reading = false;
    if (this.done) return;
    if (!this.busy && this.pending.length === 0 && this.readEnded) {
      // The client sent everything, and every request of it was answered.
      this.finish();
      return;
    }
    // Requests wait unread while one is answered or the client does not take our answers; past a head's worth of
    // them, reading pauses.
    if (this.pending.length > this.owner.limits.maxHeaderSize) this.socket.pause();
    else if (this.socket.isPaused()) this.socket.resume();
  }

  /** The next complete head in the buffer, taken out of it; undefined when none is complete yet or it was refused. */
  private nextHead(): RequestHead | undefined {
    let text = this.pending;
    // RFC 9112 2.2: empty lines before a request line are skipped (some clients send one after a body).
    let start = 0;
    while (text.startsWith('\r\n', start)) start += 2;
    if (start > 0) this.pending = text = text.slice(start);
    const max = this.owner.limits.maxHeaderSize;
    const end = text.indexOf('\r\n\r\n');
    if (end < 0 || end + 4 > max) {
      if (text.length > max || end >= 0) {
        this.refuse(431, `the request head is larger than ${max} bytes`, text);
        return undefined;
      }
      const early = refusalOfPartialHead(text) ?? (this.readEnded && text.length > 0 ? CUT_SHORT : undefined);
      if (early) this.refuse(400, early.reason, text);
      return undefined;
    }
    this.pending = end + 4 === text.length ? '' : text.slice(end + 4);
    const head = parseRequestHead(text.slice(0, end + 2));
    if (!isRejection(head)) return head;
    this.refuse(400, head.reason, text);
    return undefined;
  }

  /** Answers a request that will not be handled (without a body if it looks like a HEAD: `text`), and closes. */
  private refuse(status: number, reason: string, text: string): void {
    this.finish(refusalText(status, reason, text.startsWith('HEAD '), this.owner.date));
  }

  /**
   * Ends our side after `last`. Bytes the client still sends are read and dropped (closing with them unread would
   * reset the connection and could lose the answer), for at most a head's time-out.
   */
  private finish(last = ''): void {
    this.done = true;
    this.pending = '';
    this.expires = this.owner.deadline(this.owner.limits.headersTimeoutMs);
    this.socket.end(last);
  }
}
