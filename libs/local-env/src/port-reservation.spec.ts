import { connect, createServer, type Server } from 'node:net';

import { freePort } from './free-port.js';
import { PortReservation } from './port-reservation.js';

const listen = (port: number): Promise<Server> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => resolve(server));
  });
const close = (server: Server): Promise<void> => new Promise((resolve) => server.close(() => resolve()));

describe('PortReservation', () => {
  it('holds its ports until each is released to the service that listens there', async () => {
    const [a, b] = [await freePort(), await freePort()];
    const reservation = await PortReservation.hold({ DEDUP_PORT: a, STORM_PORT: b, INGEST_PORT: 0 });
    expect(reservation.ports.sort()).toEqual([a, b].sort());
    await expect(listen(a)).rejects.toMatchObject({ code: 'EADDRINUSE' });
    await reservation.release(a);
    const service = await listen(a);
    await close(service);
    await expect(listen(b)).rejects.toMatchObject({ code: 'EADDRINUSE' });
    await reservation.releaseAll();
    await close(await listen(b));
    expect(reservation.ports).toEqual([]);
  });

  it('refuses a port that is already in use, naming its variable, and holds none of the others', async () => {
    const other = await listen(await freePort());
    const taken = (other.address() as { port: number }).port;
    const free = await freePort();
    await expect(PortReservation.hold({ DEDUP_PORT: free, CRD_WRITER_PORT: taken })).rejects.toThrow(
      `port ${taken} (CRD_WRITER_PORT) on 127.0.0.1 is in use by another process: stop it, or set CRD_WRITER_PORT to a free port`,
    );
    await close(await listen(free));
    await close(other);
  });

  it('closes a stray connection to a held port, so that release never waits on it', async () => {
    const port = await freePort();
    const reservation = await PortReservation.hold({ DEDUP_PORT: port });
    await new Promise<void>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('error', reject);
      socket.once('close', () => resolve());
    });
    await reservation.releaseAll();
    await close(await listen(port));
  });
});
