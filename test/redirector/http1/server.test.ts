/**
 * The public edge through real sockets: framing, persistence, pipelining, refusals, time-outs, back-pressure and
 * drain, each seen from a raw client that reads the answers byte by byte as a proxy in front of us would.
 */
import net from 'node:net';
import { Http1Server, listenOn, type Http1Exchange, type Http1Limits } from '../../../lib/redirector/http1/server';

const LIMITS: Http1Limits = { maxHeaderSize: 1024, headersTimeoutMs: 60_000, keepAliveTimeoutMs: 60_000 };
/** Time-outs short enough to be waited for (the sweep runs every 25 ms with them). */
const QUICK: Http1Limits = { maxHeaderSize: 1024, headersTimeoutMs: 100, keepAliveTimeoutMs: 100 };
/** Longer than any wait a passing test has: a test waiting this long has failed. */
const GUARD_MS = 5000;

interface Parsed {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A raw client connection: what was received, the answers in it, and its end. */
class RawClient {
  readonly socket: net.Socket;
  received = '';
  readonly closed: Promise<void>;
  private isClosed = false;
  private waiters: (() => void)[] = [];

  /** `lingering`: the client keeps its side open after the server ends its own (node's default ends it too). */
  constructor(port: number, lingering = false) {
    this.socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: lingering });
    this.socket.setEncoding('latin1');
    this.socket.on('data', (chunk: string) => {
      this.received += chunk;
      this.wake();
    });
    // A server that refuses may reset a connection it did not read to the end.
    this.socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      this.socket.on('close', () => {
        this.isClosed = true;
        this.wake();
        resolve();
      }),
    );
  }

  send(text: string): void {
    this.socket.write(Buffer.from(text, 'latin1'));
  }

  /** The first `count` answers, once they have all arrived (HEAD answers: pass their methods). */
  async answers(count: number, heads: readonly boolean[] = []): Promise<Parsed[]> {
    const deadline = Date.now() + GUARD_MS;
    for (;;) {
      const parsed = parseAnswers(this.received, heads);
      if (parsed.length >= count) return parsed.slice(0, count);
      if (this.isClosed)
        throw new Error(
          `closed after ${parsed.length} of ${count} answers: ${JSON.stringify(this.received.slice(0, 300))}`,
        );
      if (Date.now() > deadline)
        throw new Error(`no ${count} answers in ${GUARD_MS} ms: ${JSON.stringify(this.received.slice(0, 300))}`);
      await this.next();
    }
  }

  /** Resolves once the server closed the connection. */
  async end(): Promise<void> {
    let guard: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      guard = setTimeout(() => reject(new Error(`still open after ${GUARD_MS} ms`)), GUARD_MS);
    });
    try {
      await Promise.race([this.closed, late]);
    } finally {
      clearTimeout(guard);
    }
  }

  private next(): Promise<void> {
    return new Promise((resolve) => {
      // Woken by data or the close; the timer only lets the caller notice its deadline.
      const guard = setTimeout(resolve, GUARD_MS);
      this.waiters.push(() => {
        clearTimeout(guard);
        resolve();
      });
    });
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }
}

/** Answers in order, each framed by its Content-Length (none for a HEAD's). */
function parseAnswers(text: string, heads: readonly boolean[]): Parsed[] {
  const answers: Parsed[] = [];
  let at = 0;
  for (;;) {
    const end = text.indexOf('\r\n\r\n', at);
    if (end < 0) return answers;
    const [statusLine, ...lines] = text.slice(at, end).split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = heads[answers.length] ? 0 : Number(headers['content-length'] ?? 0);
    if (text.length < end + 4 + length) return answers;
    answers.push({ status: Number(statusLine!.split(' ')[1]), headers, body: text.slice(end + 4, end + 4 + length) });
    at = end + 4 + length;
  }
}

/** A server whose handler records each exchange and answers it at once with 200 and its target as the body. */
async function startServer(
  limits: Http1Limits = LIMITS,
  handler: (exchange: Http1Exchange) => void = (exchange) =>
    exchange.answer({ status: 200, body: { contentType: 'text/plain', text: exchange.url } }),
) {
  const seen: Http1Exchange[] = [];
  const server = new Http1Server(limits, (exchange) => {
    seen.push(exchange);
    handler(exchange);
  });
  const port = await server.listen(0, '127.0.0.1');
  const clients: RawClient[] = [];
  return {
    server,
    seen,
    connect: (lingering = false) => {
      const client = new RawClient(port, lingering);
      clients.push(client);
      return client;
    },
    stop: async () => {
      for (const client of clients) client.socket.destroy();
      await server.close(0);
    },
  };
}

