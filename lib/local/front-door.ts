/**
 * The front door: what the Google load balancer does in front of the redirector, as far as the redirector can
 * tell. Each simulated client gets its own port; a request on that port reaches the redirector with the client's
 * address appended to X-Forwarded-For, followed by the balancer's own (`<client>, <lb>`), exactly as Google's
 * external Application Load Balancer forwards it. Bodies stream both ways; redirects go back to the client as
 * they are, so the client then fetches from the backend itself.
 */
import http from 'node:http';
import type { SimulatedClient } from './clients';
import { listenLocally } from './ports';

/** The balancer's own address, as it appends it: the front door's. */
export const LOAD_BALANCER_ADDRESS = '127.0.0.1';

/** X-Forwarded-For as the Google load balancer sends it on: what the client sent, then `<client>, <lb>`. */
export function forwardedFor(sent: string | undefined, client: string, loadBalancer = LOAD_BALANCER_ADDRESS): string {
  const appended = `${client}, ${loadBalancer}`;
  return sent === undefined || sent.trim() === '' ? appended : `${sent}, ${appended}`;
}

/** The headers the redirector receives for a request the client sent with `headers`. */
export function forwardedHeaders(headers: http.IncomingHttpHeaders, client: string): http.OutgoingHttpHeaders {
  const sent = headers['x-forwarded-for'];
  return {
    ...headers,
    'x-forwarded-for': forwardedFor(Array.isArray(sent) ? sent.join(', ') : sent, client),
    'x-forwarded-proto': 'http',
    via: '1.1 google',
  };
}

export interface FrontDoorEntrance {
  readonly client: SimulatedClient;
  /** `127.0.0.1:<port>`: pull through this to pull as the client. */
  readonly host: string;
}

export interface FrontDoor {
  readonly entrances: readonly FrontDoorEntrance[];
  stop(): Promise<void>;
}

export interface FrontDoorOptions {
  /** The redirector, `127.0.0.1:<port>`. */
  readonly target: string;
  readonly clients: readonly SimulatedClient[];
  /** Ports for the clients, in order, when asked for; free ports otherwise. */
  readonly ports?: readonly (number | undefined)[];
}

export async function startFrontDoor(options: FrontDoorOptions): Promise<FrontDoor> {
  const [hostname, port] = options.target.split(':') as [string, string];
  const agent = new http.Agent({ keepAlive: true });
  const servers: http.Server[] = [];
  const stop = async () => {
    await Promise.all(
      servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            server.closeAllConnections();
            server.close(() => resolve());
          }),
      ),
    );
    agent.destroy();
  };
  try {
    const entrances: FrontDoorEntrance[] = [];
    for (const [i, client] of options.clients.entries()) {
      const server = http.createServer((request, response) => {
        const upstream = http.request(
          {
            host: hostname,
            port: Number(port),
            method: request.method,
            path: request.url,
            headers: forwardedHeaders(request.headers, client.address),
            agent,
          },
          (answer) => {
            response.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(response);
          },
        );
        upstream.on('error', () => {
          if (response.headersSent) response.destroy();
          else response.writeHead(502, { 'content-type': 'text/plain' }).end('the redirector did not answer\n');
        });
        // The client went away before the answer was complete: stop asking the redirector too.
        response.on('close', () => {
          if (!response.writableFinished) upstream.destroy();
        });
        request.pipe(upstream);
      });
      servers.push(server);
      entrances.push({
        client,
        host: `127.0.0.1:${await listenLocally(server, options.ports?.[i], `front door for ${client.id}`)}`,
      });
    }
    return { entrances, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
