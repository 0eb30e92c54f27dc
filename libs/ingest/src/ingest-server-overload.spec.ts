import { amAlert, amWebhook } from '@alertgate/testing';
import type { FastifyInstance } from 'fastify';

import { listenTestIngestServer } from './listen-test-ingest-server.js';

const webhook = (pod: string): string => JSON.stringify(amWebhook([amAlert({ alertname: 'Flood', namespace: 'kube-system', pod })]));

/** Overload admission before the body is parsed (INGEST_MAX_REQUESTS_IN_FLIGHT), on a real listener. */
describe('ingest server with too many requests in flight', () => {
  let app: FastifyInstance;
  let port = 0;
  let checks = 0;
  let release: () => void = () => undefined;
  beforeAll(async () => {
    const hold = new Promise<void>((resolve) => (release = resolve));
    ({ app, port } = await listenTestIngestServer({ maxRequestsInFlight: 3, hold, onCheck: () => (checks += 1) }));
  });
  afterAll(() => app.close());

  const post = (pod: string) =>
    fetch(`http://127.0.0.1:${port}/api/v1/signals/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: webhook(pod) });

  it('sheds the request beyond the bound with 503, Retry-After and the overloaded problem, before any work; admits again once one is answered', async () => {
    // Three in flight: held by a busy pipeline (the first run holds one, the others wait for it).
    const held = [post('a'), post('b'), post('c')];
    while (checks < 1) await new Promise((resolve) => setImmediate(resolve));
    const shed = await post('d');
    expect(shed.status).toBe(503);
    expect(shed.headers.get('retry-after')).toBe('1');
    expect(shed.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await shed.json()).toMatchObject({ type: 'urn:alertgate:problem:overloaded', status: 503 });
    // Probes and metrics are not counted: they answer while the signal routes are full.
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);

    release();
    expect((await Promise.all(held)).map((response) => response.status)).toEqual([200, 200, 200]);
    const checksBefore = checks;
    expect((await post('e')).status).toBe(200);
    expect(checks).toBe(checksBefore + 1);
  });
});
