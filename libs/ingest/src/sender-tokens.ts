import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

import { AlertgateError, Code, errorMessage } from '@alertgate/errors';
import type { TokenVerdict } from '@alertgate/kube';
import type { Logger } from '@alertgate/logging';
import { counter } from '@alertgate/metrics';
import { parse } from 'yaml';

/** Where the senders' bearer tokens come from (apps/ingest-gateway/src/config.ts reads which). */
export type TokenSource =
  /** Tokens given at start (INGEST_TOKEN, tests): never reloaded. */
  | { readonly kind: 'fixed'; readonly tokens: Readonly<Record<string, string>> }
  /** One token in a file, for one sender (INGEST_TOKEN_FILE). */
  | { readonly kind: 'file'; readonly path: string; readonly sender: string }
  /** A YAML mapping of sender to token (INGEST_TOKENS_FILE). */
  | { readonly kind: 'mapping'; readonly path: string }
  /** A directory with one file per sender, named after it (INGEST_TOKENS_DIR: a Secret's keys). */
  | { readonly kind: 'directory'; readonly path: string };

/** The senders' own tokens: where they are, how often they are read again, how long a replaced one still counts. */
export interface SenderTokensOptions {
  readonly source: TokenSource;
  readonly reloadIntervalMs: number;
  readonly graceMs: number;
}

/** The gateway's authentication: named senders' tokens, or none (npm start only). */
export type IngestAuth =
  | { readonly mode: 'disabled' }
  /** `source` undefined: no token of alertgate's own (ServiceAccount tokens only, by TokenReview). */
  | { readonly mode: 'token'; readonly source: TokenSource | undefined; readonly reloadIntervalMs: number; readonly graceMs: number };

/** What a request's Authorization header proves. */
export type Authentication =
  | { readonly kind: 'sender'; readonly sender: string }
  /** No token, or one no sender has: 401. */
  | { readonly kind: 'refused' }
  /** The token cannot be checked now (the API server of a TokenReview is down): 503, retried. */
  | { readonly kind: 'unavailable'; readonly detail: string };

/** Who sent a request, by its Authorization header. */
export interface Authenticator {
  /** False: every request is admitted, under no sender name. */
  readonly enabled: boolean;
  authenticate(authorization: string | undefined): Authentication | Promise<Authentication>;
}

export const NO_AUTHENTICATION: Authenticator = { enabled: false, authenticate: () => ({ kind: 'refused' }) };

/** The bearer token of an Authorization header, or undefined. */
export function bearerToken(authorization: string | undefined): string | undefined {
  const header = authorization ?? '';
  if (!header.startsWith('Bearer ')) return undefined;
  const token = header.slice(7).trim();
  return token === '' ? undefined : token;
}

/**
 * The senders' own tokens first (no call), then, for any other bearer token, a review by the
 * API server (ServiceAccount tokens): the sender is then the ServiceAccount's username.
 */
export function withTokenReview(tokens: Authenticator | undefined, review: (token: string) => Promise<TokenVerdict>): Authenticator {
  const reviewed: Authenticator = {
    enabled: true,
    authenticate: async (authorization) => {
      const token = bearerToken(authorization);
      if (token === undefined) return { kind: 'refused' };
      const verdict = await review(token);
      return verdict.kind === 'authenticated' ? { kind: 'sender', sender: verdict.username } : verdict;
    },
  };
  return tokens ? firstOf(tokens, reviewed) : reviewed;
}

/** A sender name goes into a rate-limit key and an annotation value: a DNS label, lower case. */
const SENDER_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const MIN_TOKEN_LENGTH = 16;

const reloads = counter({
  name: 'alertgate_ingest_token_reloads_total',
  help: 'Reads of changed sender tokens (INGEST_TOKENS_DIR, INGEST_TOKENS_FILE, INGEST_TOKEN_FILE), by outcome: loaded, or invalid (the previous tokens stay in use).',
  labelNames: ['outcome'],
});

const digestOf = (token: string): string => createHash('sha256').update(token).digest('hex');

/**
 * The senders' tokens, read again every interval. Tokens are held and looked up as SHA-256
 * digests: the lookup's time depends on the digest of what was presented, never on how much of
 * a real token it matched, and no token is kept in memory in the clear after loading. A token
 * that disappears (rotation) stays valid for the grace time, so that senders can move to its
 * successor without a failed delivery. Changed files that do not check out (a bad name, a short
 * token, one token for two senders) are logged and ignored: the previous tokens stay in use.
 */
