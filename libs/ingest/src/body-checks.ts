import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { Transform, type Readable } from 'node:stream';

import { problem, PROBLEM_CONTENT_TYPE, PROBLEM_TYPES, type Problem } from './problem.js';

/** A body refused before it is parsed; the error handler answers its problem. */
export class BodyRefusal extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail);
  }
}

/**
 * The only body encoding accepted is none: Alertmanager and the Kubernetes event senders send
 * plain JSON, and a body read as plain text under another Content-Encoding would be accepted as
 * garbage. Returns the refusal for any other encoding.
 */
export function contentEncodingRefusal(header: string | string[] | undefined): BodyRefusal | undefined {
  if (header === undefined) return undefined;
  const encodings = (Array.isArray(header) ? header.join(',') : header)
    .split(',')
    .map((part) => part.trim().toLowerCase())
    .filter((part) => part !== '' && part !== 'identity');
  if (encodings.length === 0) return undefined;
  return new BodyRefusal(problem(PROBLEM_TYPES.unsupportedMediaType, `Content-Encoding ${encodings.join(', ')} is not supported: send the body uncompressed.`));
}

/**
 * The body as it arrives, checked to be valid UTF-8 on the way (JSON must be: RFC 8259), so that
 * bytes that are not text fail as a 400 instead of becoming U+FFFD in names. Checked chunk by
 * chunk: the body limit still counts the bytes as they come, and nothing is held.
 */
export function utf8Checked(payload: Readable): Readable {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const refusal = (): BodyRefusal => new BodyRefusal(problem(PROBLEM_TYPES.malformedJson, 'The body is not valid UTF-8.'));
  const checked = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      try {
        decoder.decode(chunk, { stream: true });
        callback(null, chunk);
      } catch {
        callback(refusal());
      }
    },
    flush(callback) {
      try {
        decoder.decode();
        callback();
      } catch {
        callback(refusal());
      }
    },
  });
  payload.on('error', (err) => checked.destroy(err));
  return payload.pipe(checked);
}

/**
 * The answer to a request Node's HTTP parser refused before any route saw it (a bad
 * Content-Length, headers too large, a request that timed out), as a problem like every other
 * answer of the gateway; then the connection closes.
 */
export function clientErrorAnswer(err: Error & { code?: string }, socket: Socket): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const answer =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? problem(PROBLEM_TYPES.requestTimeout, 'The request was not received in time (INGEST_REQUEST_TIMEOUT).')
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? problem(PROBLEM_TYPES.headersTooLarge, 'The request headers are larger than accepted.')
        : problem(PROBLEM_TYPES.malformedRequest, `The request is not valid HTTP/1.1 (${err.code ?? 'parse error'}).`);
  const body = JSON.stringify(answer);
  socket.end(
    `HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status] ?? 'Error'}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
