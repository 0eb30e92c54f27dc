import { createLogger } from '@alertgate/logging';
import { Effect, Outcome } from '@alertgate/proto';
import { PARSE_DEFAULTS } from '@alertgate/signal';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';

import { IngestPipeline } from './ingest-pipeline.js';
import { createIngestServer } from './ingest-server.js';
import { NO_AUTHENTICATION, SenderTokens } from './sender-tokens.js';

/**
 * For the specs of the HTTP surface: a real ingest server on 127.0.0.1, port 0, over a pipeline
 * of fakes that opens every signal as new and creates its resource. `onCheck` hears each dedup
 * call, so a spec can tell whether a request reached the pipeline.
 */
export async function listenTestIngestServer(options: {
  /** Sender name → token; absent: no authentication. */
  tokens?: Readonly<Record<string, string>>;
  requestTimeoutMs?: number;
  maxRequestsInFlight?: number;
  onCheck?: (signals: number) => void;
  /** Each dedup call waits for it (a pipeline that is busy). */
  hold?: Promise<void>;
}): Promise<{ app: FastifyInstance; port: number }> {
  const ts = { seconds: 1, nanos: 0 };
  const pipeline = new IngestPipeline({
    dedup: {
      checkBatch: async (request) => {
        options.onCheck?.(request.signals.length);
        await options.hold;
        return Promise.resolve({
          decisions: request.signals.map((signal) => ({
            fingerprint: signal.fingerprint,
            outcome: Outcome.OUTCOME_NEW,
            incident: { id: 'i', firstSeen: ts, lastSeen: ts, occurrences: 1, pods: 0 },
          })),
        });
      },
      adopt: () => Promise.reject(new Error('no resolution is undone in these tests')),
      forgetBatch: () => Promise.resolve({ forgotten: [] }),
    },
    crdWriter: {
      applyBatch: (request) =>
        Promise.resolve({ results: request.updates.map(() => ({ effect: Effect.EFFECT_CREATED, resource: { namespace: 'n', name: 'r' }, error: '' })) }),
    },
  });
  const app = createIngestServer({
    pipeline,
    parse: PARSE_DEFAULTS,
    bodyLimitBytes: 1 << 20,
    requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
    ...(options.maxRequestsInFlight === undefined ? {} : { maxRequestsInFlight: options.maxRequestsInFlight }),
    authenticator: options.tokens
      ? await SenderTokens.load(
          { source: { kind: 'fixed', tokens: options.tokens }, reloadIntervalMs: 1_000, graceMs: 0 },
          createLogger({ service: 'test', level: 'silent' }),
        )
      : NO_AUTHENTICATION,
    retryAfterSeconds: 1,
    readiness: () => Promise.resolve({ ready: true, checks: {} }),
    registry: new Registry(),
    logger: createLogger({ service: 'test', level: 'silent' }),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  return { app, port: typeof address === 'object' && address ? address.port : 0 };
}