export class SenderTokens implements Authenticator {
  readonly enabled = true;
  private current = new Map<string, string>();
  /** Digest → sender and until when it is still accepted. */
  private readonly retired = new Map<string, { readonly sender: string; readonly untilMs: number }>();
  private fingerprint = '';
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly auth: SenderTokensOptions,
    private readonly logger: Logger,
    private readonly now: () => number,
  ) {}

  /** Reads the tokens once: the gateway does not start without at least one valid token. */
  static async load(auth: SenderTokensOptions, logger: Logger, now: () => number = Date.now): Promise<SenderTokens> {
    const tokens = new SenderTokens(auth, logger, now);
    tokens.use(await readTokens(auth.source));
    return tokens;
  }

  /** Reloads every interval, unless the tokens were given at start. */
  watch(): this {
    if (this.auth.source.kind !== 'fixed') {
      this.timer = setInterval(() => void this.reload(), this.auth.reloadIntervalMs);
      this.timer.unref();
    }
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** The senders with a current token (not those only in their grace time). */
  senders(): string[] {
    return [...new Set([...this.current.values()])].sort();
  }

  authenticate(authorization: string | undefined): Authentication {
    const sender = this.senderOf(authorization);
    return sender === undefined ? { kind: 'refused' } : { kind: 'sender', sender };
  }

  /** The sender whose token the header carries; undefined for none or an unknown one. */
  senderOf(authorization: string | undefined): string | undefined {
    const token = bearerToken(authorization);
    if (token === undefined) return undefined;
    const digest = digestOf(token);
    const sender = this.current.get(digest);
    if (sender !== undefined) return sender;
    const retired = this.retired.get(digest);
    return retired && retired.untilMs > this.now() ? retired.sender : undefined;
  }

  /** Reads the tokens now; true when they changed and were taken. */
  async reload(): Promise<boolean> {
    let next: Map<string, string>;
    try {
      next = await readTokens(this.auth.source);
    } catch (err) {
      reloads.inc({ outcome: 'invalid' });
      this.logger.warn({ err: errorMessage(err) }, 'sender tokens changed but are not usable; the previous tokens stay in use');
      return false;
    }
    if (fingerprintOf(next) === this.fingerprint) return false;
    const untilMs = this.now() + this.auth.graceMs;
    for (const [digest, sender] of this.current) {
      if (!next.has(digest)) this.retired.set(digest, { sender, untilMs });
    }
    this.use(next);
    reloads.inc({ outcome: 'loaded' });
    this.logger.info({ senders: this.senders(), graceMs: this.auth.graceMs }, 'sender tokens reloaded; replaced tokens stay valid for the grace time');
    return true;
  }

  private use(next: Map<string, string>): void {
    const now = this.now();
    for (const [digest, { untilMs }] of this.retired) {
      if (next.has(digest) || untilMs <= now) this.retired.delete(digest);
    }
    this.current = next;
    this.fingerprint = fingerprintOf(next);
  }
}

const fingerprintOf = (tokens: ReadonlyMap<string, string>): string =>
  [...tokens]
    .map(([digest, sender]) => `${sender}=${digest}`)
    .sort()
    .join(',');

/** Digest → sender, checked: valid names, long enough tokens, no token shared by two senders. */
async function readTokens(source: TokenSource): Promise<Map<string, string>> {
  const entries = await readEntries(source);
  if (entries.length === 0) throw invalid(source, 'no token in it');
  const tokens = new Map<string, string>();
  for (const [sender, token] of entries) {
    if (!SENDER_NAME.test(sender))
      throw invalid(source, `sender name "${sender.slice(0, 80)}" must be a DNS label: lower-case letters, digits and "-", at most 63`);
    if (token.length < MIN_TOKEN_LENGTH || /\s/.test(token))
      throw invalid(source, `the token of sender "${sender}" must be at least ${MIN_TOKEN_LENGTH} characters without whitespace`);
    const digest = digestOf(token);
    const other = tokens.get(digest);
    if (other !== undefined) throw invalid(source, `senders "${other}" and "${sender}" have the same token`);
    tokens.set(digest, sender);
  }
  return tokens;
}

async function readEntries(source: TokenSource): Promise<[string, string][]> {
  try {
    switch (source.kind) {
      case 'fixed':
        return Object.entries(source.tokens);
      case 'file':
        return [[source.sender, (await readFile(source.path, 'utf8')).trim()]];
      case 'mapping': {
        const mapping: unknown = parse(await readFile(source.path, 'utf8'));
        if (typeof mapping !== 'object' || mapping === null || Array.isArray(mapping)) throw new Error('must be a YAML mapping of sender name to token');
        return Object.entries(mapping).map(([sender, token]) => [sender, typeof token === 'string' ? token : '']);
      }
      case 'directory':
        return await readDirectory(source.path);
    }
  } catch (err) {
    if (err instanceof AlertgateError) throw err;
    throw invalid(source, errorMessage(err));
  }
}

/** One file per sender; the kubelet's own entries of a Secret volume (..data, ..2026_…) are not senders. */
async function readDirectory(dir: string): Promise<[string, string][]> {
  const entries: [string, string][] = [];
  for (const name of (await readdir(dir)).sort()) {
    if (name.startsWith('.')) continue;
    const path = join(dir, name);
    if (!(await stat(path)).isFile()) continue;
    entries.push([name, (await readFile(path, 'utf8')).trim()]);
  }
  return entries;
}

function invalid(source: TokenSource, detail: string): AlertgateError {
  const where =
    source.kind === 'fixed'
      ? 'INGEST_TOKEN'
      : source.kind === 'file'
        ? `INGEST_TOKEN_FILE ${source.path}`
        : source.kind === 'mapping'
          ? `INGEST_TOKENS_FILE ${source.path}`
          : `INGEST_TOKENS_DIR ${source.path}`;
  return new AlertgateError(Code.InvalidArgument, `${where}: ${detail}`);
}

/** The first authenticator that names a sender; the last one's refusal or unavailability otherwise. */
export function firstOf(first: Authenticator, second: Authenticator): Authenticator {
  return {
    enabled: first.enabled || second.enabled,
    authenticate: async (authorization) => {
      const own = await first.authenticate(authorization);
      return own.kind === 'sender' ? own : second.authenticate(authorization);
    },
  };
}