type Started = Awaited<ReturnType<typeof startServer>>;

/** Runs `body` against a fresh server, always stopped afterwards. */
async function withServer(
  body: (started: Started) => Promise<void>,
  limits?: Http1Limits,
  handler?: (exchange: Http1Exchange) => void,
): Promise<void> {
  const started = await startServer(limits, handler);
  try {
    await body(started);
  } finally {
    await started.stop();
  }
}

const get = (target: string, extra = '') => `GET ${target} HTTP/1.1\r\nHost: registry\r\n${extra}\r\n`;

describe('the HTTP/1.1 edge', () => {
  it("answers a GET with the handler's status, body and a date, and keeps the connection open", () =>
    withServer(async ({ connect, seen }) => {
      const client = connect();
      client.send(get('/v2/', 'X-Forwarded-For: 1.2.3.4\r\n'));
      const [answer] = await client.answers(1);
      expect(answer).toEqual({
        status: 200,
        headers: {
          'content-type': 'text/plain',
          'content-length': '4',
          date: expect.stringMatching(/^\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT$/),
        },
        body: '/v2/',
      });
      expect(client.received.startsWith('HTTP/1.1 200 OK\r\n')).toBe(true);
      expect(seen[0]).toMatchObject({
        method: 'GET',
        url: '/v2/',
        rawHeaders: ['Host', 'registry', 'X-Forwarded-For', '1.2.3.4'],
        remoteAddress: '127.0.0.1',
      });
      client.send(get('/again'));
      expect((await client.answers(2))[1]!.body).toBe('/again');
    }));

  it('answers a HEAD without the body but with its length', () =>
    withServer(async ({ connect }) => {
      const client = connect();
      client.send('HEAD /v2/ HTTP/1.1\r\nHost: registry\r\n\r\n');
      client.send(get('/next'));
      const answers = await client.answers(2, [true]);
      expect(answers.map((a) => [a.headers['content-length'], a.body])).toEqual([
        ['4', ''],
        ['5', '/next'],
      ]);
    }));

  it('answers pipelined requests in order, also when the first is answered later', () => {
    let release: () => void = () => undefined;
    return withServer(
      async ({ connect, seen }) => {
        const client = connect();
        client.send(get('/slow') + get('/fast') + get('/last'));
        await until(() => seen.length === 1);
        // The second request is not read while the first waits for its answer.
        expect(seen.map((e) => e.url)).toEqual(['/slow']);
        release();
        expect((await client.answers(3)).map((a) => a.body)).toEqual(['/slow', '/fast', '/last']);
      },
      LIMITS,
      (exchange) => {
        const answer = () => exchange.answer({ status: 200, body: { contentType: 'text/plain', text: exchange.url } });
        if (exchange.url === '/slow') release = answer;
        else answer();
      },
    );
  });

  it('reads a head sent one byte at a time, and skips empty lines before a request line', () =>
    withServer(async ({ connect }) => {
      const client = connect();
      for (const char of `\r\n\r\n${get('/bytes')}`) {
        client.send(char);
        await new Promise((resolve) => client.socket.write('', resolve));
      }
      expect((await client.answers(1))[0]!.body).toBe('/bytes');
    }));

  describe('persistence', () => {
    it.each([
      ['HTTP/1.1 with Connection: close', get('/', 'Connection: close\r\n'), 'close'],
      ['HTTP/1.0 by default', 'GET / HTTP/1.0\r\n\r\n', 'close'],
      ['a request announcing a body', get('/', 'Content-Length: 3\r\n') + 'abc', 'close'],
      ['a chunked request', get('/', 'Transfer-Encoding: chunked\r\n') + '0\r\n\r\n', 'close'],
    ])('%s: answered with connection: close, then closed', (_, request, connection) =>
      withServer(async ({ connect, seen }) => {
        const client = connect();
        client.send(request);
        const [answer] = await client.answers(1);
        expect(answer!.headers.connection).toBe(connection);
        await client.end();
        expect(seen).toHaveLength(1);
      }),
    );

    it('HTTP/1.0 with Connection: keep-alive: answered with connection: keep-alive and kept open', () =>
      withServer(async ({ connect }) => {
        const client = connect();
        client.send('GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
        expect((await client.answers(1))[0]!.headers.connection).toBe('keep-alive');
        client.send('GET /b HTTP/1.0\r\n\r\n');
        const answers = await client.answers(2);
        expect(answers[1]).toMatchObject({ body: '/b', headers: { connection: 'close' } });
        await client.end();
      }));

    it('drops what a client sends after a connection: close answer, and closes once it is done', () =>
      withServer(async ({ connect, seen }) => {
        const client = connect();
        client.send(get('/', 'Connection: close\r\n'));
        await client.answers(1);
        client.send(get('/ignored'));
        client.socket.end();
        await client.end();
        expect(seen).toHaveLength(1);
      }));

    it("cuts a client that lingers after a connection: close answer a head's time-out after that answer", () => {
      let release: () => void = () => undefined;
      return withServer(
        async ({ connect, seen, server }) => {
          const client = connect(true);
          client.send(get('/', 'Connection: close\r\n'));
          await until(() => seen.length === 1);
          // Answered only after the request's own head deadline has passed: the linger counts from the answer.
          const clock = server.clock;
          await until(() => server.clock >= clock + 8);
          release();
          await client.answers(1);
          const answered = Date.now();
          // The server's side: a client that keeps its own side open sees nothing of the cut until it writes.
          await until(() => socketOf(seen[0]!).destroyed);
          // QUICK's head time-out is 100 ms; a cut from the request's deadline would come within a sweep (25 ms).
          expect(Date.now() - answered).toBeGreaterThanOrEqual(75);
        },
        QUICK,
        (exchange) => {
          release = () => exchange.answer({ status: 204 });
        },
      );
    });

    it('never reads a body as the next request (no smuggling)', () =>
      withServer(async ({ connect, seen }) => {
        const client = connect();
        const smuggled = get('/smuggled');
        client.send(get('/', `Content-Length: ${smuggled.length}\r\n`) + smuggled);
        await client.answers(1);
        await client.end();
        expect(seen.map((e) => e.url)).toEqual(['/']);
      }));

    it('answers every request of a client that half-closed, then closes', () =>
      withServer(async ({ connect }) => {
        const client = connect();
        client.socket.end(Buffer.from(get('/1') + get('/2'), 'latin1'));
        expect((await client.answers(2)).map((a) => a.body)).toEqual(['/1', '/2']);
        await client.end();
      }));

    it('answers 400 when a client half-closed inside a head', () =>
      withServer(async ({ connect, seen }) => {
        const client = connect();
        client.socket.end(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n', 'latin1'));
        const [answer] = await client.answers(1);
        expect(answer).toMatchObject({ status: 400, body: 'the connection was half-closed inside a request head\n' });
        await client.end();
        expect(seen).toHaveLength(0);
      }));
  });

  describe('refusals: answered, then the connection is closed', () => {
    it.each([
      ['a malformed request line', 'GET /\r\n\r\n', 400, /request line/, false],
      ['a bare LF', 'GET / HTTP/1.1\nHost: x\r\n\r\n', 400, /character 0x0a at byte 14/, false],
      ['a HEAD refused: no body', 'HEAD / HTTP/1.1\r\n\r\n', 400, /^$/, true],
      [
        'a head larger than the limit',
        get('/', `X-Big: ${'a'.repeat(1100)}\r\n`),
        431,
        /larger than 1024 bytes/,
        false,
      ],
      ['a complete head just over the limit', get('/', `X-Big: ${'a'.repeat(1000)}\r\n`), 431, /larger/, false],
    ])('%s', (_, request, status, body, head) =>
      withServer(async ({ connect, seen }) => {
        const client = connect();
        client.send(request + get('/after'));
        const [answer] = await client.answers(1, [head]);
        expect(answer).toMatchObject({ status, headers: { connection: 'close' } });
        expect(answer!.body).toMatch(body);
        await client.end();
        expect(seen).toHaveLength(0);
      }),
    );

    it.each([
      ['a bare LF', 'GET / HTTP/1.1\nHost: x\n', /character 0x0a at byte 14/],
      ['a NUL', 'GET /\0', /character 0x00 at byte 5/],
    ])('refuses %s before the head ends, without waiting for it', (_, partial, reason) =>
      withServer(async ({ connect }) => {
        const client = connect();
        client.send(partial);
        const [answer] = await client.answers(1);
        expect(answer!.status).toBe(400);
        expect(answer!.body).toMatch(reason);
        await client.end();
      }),
    );

    it('waits for the LF of a CR that ends what has arrived', () =>
      withServer(async ({ connect }) => {
        const client = connect();
        const request = get('/split');
        client.send(request.slice(0, request.indexOf('\r') + 1));
        await new Promise((resolve) => client.socket.write('', resolve));
        client.send(request.slice(request.indexOf('\r') + 1));
        expect((await client.answers(1))[0]!.body).toBe('/split');
      }));

    it('refuses a head that outgrows the limit before its end arrives, without waiting for it', () =>
      withServer(async ({ connect }) => {
        const client = connect();
        client.send(`GET / HTTP/1.1\r\nX-Big: ${'a'.repeat(2000)}`);
        expect((await client.answers(1))[0]!.status).toBe(431);
        await client.end();
      }));
  });

  describe('time-outs', () => {
    it('answers 408 and closes when a head does not arrive in time', () =>
      withServer(async ({ connect }) => {
        const client = connect();
        client.send('GET / HTTP/1.1\r\n');
        const started = Date.now();
        const [answer] = await client.answers(1);
        expect(answer).toMatchObject({ status: 408, headers: { connection: 'close' } });
        await client.end();
        expect(Date.now() - started).toBeGreaterThanOrEqual(90);
      }, QUICK));

    it.each([
      ['a connection that never sends anything', false],
      ['an idle keep-alive connection after its answer', true],
    ])('closes %s, silently', (_, asks) =>
      withServer(async ({ connect }) => {
        const client = connect();
        if (asks) {
          client.send(get('/'));
          await client.answers(1);
        }
        const received = client.received;
        await client.end();
        expect(client.received).toBe(received);
      }, QUICK),
    );

    it('does not cut a request that is being answered, however long that takes', () => {
      let release: () => void = () => undefined;
      return withServer(
        async ({ connect, seen, server }) => {
          const client = connect();
          client.send(get('/slow'));
          await until(() => seen.length === 1);
          // Several sweeps pass with the request unanswered.
          const clock = server.clock;
          await until(() => server.clock >= clock + 8);
          expect(client.socket.destroyed).toBe(false);
          release();
          expect((await client.answers(1))[0]!.body).toBe('/slow');
        },
        QUICK,
        (exchange) => {
          release = () => exchange.answer({ status: 200, body: { contentType: 'text/plain', text: exchange.url } });
        },
      );
    });
  });

  it('hands on a request only while the client takes its answers', () => {
    // Each answer is larger than the socket's buffer mark, and the client reads nothing until the kernel's buffers
    // are full too: from then on the connection waits for each answer to drain before it reads the next request.
    const body = 'x'.repeat(512 * 1024);
    const fullAtHandOff: boolean[] = [];
    const fullAfterAnswer: boolean[] = [];
    const requests = 12;
    return withServer(
      async ({ connect, seen }) => {
        const client = connect();
        client.socket.pause();
        const last = get(`/${requests - 1}`, 'Connection: close\r\n');
        client.send(Array.from({ length: requests - 1 }, (_, i) => get(`/${i}`)).join('') + last);
        await until(() => fullAfterAnswer.includes(true));
        client.socket.resume();
        // Read once the server closed: parsing 6 MB again at every chunk would be slow.
        await client.end();
        const answers = parseAnswers(client.received, []);
        expect(answers.every((a) => a.body.length === body.length)).toBe(true);
        expect(seen.map((e) => e.url)).toEqual(Array.from({ length: requests }, (_, i) => `/${i}`));
        expect(fullAtHandOff).toEqual(Array(requests).fill(false));
      },
      LIMITS,
      (exchange) => {
        fullAtHandOff.push(socketOf(exchange).writableNeedDrain);
        exchange.answer({ status: 200, body: { contentType: 'text/plain', text: body } });
        fullAfterAnswer.push(socketOf(exchange).writableNeedDrain);
      },
    );
  });

  it('pauses reading when pipelined requests pile up behind one being answered, and resumes after', () => {
    let release: () => void = () => undefined;
    return withServer(
      async ({ connect, seen }) => {
        const client = connect();
        const waiting = Array.from({ length: 30 }, (_, i) => get(`/${i}`, `X-Pad: ${'p'.repeat(40)}\r\n`)).join('');
        client.send(get('/slow') + waiting);
        await until(() => seen.length === 1 && socketOf(seen[0]!).isPaused());
        release();
        expect(await client.answers(31)).toHaveLength(31);
      },
      LIMITS,
      (exchange) => {
        const answer = () => exchange.answer({ status: 204 });
        if (exchange.url === '/slow') release = answer;
        else answer();
      },
    );
  });

  describe('an exchange', () => {
    it('answers once: a second answer throws', () =>
      withServer(
        async ({ connect }) => {
          const client = connect();
          client.send(get('/'));
          await client.answers(1);
        },
        LIMITS,
        (exchange) => {
          exchange.answer({ status: 204 });
          expect(() => exchange.answer({ status: 204 })).toThrow('this request was already answered');
        },
      ));

    it('writes nothing when a header value cannot be sent, so a 500 can still be answered', () =>
      withServer(
        async ({ connect }) => {
          const client = connect();
          client.send(get('/a%0d%0aSet-Cookie:x'));
          const [answer] = await client.answers(1);
          expect(answer!.status).toBe(500);
          expect(client.received).not.toContain('Set-Cookie');
        },
        LIMITS,
        (exchange) => {
          try {
            exchange.answer({ status: 307, location: decodeURIComponent(exchange.url) });
          } catch {
            exchange.answer({ status: 500 });
          }
        },
      ));

    it('abort() cuts the connection', () =>
      withServer(
        async ({ connect }) => {
          const client = connect();
          client.send(get('/'));
          await client.end();
          expect(client.received).toBe('');
        },
        LIMITS,
        (exchange) => exchange.abort(),
      ));

    it('an answer to a client that reset the connection is dropped', () => {
      let late: Http1Exchange | undefined;
      return withServer(
        async ({ connect, seen }) => {
          const client = connect();
          client.send(get('/'));
          await until(() => seen.length === 1);
          client.socket.resetAndDestroy();
          await until(() => socketOf(late!).destroyed);
          expect(() => late!.answer({ status: 204 })).not.toThrow();
        },
        LIMITS,
        (exchange) => (late = exchange),
      );
    });

    it('a client that half-closed while its request was being answered gets the answer, then the close', () => {
      let late: Http1Exchange | undefined;
      return withServer(
        async ({ connect, seen }) => {
          const client = connect();
          client.send(get('/late'));
          await until(() => seen.length === 1);
          client.socket.end();
          await until(() => socketOf(late!).readableEnded);
          late!.answer({ status: 200, body: { contentType: 'text/plain', text: late!.url } });
          expect((await client.answers(1))[0]!.body).toBe('/late');
          await client.end();
        },
        LIMITS,
        (exchange) => (late = exchange),
      );
    });
  });

  describe('close()', () => {
    it('closes idle connections at once, lets a request being answered finish with connection: close', async () => {
      let release: () => void = () => undefined;
      const started = await startServer(LIMITS, (exchange) => {
        if (exchange.url === '/quick') exchange.answer({ status: 204 });
        else release = () => exchange.answer({ status: 204 });
      });
      try {
        const idle = started.connect();
        idle.send(get('/quick'));
        await idle.answers(1);
        const busy = started.connect();
        busy.send(get('/slow'));
        await until(() => started.seen.length === 2);
        const closing = started.server.close(GUARD_MS);
        await idle.end();
        release();
        expect((await busy.answers(1))[0]!.headers.connection).toBe('close');
        await busy.end();
        await closing;
      } finally {
        await started.stop();
      }
    });

    it('cuts what is still open after the grace period', async () => {
      const started = await startServer(LIMITS, () => undefined);
      try {
        const stuck = started.connect();
        stuck.send(get('/never'));
        await until(() => started.seen.length === 1);
        await started.server.close(50);
        await stuck.end();
        expect(stuck.received).toBe('');
      } finally {
        await started.stop();
      }
    });
  });

  it('listen rejects when the port is taken', async () => {
    const taken = net.createServer();
    const port = await listenOn(taken, 0, '127.0.0.1');
    const server = new Http1Server(LIMITS, () => undefined);
    try {
      await expect(server.listen(port, '127.0.0.1')).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});

/** Waits until `condition` holds, yielding to the event loop in between; fails after the guard time. */
async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + GUARD_MS;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met in ${GUARD_MS} ms: ${condition.toString()}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The server side of an exchange's connection (private: seen here to check what the server does with it). */
function socketOf(exchange: Http1Exchange): net.Socket {
  return (exchange as unknown as { connection: { socket: net.Socket } }).connection.socket;
}
