import { type Agent, request } from 'undici';

import { quantile, round2 } from './stats.js';
import { webhookBody } from './webhook-body.js';

/** How the senders behave: like Alertmanager's notification pipeline, one webhook in flight per group. */
export interface SendersOptions {
  /** Alert groups; each sends its next webhook when the last one was answered. */
  readonly groups: number;
  /** Open incidents the groups repeat (split among them). */
  readonly incidents: number;
  /** Alerts per webhook: uniformly between these. */
  readonly minAlerts: number;
  readonly maxAlerts: number;
  /** New incidents per second over all groups (they ride in the webhooks as they go). */
  readonly newPerSecond: number;
  readonly seconds: number;
  /** Makes this run's alerts unlike any other run's on the same Redis. */
  readonly runId: string;
}

export const SENDERS_DEFAULTS: Omit<SendersOptions, 'seconds' | 'runId'> = { groups: 6, incidents: 300, minAlerts: 10, maxAlerts: 50, newPerSecond: 50 };

export interface SendersResult {
  readonly webhooks: number;
  readonly alerts: number;
  readonly seconds: number;
  readonly alertsPerSecond: number;
  /** Per webhook, ms. */
  readonly p50ms: number;
  readonly p95ms: number;
  readonly p99ms: number;
  /** Webhooks that carried only repeats of open incidents: their p99, and how many. */
  readonly repeatsOnlyP99ms: number;
  readonly repeatsOnlyWebhooks: number;
  readonly createdPerSecond: number;
  /** Answers of 503, all of them, and those that deferred nothing (work done, still refused). */
  readonly answers503: number;
  readonly answers503WithoutDeferred: number;
  readonly errors: number;
}

interface Answer {
  readonly status: number;
  readonly ms: number;
  readonly created: number;
  readonly deferred: number;
}

function alert(labels: Record<string, string>, startsAt: string): object {
  return {
    status: 'firing',
    labels,
    annotations: { summary: 'bench' },
    startsAt,
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: 'http://prom',
    fingerprint: '0123456789abcdef',
  };
}

/**
 * Alertmanager-like senders against one gateway URL for `seconds`: each group repeats its share
 * of the open incidents in webhooks of minAlerts–maxAlerts alerts, with new incidents mixed in at
 * newPerSecond overall; a 503 is counted and the group goes on (a real Alertmanager would retry
 * the same webhook; here the next one carries the same repeats anyway). Call `warm` first so
 * that the repeats are of open incidents.
 */
export class AlertmanagerSenders {
  private fresh = 0;
  private newOwed = 0;

  constructor(
    private readonly agent: Agent,
    private readonly url: string,
    private readonly options: SendersOptions,
  ) {}

  private incident(i: number): Record<string, string> {
    return { alertname: `SenderRepeat${i % 25}`, namespace: `team-${i % 20}`, pod: `open-${i}-${this.options.runId}`, severity: 'warning' };
  }

  /** Opens every incident the groups will repeat (webhooks of 50). */
  async warm(): Promise<void> {
    const startsAt = new Date(Date.now() - 60_000).toISOString();
    for (let from = 0; from < this.options.incidents; from += 50) {
      const alerts = Array.from({ length: Math.min(50, this.options.incidents - from) }, (_v, k) => alert(this.incident(from + k), startsAt));
      await this.post(alerts);
    }
  }

  private async post(alerts: object[]): Promise<Answer> {
    const body = webhookBody(alerts);
    const t0 = performance.now();
    const response = await request(this.url, { method: 'POST', dispatcher: this.agent, headers: { 'content-type': 'application/json' }, body });
    const text = await response.body.text();
    return {
      status: response.statusCode,
      ms: performance.now() - t0,
      created: (text.match(/"outcome":"created"/g) ?? []).length,
      deferred: (text.match(/"outcome":"deferred"/g) ?? []).length,
    };
  }

  async run(): Promise<SendersResult> {
    const { groups, incidents, minAlerts, maxAlerts, newPerSecond, seconds } = this.options;
    const startsAt = new Date(Date.now() - 60_000).toISOString();
    const all: Answer[] = [];
    const repeatsOnly: number[] = [];
    let alerts = 0;
    let errors = 0;
    const started = performance.now();
    let last = started;
    const group = async (g: number): Promise<void> => {
      const own = Array.from({ length: Math.ceil(incidents / groups) }, (_v, k) => g + k * groups).filter((i) => i < incidents);
      let next = 0;
      while (performance.now() < started + seconds * 1000) {
        const now = performance.now();
        this.newOwed += ((now - last) / 1000) * newPerSecond;
        last = now;
        const size = minAlerts + Math.floor(Math.random() * (maxAlerts - minAlerts + 1));
        const fresh = Math.min(size, Math.floor(this.newOwed));
        this.newOwed -= fresh;
        const batch = Array.from({ length: size }, (_v, k) => {
          if (k < fresh) {
            this.fresh += 1;
            return alert(
              {
                alertname: `SenderNew${this.fresh % 25}`,
                namespace: `team-${this.fresh % 20}`,
                pod: `new-${this.fresh}-${this.options.runId}`,
                severity: 'warning',
              },
              startsAt,
            );
          }
          next = (next + 1) % own.length;
          return alert(this.incident(own[next] ?? 0), startsAt);
        });
        try {
          const answer = await this.post(batch);
          all.push(answer);
          if (answer.status === 200) alerts += size;
          if (fresh === 0) repeatsOnly.push(answer.ms);
        } catch {
          errors += 1;
        }
      }
    };
    await Promise.all(Array.from({ length: groups }, (_v, g) => group(g)));
    const elapsed = (performance.now() - started) / 1000;
    const latencies = all.map((answer) => answer.ms).sort((a, b) => a - b);
    repeatsOnly.sort((a, b) => a - b);
    const refused = all.filter((answer) => answer.status === 503);
    return {
      webhooks: all.length,
      alerts,
      seconds: round2(elapsed),
      alertsPerSecond: Math.round(alerts / elapsed),
      p50ms: round2(quantile(latencies, 0.5)),
      p95ms: round2(quantile(latencies, 0.95)),
      p99ms: round2(quantile(latencies, 0.99)),
      repeatsOnlyP99ms: round2(quantile(repeatsOnly, 0.99)),
      repeatsOnlyWebhooks: repeatsOnly.length,
      createdPerSecond: Math.round(all.reduce((sum, answer) => sum + answer.created, 0) / elapsed),
      answers503: refused.length,
      answers503WithoutDeferred: refused.filter((answer) => answer.deferred === 0).length,
      errors: errors + all.filter((answer) => answer.status !== 200 && answer.status !== 503).length,
    };
  }
}
