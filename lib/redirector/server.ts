/**
 * The HTTP shell around the pure routing functions: parse the request, resolve the client when the route needs
 * it, decide, run the existence check when the decision asks for one, write the answer. The public port is our
 * own HTTP/1.1 edge (http1/), the admin port node:http; cache hits are answered synchronously, and the
 * per-request debug line is only built when debug is on.
 */
import http from 'node:http';
import { ClientResolver, forwardedForHeader } from './client';
import type { Config } from './config';
import { CLIENT_NOT_NEEDED, decide, settle, TEXT_TYPE, type Client, type Decision, type Health } from './decide';
import { ExistenceChecker, type CacheResult } from './existence';
import type { RedirectorLog } from './log';
import { RedirectorMetrics } from './metrics';
import type { RangeIndex } from './range-index';
import { needsClient, parseRequest, type Route } from './route';
import type { Answer } from './http1/answer';
import { Http1Server, listenOn, type Http1Exchange } from './http1/server';
import { partialShareClouds } from './share';

const INTERNAL_ERROR: Answer = { status: 500, body: { contentType: TEXT_TYPE, text: 'internal error\n' } };

/** One request and its answer: what the response, the metrics and the log lines are made of. */
interface Exchange {
  readonly request: Http1Exchange;
  readonly route: Route;
  readonly client: Client;
  readonly decision: Decision;
  /** How the blob existence check was answered; undefined when the decision needed none. */
  readonly cache: CacheResult | undefined;
  /** performance.now() at arrival when debug is on (the request line's duration), else -1. */
  readonly started: number;
}

export interface RedirectorOptions {
  readonly config: Config;
  readonly index: RangeIndex;
  readonly log: RedirectorLog;
  /** @default a new RedirectorMetrics with the default process metrics */
  readonly metrics?: RedirectorMetrics;
}

export interface ListeningAddresses {
  readonly port: number;
  readonly adminPort: number;
}

export class Redirector {
  readonly edge: Http1Server;
  readonly adminServer: http.Server;
  readonly metrics: RedirectorMetrics;
  readonly existence: ExistenceChecker;
  private readonly config: Config;
  private readonly clients: ClientResolver;
  private readonly log: RedirectorLog;
  private health: Health = { ready: false };
  /** The level is fixed at start-up: checked once, not per request. */
  private readonly debug: boolean;

