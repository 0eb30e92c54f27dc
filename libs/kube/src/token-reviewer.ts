import { createHash } from 'node:crypto';

import { AlertgateError, Code, errorMessage } from '@alertgate/errors';
import type { Logger } from '@alertgate/logging';
import { counter } from '@alertgate/metrics';
import type * as K8s from '@kubernetes/client-node';

import { loadKubeClient, mapKubernetesError, type KubeClient, type KubernetesAccess } from './kube-client.js';

/** What the API server said of a token, as the gateway needs it. */
export type TokenVerdict =
  | { readonly kind: 'authenticated'; readonly username: string }
  /** Not a valid token for the audience: 401. */
  | { readonly kind: 'refused' }
  /** The API server could not be asked, and this token was valid when last asked: 503, the sender retries. */
  | { readonly kind: 'unavailable'; readonly detail: string };

export interface TokenReviewerOptions {
  readonly access: KubernetesAccess;
  /** The audience a token must be bound to (TokenRequest's audiences). */
  readonly audience: string;
  /** How long a review's answer is used without asking again. */
  readonly cacheTtlMs: number;
  /** At most this many tokens are remembered (the oldest go first). */
  readonly maxEntries: number;
  /** A timeout per review call. */
  readonly timeoutMs: number;
  readonly logger: Logger;
  readonly now?: () => number;
}

const reviews = counter({
  name: 'alertgate_ingest_token_reviews_total',
  help: 'Kubernetes TokenReviews of ServiceAccount tokens the gateway asked for, by result: authenticated, refused, unavailable (the API server could not be asked), or shed (too many in flight; not asked).',
  labelNames: ['result'],
});

/** A JWT: three base64url parts. Anything else is no ServiceAccount token. */
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const MAX_TOKEN_LENGTH = 16_384;
const MAX_REVIEWS_IN_FLIGHT = 32;

interface Remembered {
  /** Undefined: the token was refused. */
  readonly username: string | undefined;
  readonly reviewedAt: number;
}

/**
 * Authenticates ServiceAccount tokens with the API server's TokenReview, bound to one audience,
 * behind a bounded cache. It fails closed: when the API server cannot be asked, a token it
 * accepted before is answered `unavailable` (the gateway answers 503, and Alertmanager retries),
 * any other `refused` (401). Tokens are remembered by their SHA-256 digest only.
 */
export class TokenReviewer {
  private client: Promise<{ readonly api: K8s.AuthenticationV1Api; readonly k8s: KubeClient['k8s'] }> | undefined;
  private readonly cache = new Map<string, Remembered>();
  private readonly now: () => number;
  private inFlight = 0;

  constructor(private readonly options: TokenReviewerOptions) {
    this.now = options.now ?? Date.now;
  }

  async review(token: string): Promise<TokenVerdict> {
    // Only what could be a ServiceAccount token (a JWT) costs the API server a review.
    if (token.length > MAX_TOKEN_LENGTH || !JWT_SHAPE.test(token)) return { kind: 'refused' };
    const digest = createHash('sha256').update(token).digest('hex');
    const known = this.cache.get(digest);
    if (known && this.now() - known.reviewedAt < this.options.cacheTtlMs) return verdictOf(known);
    // A flood of made-up tokens must not become a flood of reviews: past the bound, the unknown are refused.
    if (this.inFlight >= MAX_REVIEWS_IN_FLIGHT) {
      reviews.inc({ result: 'shed' });
      return known?.username !== undefined ? { kind: 'unavailable', detail: 'too many token reviews in flight' } : { kind: 'refused' };
    }
    let username: string | undefined;
    this.inFlight += 1;
    try {
      username = await this.ask(token);
    } catch (err) {
      reviews.inc({ result: 'unavailable' });
      const detail = errorMessage(err);
      this.options.logger.warn({ err: detail }, 'TokenReview failed: the API server could not be asked');
      return known?.username !== undefined ? { kind: 'unavailable', detail } : { kind: 'refused' };
    } finally {
      this.inFlight -= 1;
    }
    reviews.inc({ result: username === undefined ? 'refused' : 'authenticated' });
    this.remember(digest, { username, reviewedAt: this.now() });
    return verdictOf({ username, reviewedAt: 0 });
  }

  /** The username the API server authenticates the token as, for the audience; undefined when it does not. */
  private async ask(token: string): Promise<string | undefined> {
    this.client ??= loadKubeClient(this.options.access).then((client: KubeClient) => ({
      api: client.config.makeApiClient(client.k8s.AuthenticationV1Api),
      k8s: client.k8s,
    }));
    const { api, k8s } = await this.client;
    const { audience, timeoutMs } = this.options;
    const spec = Object.assign(new k8s.V1TokenReviewSpec(), { token, audiences: [audience] });
    const body = Object.assign(new k8s.V1TokenReview(), { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec });
    let answer: Awaited<ReturnType<typeof api.createTokenReview>>;
    try {
      answer = await withTimeout(api.createTokenReview({ body }), timeoutMs);
    } catch (err) {
      const mapped = mapKubernetesError(err, 'TokenReview');
      // Our own credentials or RBAC refused the review: as unavailable as a dead API server.
      throw mapped.code === Code.Unauthenticated || mapped.code === Code.PermissionDenied
        ? new AlertgateError(Code.Unavailable, mapped.message, { cause: err })
        : mapped;
    }
    const { status } = answer;
    if (!status?.authenticated || !status.audiences?.includes(audience)) return undefined;
    return status.user?.username;
  }

  private remember(digest: string, entry: Remembered): void {
    this.cache.delete(digest);
    this.cache.set(digest, entry);
    while (this.cache.size > this.options.maxEntries) {
      const oldest = this.cache.keys().next().value;
      if (oldest === undefined) break;
      this.cache.delete(oldest);
    }
  }
}

function verdictOf({ username }: Remembered): TokenVerdict {
  return username === undefined ? { kind: 'refused' } : { kind: 'authenticated', username };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new AlertgateError(Code.Unavailable, `TokenReview: no answer within ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}
