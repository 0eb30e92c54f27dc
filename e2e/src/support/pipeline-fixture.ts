import { mkdtempSync, readdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { startSystem, type AppName, type RunningSystem } from '@alertgate/local-env';
import type { RemediationRequest } from '@alertgate/remediation';
import { RedisTestScope, repoRoot, testRedisEnv, testRedisUrl } from '@alertgate/testing';
import { parse } from 'yaml';

export interface FixtureOptions {
  readonly redisUrl?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly serviceEnv?: Partial<Record<AppName, Readonly<Record<string, string>>>>;
  /** Processes of each gRPC service (SystemOptions.replicas). */
  readonly replicas?: number;
}

/** Whether a test points the services at a Redis of its own (a URL, sentinels, a Cluster). */
function ownRedis(options: FixtureOptions): boolean {
  return options.redisUrl !== undefined || ['REDIS_URL', 'REDIS_SENTINELS', 'REDIS_CLUSTER_NODES'].some((name) => options.env?.[name] !== undefined);
}

/**
 * The whole pipeline as real processes, on the suite's Redis (one server, or the Cluster of
 * ALERTGATE_TEST_REDIS=cluster) under a prefix of its own and with
 * a file sink in a fresh directory. close() stops the processes, checks that every Redis key it
 * left has a TTL, and removes keys and files.
 */
export class PipelineFixture {
  readonly redis: RedisTestScope;
  readonly sinkDir = mkdtempSync(join(tmpdir(), 'alertgate-rr-'));
  system: RunningSystem | undefined;

  private constructor(label: string) {
    this.redis = new RedisTestScope(label);
  }

  static async start(label: string, options: FixtureOptions = {}): Promise<PipelineFixture> {
    const fixture = new PipelineFixture(label);
    try {
      fixture.system = await startSystem({
        root: repoRoot(),
        redisUrl: options.redisUrl ?? testRedisUrl(),
        keyPrefix: fixture.redis.prefix,
        sinkDir: fixture.sinkDir,
        // On the suite's Redis Cluster unless the test brings a Redis of its own.
        env: { ...(ownRedis(options) ? {} : testRedisEnv()), ...options.env },
        ...(options.serviceEnv ? { serviceEnv: options.serviceEnv } : {}),
        ...(options.replicas ? { replicas: options.replicas } : {}),
      });
    } catch (err) {
      await fixture.close();
      throw err;
    }
    return fixture;
  }

  get gatewayUrl(): string {
    if (!this.system) throw new Error('pipeline not started');
    return this.system.gatewayUrl;
  }

  async post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; json: Record<string, unknown> }> {
    const response = await fetch(`${this.gatewayUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  }

  postAlerts(body: unknown, headers: Record<string, string> = {}): ReturnType<PipelineFixture['post']> {
    return this.post('/api/v1/signals/alertmanager', body, headers);
  }

  /**
   * Posts as Alertmanager delivers: a 503 is sent again after its Retry-After, at most `attempts`
   * times in all; any other answer, or the last 503, is returned. For tests of what the pipeline
   * decides, where the load of the tests running beside them (a shared API server) may answer a
   * webhook 503: that answer is retryable and loses nothing, and the retry completes it.
   */
  async deliverAlerts(body: unknown, attempts = 4): ReturnType<PipelineFixture['post']> {
    const answers = await this.deliverAlertsRecorded(body, attempts);
    return answers[answers.length - 1]!;
  }

  /** deliverAlerts, answering every attempt's answer in order (the last one is the delivery's). */
  async deliverAlertsRecorded(body: unknown, attempts = 4): Promise<Awaited<ReturnType<PipelineFixture['post']>>[]> {
    const answers: Awaited<ReturnType<PipelineFixture['post']>>[] = [];
    for (let attempt = 1; ; attempt++) {
      const answer = await this.postAlerts(body);
      answers.push(answer);
      if (answer.status !== 503 || attempt >= attempts) return answers;
      await new Promise((resolve) => setTimeout(resolve, Number(answer.headers.get('retry-after') ?? '1') * 1000));
    }
  }

  /** Every RemediationRequest the file sink holds. */
  resources(): RemediationRequest[] {
    if (!existsSync(this.sinkDir)) return [];
    return readdirSync(this.sinkDir).flatMap((namespace) =>
      readdirSync(join(this.sinkDir, namespace))
        .filter((file) => file.endsWith('.yaml'))
        .map((file) => parse(readFileSync(join(this.sinkDir, namespace, file), 'utf8')) as RemediationRequest),
    );
  }

  async close(): Promise<void> {
    await this.system?.stop();
    rmSync(this.sinkDir, { recursive: true, force: true });
    await this.redis.verifyAndClean();
  }
}
