import { connect } from 'node:net';

import { amAlert, amWebhook } from '@alertgate/testing';
import type { FastifyInstance } from 'fastify';

import { listenTestIngestServer } from './listen-test-ingest-server.js';

const TOKEN = 's3cret-token-of-16';
const BODY = JSON.stringify(amWebhook([amAlert({ alertname: 'X', namespace: 'kube-system', pod: 'p' })]));
const EVENT = JSON.stringify({ type: 'Warning', reason: 'BackOff', involvedObject: { kind: 'Pod', namespace: 'default', name: 'p' } });

/** One HTTP/1.1 request written byte for byte, so the request-target is exactly what we say. */
function rawRequest(port: number, target: string, body: string, headers: Record<string, string> = {}, method = 'POST'): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const lines = [
      `${method} ${target} HTTP/1.1`,
      'Host: 127.0.0.1',
      'Content-Type: application/json',
      `Content-Length: ${Buffer.byteLength(body)}`,
      'Connection: close',
    ];
    for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
    let answer = '';
    socket.on('connect', () => socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`));
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => {
      const status = /^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1];
      if (status === undefined) reject(new Error(`no HTTP answer for ${target}: ${JSON.stringify(answer.slice(0, 200))}`));
      else resolve(Number(status));
    });
  });
}

/** Every way of spelling a protected route that a router or proxy might normalise. */
const TARGETS = [
  '/%61pi/v1/signals/alertmanager',
  '/api/v1/signals/%61lertmanager',
  '/api%2Fv1%2Fsignals%2Falertmanager',
  'http://evil/api/v1/signals/alertmanager',
  'http://127.0.0.1/api/v1/signals/alertmanager',
  'HTTP://evil/%61pi/v1/signals/alertmanager',
  '//api/v1/signals/alertmanager',
  '/api//v1/signals/alertmanager',
  '/api/v1/signals/alertmanager/',
  '/api/v1/signals/alertmanager//',
  '/API/v1/signals/alertmanager',
  '/Api/V1/Signals/Alertmanager',
  '/api/v1/signals/alertmanager;x=1',
  '/api;/v1/signals/alertmanager',
  '/x/../api/v1/signals/alertmanager',
  '/api/v1/../v1/signals/alertmanager',
  '/api/v1/signals/./alertmanager',
  '/api/v1/signals/alertmanager?x=1',
  '/api/v1/signals/alertmanager#frag',
  '/%2e%2e/api/v1/signals/alertmanager',
  '/api/v1/signals/kubernetes-event',
  '/%61pi/v1/signals/kubernetes-event',
  'http://evil/api/v1/signals/kubernetes-event',
];

describe('ingest server authentication (real listener, raw request targets)', () => {
  let app: FastifyInstance;
  let port = 0;
  let pipelineCalls = 0;

  beforeAll(async () => {
    ({ app, port } = await listenTestIngestServer({ tokens: { alertmanager: TOKEN }, onCheck: () => (pipelineCalls += 1) }));
  });
  afterAll(() => app.close());

  it.each(TARGETS)('%s without a token gets 401 or 404, and reaches no pipeline', async (target) => {
    const before = pipelineCalls;
    const status = await rawRequest(port, target, target.includes('kubernetes-event') ? EVENT : BODY);
    expect([401, 404]).toContain(status);
    expect(pipelineCalls).toBe(before);
  });

  it.each(TARGETS)('%s with a wrong token gets 401 or 404', async (target) => {
    const status = await rawRequest(port, target, BODY, { Authorization: `Bearer ${TOKEN}x` });
    expect([401, 404]).toContain(status);
  });

  it('refuses a token that is a prefix, an empty token and another scheme', async () => {
    for (const authorization of [`Bearer ${TOKEN.slice(0, -1)}`, 'Bearer ', 'Bearer', `Basic ${TOKEN}`, TOKEN]) {
      expect(await rawRequest(port, '/api/v1/signals/alertmanager', BODY, { Authorization: authorization })).toBe(401);
    }
  });

  it('admits the configured token, however the path is spelled once it matches the route', async () => {
    const before = pipelineCalls;
    expect(await rawRequest(port, '/api/v1/signals/alertmanager', BODY, { Authorization: `Bearer ${TOKEN}` })).toBe(200);
    expect(await rawRequest(port, '/%61pi/v1/signals/alertmanager', BODY, { Authorization: `Bearer ${TOKEN}` })).toBe(200);
    expect(pipelineCalls).toBe(before + 2);
  });

  it('serves the probes and metrics without a token', async () => {
    for (const url of ['/healthz', '/readyz', '/metrics']) expect(await rawRequest(port, url, '', {}, 'GET')).toBe(200);
  });
});
