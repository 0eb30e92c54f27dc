import { residentMiB } from '@alertgate/local-env';
import { Agent, request } from 'undici';

import { quantile } from './stats.js';

/** How an overload run is driven: open loop, at a rate the gateway cannot carry. */
export interface OverloadOptions {
  readonly url: string;
  /** Webhooks per second, whatever the answers take (open loop). */
  readonly rate: number;
  readonly seconds: number;
  /** The gateway's pid, for its resident memory. */
  readonly gatewayPid: number | undefined;
  readonly body: () => string;
  /** A sender's timeout: a request not answered within it counts as unanswered. */
  readonly timeoutMs: number;
}

export interface OverloadFigures {
  readonly sent: number;
  readonly accepted: number;
  /** 503 with Retry-After: shed, or a dependency that could not keep up. */
  readonly unavailable: number;
  readonly unavailableWithoutRetryAfter: number;
  /** 503s whose problem type says nothing was processed (urn:alertgate:problem:overloaded). */
  readonly shed: number;
  readonly otherStatus: number;
  readonly unanswered: number;
  /** Latency of the 200s, and of the 503s, ms. */
  readonly acceptedMs: { readonly p50: number; readonly p99: number; readonly max: number };
  readonly unavailableMs: { readonly p50: number; readonly p99: number };
  /** The gateway's RSS before, at its highest (sampled every 500 ms), and after the run, MiB. */
  readonly gatewayRss: { readonly before: number; readonly peak: number; readonly after: number };
}

interface Answer {
  readonly status: number;
  readonly ms: number;
  readonly retryAfter: boolean;
  readonly shed: boolean;
}

async function send(agent: Agent, options: OverloadOptions): Promise<Answer> {
  const started = performance.now();
  try {
    const response = await request(options.url, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': 'application/json' },
      body: options.body(),
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    });
    const text = await response.body.text();
    return {
      status: response.statusCode,
      ms: performance.now() - started,
      retryAfter: response.headers['retry-after'] !== undefined,
      shed: text.includes('urn:alertgate:problem:overloaded'),
    };
  } catch {
    return { status: 0, ms: performance.now() - started, retryAfter: false, shed: false };
  }
}

/**
 * Webhooks at a fixed rate for a while, each on a connection of its own when needed (a client
 * queue would hide the overload from the gateway): what the gateway answered, how fast, and its
 * memory along the way.
 */
export async function overloadRun(options: OverloadOptions): Promise<OverloadFigures> {
  const agent = new Agent({ connections: 4_096, pipelining: 1, keepAliveTimeout: 30_000 });
  const before = residentMiB(options.gatewayPid);
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, residentMiB(options.gatewayPid))), 500);
  const answers: Promise<Answer>[] = [];
  const started = performance.now();
  const interval = 1000 / options.rate;
  try {
    for (let k = 0; k < options.rate * options.seconds; k++) {
      const wait = started + k * interval - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      answers.push(send(agent, options));
    }
    return figures(await Promise.all(answers), { before, peak, after: residentMiB(options.gatewayPid) });
  } finally {
    clearInterval(sampler);
    await agent.close();
  }
}

function figures(answers: readonly Answer[], gatewayRss: OverloadFigures['gatewayRss']): OverloadFigures {
  const accepted = answers.filter((a) => a.status === 200);
  const unavailable = answers.filter((a) => a.status === 503);
  const ms = (of: readonly Answer[]): number[] => of.map((a) => a.ms).sort((x, y) => x - y);
  const round = (value: number): number => Math.round(value);
  const acceptedMs = ms(accepted);
  const unavailableMs = ms(unavailable);
  return {
    sent: answers.length,
    accepted: accepted.length,
    unavailable: unavailable.length,
    unavailableWithoutRetryAfter: unavailable.filter((a) => !a.retryAfter).length,
    shed: unavailable.filter((a) => a.shed).length,
    otherStatus: answers.filter((a) => a.status !== 0 && a.status !== 200 && a.status !== 503).length,
    unanswered: answers.filter((a) => a.status === 0).length,
    acceptedMs: { p50: round(quantile(acceptedMs, 0.5)), p99: round(quantile(acceptedMs, 0.99)), max: round(acceptedMs[acceptedMs.length - 1] ?? 0) },
    unavailableMs: { p50: round(quantile(unavailableMs, 0.5)), p99: round(quantile(unavailableMs, 0.99)) },
    gatewayRss,
  };
}
