/** Ports on 127.0.0.1: one free right now, and a clear error when a port someone asked for is taken. */
import { type AddressInfo, createServer, type Server } from 'node:net';

/** A TCP port free on 127.0.0.1 right now (for servers that cannot be told to pick port 0 themselves). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** A port that cannot be used as asked; the message names it. */
export class PortError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PortError';
  }
}

/** A port that something else holds, named with what it was asked for. */
export class PortInUseError extends PortError {
  constructor(
    readonly port: number,
    readonly purpose: string,
  ) {
    super(`port ${port} (${purpose}) is in use on 127.0.0.1: choose another one or stop what holds it`);
    this.name = 'PortInUseError';
  }
}

/** Resolves when `port` can be bound on 127.0.0.1 now; rejects with PortInUseError otherwise. */
export async function assertPortFree(port: number, purpose: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new PortInUseError(port, purpose)
          : new Error(`port ${port} (${purpose}) cannot be bound on 127.0.0.1: ${error.message}`),
      ),
    );
    server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
  });
}

/** The given port (checked free) or a free one. */
export async function portFor(given: number | undefined, purpose: string): Promise<number> {
  if (given === undefined) return freePort();
  await assertPortFree(given, purpose);
  return given;
}

/** Listens on 127.0.0.1 (`port`, or a free one); resolves with the port, or rejects with PortInUseError naming `purpose`. */
export function listenLocally(server: Server, port: number | undefined, purpose: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(port ?? 0, purpose) : error),
    );
    server.listen(port ?? 0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}
