import { connect, type Socket } from 'node:net';

import { amAlert, amWebhook } from '@alertgate/testing';
import type { FastifyInstance } from 'fastify';

import { listenTestIngestServer } from './listen-test-ingest-server.js';

const WEBHOOK = JSON.stringify(amWebhook([amAlert({ alertname: 'Hostile', namespace: 'kube-system', pod: 'p' })]));

/** The status line's code and the content type of what the server answered on a socket, once it closed. */
function answerOf(socket: Socket): Promise<{ status: number; contentType: string; written: number }> {
  return new Promise((resolve) => {
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () =>
      resolve({
        status: Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0),
        contentType: /\r\ncontent-type: ([^\r]+)/i.exec(answer)?.[1] ?? '',
        written: socket.bytesWritten,
      }),
    );
  });
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

/**
 * Slow and hostile clients against a real listener: each is answered or timed out within the
 * documented limits (INGEST_BODY_LIMIT, INGEST_REQUEST_TIMEOUT), and valid requests are still
 * answered meanwhile.
 */
describe('ingest server under hostile clients (real listener, raw sockets)', () => {
  let app: FastifyInstance;
  let port = 0;
  let checked = 0;
  const valid = async (): Promise<number> =>
    (await fetch(`http://127.0.0.1:${port}/api/v1/signals/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: WEBHOOK }))
      .status;

  beforeAll(async () => {
    // A short request timeout, so that the connections it ends end within the test.
    ({ app, port } = await listenTestIngestServer({ requestTimeoutMs: 1_000, onCheck: (signals) => (checked += signals) }));
  });
  afterAll(() => app.close());

  it('1,000 idle connections: a valid request is still answered, and every idle one is closed by the request timeout', async () => {
    const idle = await Promise.all(Array.from({ length: 1_000 }, () => open(port)));
    const closed = idle.map(answerOf);
    expect(await valid()).toBe(200);
    const answers = await Promise.all(closed);
    // Each was ended by the server (a 408, or closed without a word), none left open.
    expect(answers.filter((answer) => answer.status !== 0 && answer.status !== 408)).toEqual([]);
  }, 60_000);

  it('headers trickled a byte at a time are ended by the request timeout with a 408 problem', async () => {
    const socket = await open(port);
    const answer = answerOf(socket);
    const headers = 'POST /api/v1/signals/alertmanager HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n';
    for (const byte of headers) {
      if (socket.destroyed) break;
      socket.write(byte);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const { status, contentType } = await answer;
    expect(status).toBe(408);
    expect(contentType).toContain('application/problem+json');
  }, 30_000);

  it('a 50 MB body is refused with a 413 problem at the body limit, declared or streamed, before the pipeline', async () => {
    const before = checked;
    const chunk = Buffer.alloc(1 << 20, 0x20);
    for (const framing of ['Content-Length: 52428800', 'Transfer-Encoding: chunked']) {
      const socket = await open(port);
      const answer = answerOf(socket);
      socket.write(`POST /api/v1/signals/alertmanager HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n${framing}\r\n\r\n`);
      const chunked = framing.startsWith('Transfer');
      for (let mib = 0; mib < 50 && !socket.destroyed; mib++) {
        const ok = socket.write(chunked ? Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]) : chunk);
        if (!ok) await new Promise((resolve) => socket.once('drain', resolve).once('close', resolve));
      }
      const { status, contentType, written } = await answer;
      expect([framing, status]).toEqual([framing, 413]);
      expect(contentType).toContain('application/problem+json');
      // Refused at the limit (1 MiB here), not after reading all 50 MB.
      if (!chunked) expect(written).toBeLessThan(50 * chunk.length);
    }
    expect(checked).toBe(before);
  }, 60_000);

  it('JSON nested 100,000 deep is a 400 problem, and the server goes on', async () => {
    const before = checked;
    for (const deep of [
      '['.repeat(100_000) + ']'.repeat(100_000),
      '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000),
      `{"version":"4","alerts":[${'['.repeat(100_000)}${']'.repeat(100_000)}]}`,
    ]) {
      const response = await fetch(`http://127.0.0.1:${port}/api/v1/signals/alertmanager`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: deep,
      });
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
    }
    expect(checked).toBe(before);
    expect(await valid()).toBe(200);
  });
});
