/**
 * RFC 7807 problem details. Every error answer of the gateway is one of these, with
 * Content-Type application/problem+json.
 */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly instance?: string;
  readonly errors?: readonly { readonly pointer: string; readonly detail: string }[];
  readonly retryAfterSeconds?: number;
  /** Per-signal results when part of a request was processed (creation budget). */
  readonly results?: readonly unknown[];
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

const TYPE_BASE = 'urn:alertgate:problem:';

export const PROBLEM_TYPES = {
  invalidInput: { type: `${TYPE_BASE}invalid-input`, title: 'The request body is invalid', status: 400 },
  malformedJson: { type: `${TYPE_BASE}malformed-json`, title: 'The request body is not valid JSON', status: 400 },
  tooLarge: { type: `${TYPE_BASE}too-large`, title: 'The request is larger than accepted', status: 413 },
  malformedRequest: { type: `${TYPE_BASE}malformed-request`, title: 'The request is not valid HTTP', status: 400 },
  requestTimeout: { type: `${TYPE_BASE}request-timeout`, title: 'The request took too long to arrive', status: 408 },
  headersTooLarge: { type: `${TYPE_BASE}headers-too-large`, title: 'The request headers are larger than accepted', status: 431 },
  unsupportedMediaType: { type: `${TYPE_BASE}unsupported-media-type`, title: 'The body must be application/json', status: 415 },
  unauthenticated: { type: `${TYPE_BASE}unauthenticated`, title: 'A valid bearer token is required', status: 401 },
  tooManyRequests: { type: `${TYPE_BASE}rate-limited`, title: 'Over the rate limit; retry later', status: 429 },
  /** The same refusal for Alertmanager, which drops a 4xx (429 included) and retries a 5xx. */
  rateLimitedRetryable: { type: `${TYPE_BASE}rate-limited`, title: 'Over the rate limit; retry later', status: 503 },
  notFound: { type: `${TYPE_BASE}not-found`, title: 'No such endpoint', status: 404 },
  methodNotAllowed: { type: `${TYPE_BASE}method-not-allowed`, title: 'Method not allowed', status: 405 },
  unavailable: { type: `${TYPE_BASE}temporarily-unavailable`, title: 'A dependency is temporarily unavailable; retry later', status: 503 },
  overloaded: { type: `${TYPE_BASE}overloaded`, title: 'The gateway is overloaded: nothing of the request was processed; retry later', status: 503 },
  internal: { type: `${TYPE_BASE}internal`, title: 'Internal error', status: 500 },
} as const;

export type ProblemType = (typeof PROBLEM_TYPES)[keyof typeof PROBLEM_TYPES];

export function problem(
  kind: ProblemType,
  detail: string,
  extra: Partial<Pick<Problem, 'errors' | 'instance' | 'retryAfterSeconds' | 'results'>> = {},
): Problem {
  return { type: kind.type, title: kind.title, status: kind.status, detail, ...extra };
}
