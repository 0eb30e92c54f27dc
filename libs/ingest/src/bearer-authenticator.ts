import { createHash, timingSafeEqual } from 'node:crypto';

/** The gateway's authentication: one bearer token, or none (npm start only). */
export type IngestAuth = { readonly mode: 'token'; readonly token: string } | { readonly mode: 'disabled' };

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/**
 * Checks an Authorization header against the configured bearer token. Both sides are compared as
 * SHA-256 digests of fixed length, so that neither the comparison's time nor an early return on
 * a length mismatch tells how long the token is.
 */
export function bearerAuthenticator(auth: IngestAuth): (authorization: string | undefined) => boolean {
  if (auth.mode === 'disabled') return () => true;
  const expected = digest(auth.token);
  return (authorization) => {
    const header = authorization ?? '';
    const presented = header.startsWith('Bearer ') ? header.slice(7).trim() : '';
    // Compared even when absent, so a missing header costs the same as a wrong one.
    return timingSafeEqual(digest(presented), expected) && presented !== '';
  };
}
