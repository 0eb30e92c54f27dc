import { createServer, type Server } from 'node:http';

import { collectDefaultMetrics, register } from 'prom-client';

export interface MetricsServer {
  readonly port: number;
  close(): Promise<void>;
}

let defaultsCollected = false;

/**
 * Serves GET /metrics (Prometheus text format) for a gRPC service, on a port of its own so that
 * scraping never competes with, or is exposed through, the service's API port.
 */
export async function startMetricsServer(host: string, port: number): Promise<MetricsServer> {
  if (!defaultsCollected) {
    collectDefaultMetrics();
    defaultsCollected = true;
  }
  const server: Server = createServer((request, response) => {
    if (request.method === 'GET' && request.url?.split('?')[0] === '/metrics') {
      register.metrics().then(
        (text) => response.writeHead(200, { 'content-type': register.contentType }).end(text),
        (err: unknown) => response.writeHead(500, { 'content-type': 'text/plain' }).end(String(err)),
      );
      return;
    }
    response.writeHead(404, { 'content-type': 'text/plain' }).end('GET /metrics\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
