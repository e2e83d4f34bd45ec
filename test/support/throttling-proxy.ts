/**
 * A small HTTP proxy on 127.0.0.1 in front of a registry that answers `429 Too Many Requests` with `Retry-After` to
 * the first attempt of every distinct request (method + URL), and forwards everything else, streaming both ways.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ThrottlingProxy {
  /** `127.0.0.1:<port>` */
  readonly host: string;
  /** 429s sent so far. */
  readonly throttled: () => number;
  stop(): Promise<void>;
}

export async function startThrottlingProxy(upstreamHost: string, retryAfterSeconds = 1): Promise<ThrottlingProxy> {
  const seen = new Set<string>();
  let throttled = 0;
  const agent = new http.Agent({ keepAlive: true });
  const [upstreamHostname, upstreamPort] = upstreamHost.split(':') as [string, string];
  const server = http.createServer((request, response) => {
    const key = `${request.method} ${request.url}`;
    if (!seen.has(key)) {
      seen.add(key);
      throttled++;
      request.resume();
      response.writeHead(429, { 'retry-after': String(retryAfterSeconds), 'content-type': 'application/json' });
      response.end('{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}');
      return;
    }
    const forwarded = http.request(
      {
        host: upstreamHostname,
        port: Number(upstreamPort),
        method: request.method,
        path: request.url,
        headers: request.headers,
        agent,
      },
      (upstream) => {
        response.writeHead(upstream.statusCode ?? 502, upstream.headers);
        upstream.pipe(response);
      },
    );
    forwarded.on('error', () => response.destroy());
    request.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    throttled: () => throttled,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
