import type { Ledger } from './ledger.js';
import { errorMessage } from '@alertgate/errors';

export interface SenderOptions {
  /** The gateway's Alertmanager webhook URL. */
  readonly url: string;
  readonly namespace: string;
  /** Alert groups; each has one webhook in flight at a time, as Alertmanager's groups do. */
  readonly groups: number;
  /** Firing alerts a group holds: a webhook carries them and the ones just resolved (10–50). */
  readonly minFiring: number;
  readonly maxFiring: number;
  /** Deliveries an alert fires for before it resolves: uniformly between these. */
  readonly minDeliveries: number;
  readonly maxDeliveries: number;
  /** Pause after a delivered notification (Alertmanager's group_interval, shortened). */
  readonly intervalMs: number;
  /** Makes this run's alerts unlike any other run's. */
  readonly runId: string;
}

/** A failed attempt: its time and what it got (an HTTP status, or 0 for no answer), and why. */
export interface Failure {
  readonly at: number;
  readonly status: number;
  /** The problem's detail, or the error when there was no answer. */
  readonly detail: string;
}

interface Attempt {
  readonly status: number;
  readonly detail: string;
}

interface SentAlert {
  readonly pod: string;
  readonly startsAt: string;
  deliveriesLeft: number;
  /** Set once it resolved: the next webhooks carry it as resolved until one is answered 200. */
  endsAt?: string;
}

/** Alertmanager's retry: exponential from 250 ms, at most 4 s between attempts. */
const FIRST_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 4_000;
/** No answer within this is a failed attempt (Alertmanager's webhook timeout). */
const ATTEMPT_TIMEOUT_MS = 15_000;

function between(min: number, max: number): number {
  return min + Math.floor(Math.random() * (max - min + 1));
}

/**
 * Senders that behave like Alertmanager's notification pipeline: each group sends its firing
 * alerts and those just resolved, in one webhook at a time; new alerts join, repeated ones fire
 * again, old ones resolve. A 5xx or a connection error is retried with the same body and an
 * exponential backoff until it is answered 200. Every 200 goes into the ledger.
 */
export class AlertmanagerLikeSender {
  private stopping = false;
  private running: Promise<void> | undefined;
  private born = 0;
  readonly failures: Failure[] = [];
  /** Answers that are neither 200 nor retried (4xx): each is a defect. */
  readonly refused: string[] = [];

  constructor(
    private readonly options: SenderOptions,
    private readonly ledger: Ledger,
  ) {}

  start(): void {
    this.running = Promise.all(Array.from({ length: this.options.groups }, (_v, g) => this.group(g))).then(() => undefined);
  }

  /** Ends every group after its webhook in flight is answered (or after its next failed attempt). */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.running;
  }

  private alertname(g: number): string {
    return `Chaos${g}`;
  }

  private newAlert(): SentAlert {
    this.born += 1;
    const { minDeliveries, maxDeliveries, runId } = this.options;
    return { pod: `${runId}-p${this.born}`, startsAt: new Date().toISOString(), deliveriesLeft: between(minDeliveries, maxDeliveries) };
  }

  private async group(g: number): Promise<void> {
    const alerts: SentAlert[] = [];
    const target = between(this.options.minFiring, this.options.maxFiring);
    while (!this.stopping) {
      while (alerts.filter((alert) => !alert.endsAt).length < target) alerts.push(this.newAlert());
      const sent = alerts.map((alert) => ({ ...alert }));
      if (!(await this.deliver(this.body(g, sent)))) return;
      this.ledger.acknowledged(g);
      for (const alert of sent) {
        if (alert.endsAt) this.ledger.resolved(this.alertname(g), alert.pod);
        else this.ledger.firing(this.alertname(g), alert.pod);
      }
      this.advance(alerts, sent);
      await new Promise((resolve) => setTimeout(resolve, this.options.intervalMs));
    }
  }

  /** After a 200: resolutions delivered leave the group; firing alerts count down to resolving. */
  private advance(alerts: SentAlert[], sent: readonly SentAlert[]): void {
    const delivered = new Map(sent.map((alert) => [alert.pod, alert]));
    for (let i = alerts.length - 1; i >= 0; i--) {
      const alert = alerts[i];
      const copy = alert && delivered.get(alert.pod);
      if (!alert || !copy) continue;
      if (copy.endsAt) alerts.splice(i, 1);
      else if (--alert.deliveriesLeft <= 0) alert.endsAt = new Date().toISOString();
    }
  }

  private body(g: number, alerts: readonly SentAlert[]): string {
    const alertname = this.alertname(g);
    return JSON.stringify({
      version: '4',
      status: alerts.some((alert) => !alert.endsAt) ? 'firing' : 'resolved',
      receiver: 'alertgate',
      groupKey: `{}:{alertname="${alertname}"}`,
      truncatedAlerts: 0,
      groupLabels: { alertname },
      commonLabels: { alertname, namespace: this.options.namespace },
      commonAnnotations: {},
      externalURL: 'http://alertmanager.chaos',
      alerts: alerts.map((alert) => ({
        status: alert.endsAt ? 'resolved' : 'firing',
        labels: { alertname, namespace: this.options.namespace, pod: alert.pod, severity: 'warning' },
        annotations: { summary: 'chaos' },
        startsAt: alert.startsAt,
        endsAt: alert.endsAt ?? '0001-01-01T00:00:00Z',
        generatorURL: 'http://prometheus.chaos/graph',
        fingerprint: '0123456789abcdef',
      })),
    });
  }

  /** Sends until answered 200 (true), or false when stopping after a failed attempt or on a 4xx. */
  private async deliver(body: string): Promise<boolean> {
    for (let backoff = FIRST_BACKOFF_MS; ; backoff = Math.min(MAX_BACKOFF_MS, backoff * 2)) {
      const { status, detail } = await this.attempt(body);
      if (status === 200) return true;
      if (status >= 400 && status < 500) {
        this.refused.push(`${status} ${detail}`);
        return false;
      }
      this.failures.push({ at: Date.now(), status, detail });
      if (this.stopping) return false;
      await new Promise((resolve) => setTimeout(resolve, backoff));
    }
  }

  private async attempt(body: string): Promise<Attempt> {
    try {
      const response = await fetch(this.options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
      });
      const text = await response.text();
      return { status: response.status, detail: response.status === 200 ? '' : problemDetail(text) };
    } catch (err) {
      return { status: 0, detail: errorMessage(err) };
    }
  }
}

/** A problem's detail, short: what a failure was about. */
function problemDetail(text: string): string {
  try {
    const { detail } = JSON.parse(text) as { detail?: unknown };
    return (typeof detail === 'string' ? detail : text).slice(0, 200);
  } catch {
    return text.slice(0, 200);
  }
}
