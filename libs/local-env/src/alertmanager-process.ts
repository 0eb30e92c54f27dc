import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { freePort } from './free-port.js';
import { stopChild, track } from './child-registry.js';

export interface AlertmanagerOptions {
  /** Where the webhook receiver posts; without one the receiver is a null receiver (benchmarks). */
  readonly webhookUrl?: string;
  /** Bearer token Alertmanager sends (from a credentials_file, as in production). */
  readonly bearerToken?: string;
  /** The CA Alertmanager verifies an https:// webhookUrl with (tls_config.ca_file). */
  readonly caFile?: string;
  readonly groupWait?: string;
  readonly groupInterval?: string;
  readonly repeatInterval?: string;
}

/** Debian's package installs the binary under this name; upstream calls it alertmanager. */
const BINARIES = ['prometheus-alertmanager', 'alertmanager'];

export function alertmanagerBinary(): string | undefined {
  return BINARIES.find((binary) => spawnSync(binary, ['--version'], { stdio: 'ignore' }).status === 0);
}

/**
 * A real Prometheus Alertmanager (0.25 from Debian) on loopback, clustering off, with one
 * webhook receiver, exactly as users point it at alertgate.
 */
export class AlertmanagerProcess {
  private child: ChildProcess | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), 'alertgate-am-'));
  readonly logs: string[] = [];
  port = 0;

  constructor(private readonly options: AlertmanagerOptions) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    const binary = alertmanagerBinary();
    if (!binary) throw new Error('Alertmanager not found: sudo apt-get install -y prometheus-alertmanager');
    this.port = await freePort();
    const tokenFile = join(this.dir, 'token');
    if (this.options.bearerToken) writeFileSync(tokenFile, this.options.bearerToken, { mode: 0o600 });
    const authorization = this.options.bearerToken ? `\n          authorization:\n            credentials_file: ${tokenFile}` : '';
    const tls = this.options.caFile ? `\n          tls_config:\n            ca_file: ${this.options.caFile}` : '';
    const auth = authorization || tls ? `\n        http_config:${authorization}${tls}` : '';
    const config = `route:
  receiver: alertgate
  group_by: ['alertname']
  group_wait: ${this.options.groupWait ?? '1s'}
  group_interval: ${this.options.groupInterval ?? '1s'}
  repeat_interval: ${this.options.repeatInterval ?? '1h'}
receivers:
  - name: alertgate${
    this.options.webhookUrl
      ? `
    webhook_configs:
      - url: ${this.options.webhookUrl}
        send_resolved: true
        max_alerts: 500${auth}`
      : ''
  }
`;
    writeFileSync(join(this.dir, 'alertmanager.yml'), config);
    const child = spawn(
      binary,
      [
        `--config.file=${join(this.dir, 'alertmanager.yml')}`,
        `--storage.path=${join(this.dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${this.port}`,
        '--cluster.listen-address=',
        `--log.level=${this.options.webhookUrl ? 'debug' : 'warn'}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    track(child);
    const keep = (chunk: Buffer): void => {
      this.logs.push(...chunk.toString().split('\n').filter(Boolean));
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`Alertmanager exited with ${child.exitCode}:\n${this.logs.join('\n')}`);
      const ready = await fetch(`${this.url}/-/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ready) return this;
      if (Date.now() > deadline) throw new Error(`Alertmanager not ready:\n${this.logs.join('\n')}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Posts alerts to Alertmanager's API v2, as Prometheus does. */
  async postAlerts(
    alerts: readonly { labels: Record<string, string>; annotations?: Record<string, string>; startsAt?: string; endsAt?: string }[],
  ): Promise<void> {
    const response = await fetch(`${this.url}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(alerts),
    });
    if (!response.ok) throw new Error(`Alertmanager refused the alerts: ${response.status} ${await response.text()}`);
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    await stopChild(child, 'SIGTERM');
    rmSync(this.dir, { recursive: true, force: true });
  }
}
