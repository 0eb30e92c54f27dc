import { AlertgateError, Code } from '@alertgate/errors';
import type { FastifyInstance } from 'fastify';

import { ROUTES } from './ingest-server.js';

export interface WatchedEventDeliveryOptions {
  /** The Authorization header of the watcher's own sender (absent without authentication). */
  readonly authorization: string | undefined;
  /** Whether to go on retrying a 503 (false once the gateway stops). */
  readonly running: () => boolean;
}

/**
 * Hands a watched Warning event to the gateway's own event route, in-process, `occurrences`
 * times: each sighting goes through exactly what a posted event goes through (validation, drop
 * rules, maintenance, limits, the pipeline). A 503 or 429 is retried after its Retry-After, as
 * Alertmanager would, so the watch waits instead of losing the event; any other refusal is the
 * event's own (invalid input) and fails the delivery.
 */
export function watchedEventDelivery(app: FastifyInstance, options: WatchedEventDeliveryOptions): (event: object, occurrences: number) => Promise<void> {
  return async (event, occurrences) => {
    const body = JSON.stringify(event);
    for (let sighting = 0; sighting < occurrences; sighting++) {
      for (;;) {
        const answer = await app.inject({
          method: 'POST',
          url: ROUTES.kubernetesEvent,
          headers: { 'content-type': 'application/json', ...(options.authorization ? { authorization: options.authorization } : {}) },
          payload: body,
        });
        if (answer.statusCode === 200) break;
        if ((answer.statusCode !== 503 && answer.statusCode !== 429) || !options.running()) {
          throw new AlertgateError(Code.InvalidArgument, `the gateway answered the watched event ${answer.statusCode}: ${answer.body.slice(0, 300)}`);
        }
        const retryAfterSeconds = Number(answer.headers['retry-after'] ?? 1);
        await new Promise((resolve) => setTimeout(resolve, Math.min(30, Math.max(1, retryAfterSeconds)) * 1000));
      }
    }
  };
}
