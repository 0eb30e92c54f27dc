import { context, trace, type Context, type Link } from '@opentelemetry/api';
import { AlertgateError } from '@alertgate/errors';
import type { Signal } from '@alertgate/proto';

import type { IngestPipeline, PipelineResult, RefusedResult } from './ingest-pipeline.js';
import { overloaded } from './overload.js';

export interface PipelineBatcherOptions {
  /** Pipeline runs in flight at once; webhooks arriving meanwhile wait and go together. */
  readonly maxInFlight: number;
  /** At most this many signals in one run (a webhook with more runs alone). */
  readonly maxSignals: number;
  /** At most this many body bytes in one run, so merged webhooks stay far below gRPC's 4 MiB. */
  readonly maxBytes: number;
  /**
   * A run alongside one already in flight starts only with at least this many signals waiting;
   * fewer wait for a run to end and go with the next. Every run costs each service one call, and
   * a call costs a process wake-up whatever it carries, so small webhooks (single alerts) are
   * cheaper together: 50 gave +20% single alerts/s (BENCHMARKS.md). But a sender with few
   * requests in flight then waits a run longer each time, and on a starved machine that slowed
   * two gateways' requests to a shared limit below its rate (e2e/src/ratelimit: 496–506 of 510
   * admitted, against 503–508 with 1). So the default is 1; raise it where throughput of many
   * small webhooks matters more than their latency. Whatever it is, a run also waits for as many
   * signals as the smallest run in flight (overlapThreshold).
   */
  readonly overlapSignals: number;
  /**
   * Overload: at most this many signals wait for a run. A webhook beyond it is refused at once
   * (503 + Retry-After), so that the gateway's memory and its answers' latency stay bounded
   * however many senders push.
   */
  readonly maxQueuedSignals: number;
  /** Overload: a webhook that waited this long since it arrived is refused (503) instead of run late. */
  readonly maxWaitMs: number;
}

export const BATCHER_DEFAULTS: PipelineBatcherOptions = {
  maxInFlight: 2,
  maxSignals: 1000,
  maxBytes: 1024 * 1024,
  overlapSignals: 1,
  maxQueuedSignals: 20_000,
  maxWaitMs: 10_000,
};

interface Job {
  readonly signals: readonly Signal[];
  /** When its request arrived (the batcher's clock): its wait counts from there. */
  readonly at: number;
  readonly source: string;
  /** The authenticated sender ('' without authentication): recorded on the resources it opens. */
  readonly sender: string;
  readonly bytes: number;
  readonly context: Context;
  readonly resolve: (result: PipelineResult | RefusedResult) => void;
  readonly reject: (err: unknown) => void;
}

/**
 * Group commit for webhooks: a webhook that finds no pipeline run in flight starts one
 * at once — no timer, no added latency when the gateway is idle — and one that finds fewer than
 * maxInFlight starts another when at least overlapSignals signals are waiting; webhooks
 * that arrive while the runs are busy wait, and the next free run takes all of them together,
 * so that under load each service answers one call (one Redis round trip) for many webhooks.
 * Every webhook still gets its own answer: its own results, its own request limit, its own
 * creation budget; a run that fails retryably fails each of its webhooks with the same error,
 * and one that fails for good is run again webhook by webhook, so that only the webhook at fault
 * is refused.
 * The run's trace is the first webhook's, linked to the others'.
 */
export class PipelineBatcher {
  private readonly queue: Job[] = [];
  private queuedSignals = 0;
  /** The runs in flight, each with its number of signals. */
  private readonly inFlight = new Set<{ readonly signals: number }>();

  constructor(
    private readonly pipeline: IngestPipeline,
    private readonly options: PipelineBatcherOptions = BATCHER_DEFAULTS,
    private readonly now: () => number = Date.now,
  ) {}

