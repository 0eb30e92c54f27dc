import { createServer, type Server } from 'node:net';

/**
 * Fixed local ports (npm start: 50051–50054) held by this process until the service that owns each
 * one is about to start. Those ports lie inside Linux's ephemeral range (32768–60999 by default),
 * so an outgoing connection made while the system starts — a service's Redis client, a gRPC
 * channel, Redis' own free port — could be given one, and the service meant to listen there
 * would fail with EADDRINUSE (seen once). The kernel never hands out a port
 * that a socket is bound to, so holding them leaves only the moment between release() and the
 * service's own bind. A port already in use at hold() is refused at once, naming its variable.
 */
export class PortReservation {
  private constructor(private readonly held: Map<number, Server>) {}

  /** Binds every non-zero port on `host`; rejects (and binds none) if one is taken. */
  static async hold(ports: Readonly<Record<string, number>>, host = '127.0.0.1'): Promise<PortReservation> {
    const held = new Map<number, Server>();
    try {
      for (const [variable, port] of Object.entries(ports)) {
        if (port === 0 || held.has(port)) continue;
        held.set(port, await bind(port, host, variable));
      }
    } catch (err) {
      await Promise.all([...held.values()].map(close));
      throw err;
    }
    return new PortReservation(held);
  }

  /** Lets `port` go, for the service about to listen on it (a port not held is a no-op). */
  async release(port: number): Promise<void> {
    const server = this.held.get(port);
    if (!server) return;
    this.held.delete(port);
    await close(server);
  }

  async releaseAll(): Promise<void> {
    const servers = [...this.held.values()];
    this.held.clear();
    await Promise.all(servers.map(close));
  }

  /** The ports still held. */
  get ports(): number[] {
    return [...this.held.keys()];
  }
}

function bind(port: number, host: string, variable: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    // A stray connection is closed at once, so that release() never waits on it.
    const server = createServer((socket) => socket.destroy());
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'EADDRINUSE'
          ? new Error(`port ${port} (${variable}) on ${host} is in use by another process: stop it, or set ${variable} to a free port`)
          : err,
      );
    });
    server.listen({ port, host, exclusive: true }, () => resolve(server));
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