  constructor(options: RedirectorOptions) {
    this.config = options.config;
    this.log = options.log;
    this.debug = options.log.debug;
    this.metrics = options.metrics ?? new RedirectorMetrics();
    const { table } = options.config;
    this.clients = new ClientResolver(options.index, options.config.trustedProxyHops, partialShareClouds(table));
    const observer = this.metrics.existence;
    this.existence = new ExistenceChecker(options.config.existence, {
      ...observer,
      breaker: (origin, state) => {
        observer.breaker(origin, state);
        this.log.breaker(origin, state);
      },
    });
    const { http: limits } = options.config;
    this.edge = new Http1Server(
      {
        maxHeaderSize: limits.maxHeaderSize,
        headersTimeoutMs: Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs),
        keepAliveTimeoutMs: limits.keepAliveTimeoutMs,
      },
      (request) => this.handle(request),
    );
    this.adminServer = http.createServer((req, res) => void this.serveAdmin(req, res));
  }

  /**
   * Starts both servers, the public one first (clients waiting for a new instance need not wait for the metrics
   * port too); readiness turns 200 once both listen.
   */
  async listen(): Promise<ListeningAddresses> {
    const { listen, admin } = this.config;
    const port = await this.edge.listen(listen.port, listen.address);
    const adminPort = await listenOn(this.adminServer, admin.port, admin.address);
    this.health = { ready: true };
    return { port, adminPort };
  }

  /**
   * Graceful drain: readiness answers 503 and responses carry `Connection: close` from now on, the listener stops
   * accepting, in-flight requests finish (connections still open after `shutdownGraceMs` are cut), then the admin
   * server and the HEAD connections close.
   */
  async drain(): Promise<void> {
    this.health = { ready: false };
    await this.edge.close(this.config.http.shutdownGraceMs);
    await new Promise<void>((resolve) => this.adminServer.close(() => resolve()));
    this.adminServer.closeAllConnections();
    this.existence.close();
  }

  private handle(request: Http1Exchange): void {
    const started = this.debug ? performance.now() : -1;
    try {
      const route = parseRequest(request.method, request.url);
      const client = needsClient(route)
        ? this.clients.resolve(forwardedForHeader(request.rawHeaders), request.remoteAddress)
        : CLIENT_NOT_NEEDED;
      const decision = decide(route, client, this.config.table, this.health);
      const check = decision.check;
      if (!check) {
        this.respond({ request, route, client, decision, cache: undefined, started });
        return;
      }
      const known = this.existence.known(check.url);
      if (known !== undefined) {
        this.respond({
          request,
          route,
          client,
          decision: settle(decision, known.present),
          cache: known.cache,
          started,
        });
        return;
      }
      this.existence
        .exists(check.url)
        .then((found) =>
          this.respond({
            request,
            route,
            client,
            decision: settle(decision, found.present),
            cache: found.cache,
            started,
          }),
        )
        .catch((err: unknown) => this.fail(request, err));
    } catch (err) {
      this.fail(request, err);
    }
  }

  private respond(exchange: Exchange): void {
    const { decision } = exchange;
    exchange.request.answer(decision);
    this.metrics.request(exchange.route.kind, decision.label, decision.status);
    if (decision.inShare !== undefined && exchange.route.kind === 'blob') this.countShare(exchange);
    this.logPull(exchange);
    if (exchange.started >= 0) this.logRequest(exchange);
  }

  /** A blob of a client whose cloud's mirrors take a share of its clients: in it or not, by cloud. */
  private countShare({ client, decision }: Exchange): void {
    // Only a located client's decision has a share (decide.ts).
    const { cloud } = (client as Extract<Client, { kind: 'located' }>).location;
    this.metrics.share(cloud, decision.inShare!);
  }

  /** One info line per image pull (a manifest GET). */
  private logPull({ request, route, client, decision }: Exchange): void {
    if (route.kind !== 'manifest' || request.method !== 'GET' || !this.log.pulls) return;
    this.log.pull(
      {
        repository: route.repository,
        reference: route.reference,
        location: client.kind === 'located' ? client.location : undefined,
        backend: decision.label,
        status: decision.status,
        inShare: decision.inShare,
      },
      request.rawHeaders,
    );
  }

  /** The full decision, at debug only. */
  private logRequest({ request, route, client, decision, cache, started }: Exchange): void {
    const location = client.kind === 'located' ? client.location : undefined;
    this.log.logger.debug(
      {
        method: request.method,
        target: request.url,
        route: route.kind,
        status: decision.status,
        backend: decision.label,
        location: decision.location ?? null,
        reason: decision.reason,
        cloud: location?.cloud ?? null,
        region: location?.region ?? null,
        cache: cache ?? null,
        durationMs: Math.round((performance.now() - started) * 1000) / 1000,
        ...this.log.traceFields(request.rawHeaders),
      },
      'request',
    );
  }

  private fail(request: Http1Exchange, err: unknown): void {
    this.logFailure(err, request.rawHeaders);
    if (request.answered) request.abort();
    else request.answer(INTERNAL_ERROR);
  }

  private logFailure(err: unknown, rawHeaders: readonly string[]): void {
    this.log.logger.error({ err, ...this.log.traceFields(rawHeaders) }, 'request failed');
  }

  private async serveAdmin(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (req.method === 'GET' && (req.url === '/metrics' || req.url?.startsWith('/metrics?'))) {
      try {
        const text = await this.metrics.registry.metrics();
        res.writeHead(200, { 'content-type': this.metrics.registry.contentType });
        res.end(text);
      } catch (err) {
        this.logFailure(err, req.rawHeaders);
        res.writeHead(500, { 'content-type': TEXT_TYPE });
        res.end('internal error\n');
      }
      return;
    }
    res.writeHead(404, { 'content-type': TEXT_TYPE });
    res.end('Not Found\n');
  }
}