  /** `receivedAt`: when the request arrived, if earlier than now (reading and parsing it took time). */
  submit(signals: readonly Signal[], source: string, bytes: number, receivedAt: number = this.now(), sender = ''): Promise<PipelineResult | RefusedResult> {
    if (this.queue.length > 0 && this.queuedSignals + signals.length > this.options.maxQueuedSignals) {
      return Promise.reject(
        overloaded(
          'queue_full',
          `the gateway is overloaded: ${this.queuedSignals} signals wait for a pipeline run (INGEST_QUEUE_MAX_SIGNALS ${this.options.maxQueuedSignals}); nothing of this request was processed`,
        ),
      );
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ signals, source, sender, bytes, at: Math.min(receivedAt, this.now()), context: context.active(), resolve, reject });
      this.queuedSignals += signals.length;
      this.drain();
    });
  }

  private drain(): void {
    while (
      this.queue.length > 0 &&
      (this.inFlight.size === 0 || (this.inFlight.size < this.options.maxInFlight && this.queuedSignals >= this.overlapThreshold()))
    ) {
      const { jobs, signals } = this.take();
      // Everything waiting had waited too long (shed).
      if (jobs.length === 0) break;
      const entry = { signals };
      this.inFlight.add(entry);
      void this.run(jobs).finally(() => {
        this.inFlight.delete(entry);
        this.drain();
      });
    }
  }

  /**
   * Signals that must wait before a run starts beside those in flight: overlapSignals, and as
   * many as the smallest run in flight, so that runs stay of a size. Without the second rule a
   * run of one webhook started as soon as another was in flight, and every run costs each
   * service a call whatever it carries (paired runs, BENCHMARKS.md: +10% webhooks of 50, +13%
   * single alerts per second against half as many, more against none).
   */
  private overlapThreshold(): number {
    let smallest = Infinity;
    for (const run of this.inFlight) smallest = Math.min(smallest, run.signals);
    return Math.max(this.options.overlapSignals, smallest === Infinity ? 1 : smallest);
  }

  /** The waiting webhooks not shed, oldest first, up to the limits (at least one), and their signals. */
  private take(): { jobs: Job[]; signals: number } {
    this.shedLate();
    const batch: Job[] = [];
    let signals = 0;
    let bytes = 0;
    for (const job of this.queue) {
      if (batch.length > 0 && (signals + job.signals.length > this.options.maxSignals || bytes + job.bytes > this.options.maxBytes)) break;
      batch.push(job);
      signals += job.signals.length;
      bytes += job.bytes;
    }
    this.queue.splice(0, batch.length);
    this.queuedSignals -= signals;
    return { jobs: batch, signals };
  }

  /** Refuses the webhooks that waited longer than maxWaitMs: nothing of them was done yet. */
  private shedLate(): void {
    const oldest = this.now() - this.options.maxWaitMs;
    while (this.queue.length > 0 && (this.queue[0]?.at ?? oldest) < oldest) {
      const job = this.queue.shift();
      if (!job) break;
      this.queuedSignals -= job.signals.length;
      job.reject(
        overloaded(
          'queue_timeout',
          `the gateway is overloaded: this request waited ${this.now() - job.at} ms since it arrived (INGEST_QUEUE_TIMEOUT ${this.options.maxWaitMs} ms); nothing of it was processed`,
        ),
      );
    }
  }

  private async run(batch: readonly Job[]): Promise<void> {
    const [leader] = batch;
    if (!leader) return;
    const links: Link[] = batch
      .slice(1)
      .map((job) => trace.getSpanContext(job.context))
      .filter((span) => span !== undefined && trace.isSpanContextValid(span))
      .map((span) => ({ context: span as NonNullable<typeof span> }));
    try {
      // The run's place is free again once its shared part is done; each webhook is answered
      // when its own work is (IngestPipeline.startBatch).
      const pending = await context.with(leader.context, () => this.pipeline.startBatch(batch, links));
      batch.forEach((job, i) => {
        const result = pending[i];
        if (result) result.then(job.resolve, job.reject);
        else job.reject(new Error('pipeline answered no result for a webhook'));
      });
    } catch (err) {
      // A failure no retry can fix belongs to one webhook, not to the others it ran with: each
      // runs again alone and gets its own answer. (The pipeline forgot the run's new incidents;
      // a retryable failure fails every webhook of the run, and each sender retries.)
      if (batch.length > 1 && !AlertgateError.from(err).retryable) await Promise.all(batch.map((job) => this.run([job])));
      else for (const job of batch) job.reject(err);
    }
  }
}
