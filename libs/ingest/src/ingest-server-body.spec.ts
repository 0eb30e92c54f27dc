import { connect } from 'node:net';

import { amAlert, amWebhook } from '@alertgate/testing';
import type { FastifyInstance } from 'fastify';

import { listenTestIngestServer } from './listen-test-ingest-server.js';

const webhook = (alertname: string): string => JSON.stringify(amWebhook([amAlert({ alertname, namespace: 'kube-system', pod: 'p' })]));

interface Answer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/** Writes the request head and body parts as given (a pause between parts when asked), reads the answer. */
function exchange(port: number, head: string, parts: readonly Buffer[], pauseMs = 0): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('connect', () => {
      socket.write(head);
      void (async () => {
        for (const part of parts) {
          if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
          if (!socket.writable) return;
          socket.write(part);
        }
      })();
    });
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('utf8')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      const status = /^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1];
      if (status === undefined) reject(new Error(`no HTTP answer: ${JSON.stringify(answer.slice(0, 200))}`));
      else
        resolve({
          status: Number(status),
          contentType: /\r\ncontent-type: ([^\r]+)/i.exec(answer)?.[1] ?? '',
          body: answer.slice(answer.indexOf('\r\n\r\n') + 4),
        });
    });
  });
}

const head = (length: number, extra: readonly string[] = []): string =>
  [
    `POST /api/v1/signals/alertmanager HTTP/1.1`,
    'Host: 127.0.0.1',
    'Content-Type: application/json',
    `Content-Length: ${length}`,
    'Connection: close',
    ...extra,
    '',
    '',
  ].join('\r\n');

describe('ingest server bodies (real listener, raw requests)', () => {
  let app: FastifyInstance;
  let port = 0;
  let checked = 0;

  beforeAll(async () => {
    // Short, so that a trickled body is timed out within the test; it only bounds the wait.
    ({ app, port } = await listenTestIngestServer({ requestTimeoutMs: 1_000, onCheck: (signals) => (checked += signals) }));
  });
  afterAll(() => app.close());

  it('accepts plain JSON, also split across writes in the middle of a character', async () => {
    const body = Buffer.from(webhook('Prüfung'));
    const cut = body.indexOf(Buffer.from('ü')) + 1;
    const answer = await exchange(port, head(body.length), [body.subarray(0, cut), body.subarray(cut)], 20);
    expect(answer.status).toBe(200);
  });

  it('refuses a body that is not valid UTF-8 with a 400 problem, before the pipeline', async () => {
    const before = checked;
    const body = Buffer.concat([Buffer.from(webhook('Bad').slice(0, 60)), Buffer.from([0xc3, 0x28]), Buffer.from(webhook('Bad').slice(60))]);
    const answer = await exchange(port, head(body.length), [body]);
    expect(answer.status).toBe(400);
    expect(answer.contentType).toContain('application/problem+json');
    expect(JSON.parse(answer.body)).toMatchObject({ status: 400, detail: 'The body is not valid UTF-8.' });
    expect(checked).toBe(before);
  });

  it.each(['gzip', 'br', 'zstd', 'x-unknown', 'identity, gzip'])('refuses Content-Encoding %s with a 415 problem', async (encoding) => {
    const before = checked;
    const body = Buffer.from(webhook('Encoded'));
    const answer = await exchange(port, head(body.length, [`Content-Encoding: ${encoding}`]), [body]);
    expect(answer.status).toBe(415);
    expect(answer.contentType).toContain('application/problem+json');
    expect(checked).toBe(before);
  });

  it('accepts Content-Encoding identity', async () => {
    const body = Buffer.from(webhook('Identity'));
    expect((await exchange(port, head(body.length, ['Content-Encoding: identity']), [body])).status).toBe(200);
  });

  it('answers a body trickled slower than the request timeout with a 408 problem', async () => {
    const body = Buffer.from(webhook('Slow'));
    // One byte every 200 ms: the whole body would take minutes; the timeout ends it.
    const parts = Array.from({ length: body.length }, (_v, i) => body.subarray(i, i + 1));
    const answer = await exchange(port, head(body.length), parts, 200);
    expect(answer.status).toBe(408);
    expect(answer.contentType).toContain('application/problem+json');
  }, 20_000);

  it('answers what the HTTP parser refuses (a bad Content-Length, headers too large) with problems', async () => {
    const bad = await exchange(port, 'POST /api/v1/signals/alertmanager HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n', []);
    expect(bad.status).toBe(400);
    expect(bad.contentType).toContain('application/problem+json');
    const huge = await exchange(port, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, []);
    expect(huge.status).toBe(431);
    expect(huge.contentType).toContain('application/problem+json');
  });
});
