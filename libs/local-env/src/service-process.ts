import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { track } from './child-registry.js';
import { memoryAllocatorEnv } from './memory-allocator.js';

export type AppName = 'dedup' | 'crd-writer' | 'ratelimit' | 'storm' | 'ingest-gateway';

export interface ServiceProcessOptions {
  readonly app: AppName;
  readonly env: Readonly<Record<string, string>>;
  /** The variable that sets the listening port; a restart reuses the port of the first start (and its METRICS_PORT). */
  readonly portVariable: string;
  /** Workspace root; dist/apps/<app>/main.js must have been built (npm run build). */
  readonly root: string;
  /** Receives every log line (JSON) the service prints. */
  readonly onLog?: (line: string) => void;
  readonly startTimeoutMs?: number;
  /** Extra Node flags (e.g. --cpu-prof for the benchmark's --profile; NODE_OPTIONS refuses it). */
  readonly nodeArgs?: readonly string[];
}

/** The log messages after which a service is listening (they carry the bound port). */
const LISTENING = new Set(['gRPC server listening', 'ingest gateway listening']);

/**
 * One alertgate service as its own Node process, started from its production bundle, exactly as
 * a container would run it. start() resolves with the port it bound (services may bind port 0).
 */
export class ServiceProcess {
  private child: ChildProcess | undefined;
  readonly logs: string[] = [];
  port = 0;
  /** The /metrics port, for services that log it before they listen. */
  metricsPort = 0;

  constructor(private readonly options: ServiceProcessOptions) {}

  get name(): AppName {
    return this.options.app;
  }

  /** The process id while running (benchmarks read its CPU time from /proc). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): Promise<number> {
    const main = join(this.options.root, 'dist', 'apps', this.options.app, 'main.js');
    if (!existsSync(main)) return Promise.reject(new Error(`${main} is missing: run npm run build first`));
    const restartPort = this.port === 0 ? {} : { [this.options.portVariable]: String(this.port) };
    // And its metrics port, when the OS chose it: chosen anew, it could be the very listening port
    // the stopped process just released, which the restart then cannot bind (EADDRINUSE).
    const restartMetrics = this.metricsPort === 0 || this.options.env['METRICS_PORT'] !== '0' ? {} : { METRICS_PORT: String(this.metricsPort) };
    const child = spawn(process.execPath, ['--enable-source-maps', ...(this.options.nodeArgs ?? []), main], {
      cwd: this.options.root,
      // LOG_LEVEL info at least: start() waits for the "listening" line.
      env: {
        PATH: process.env['PATH'] ?? '',
        HOME: process.env['HOME'] ?? '',
        BIND_HOST: '127.0.0.1',
        ...memoryAllocatorEnv(),
        ...this.options.env,
        ...restartPort,
        ...restartMetrics,
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    track(child);
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${this.name} did not start within ${this.options.startTimeoutMs ?? 15_000} ms:\n${this.logs.join('\n')}`)),
        this.options.startTimeoutMs ?? 15_000,
      );
      const onLine = (line: string): void => {
        this.logs.push(line);
        if (this.logs.length > 2000) this.logs.shift();
        this.options.onLog?.(line);
        try {
          const entry = JSON.parse(line) as { msg?: string; port?: number; address?: string };
          if (entry.msg === 'metrics on /metrics' && entry.port) this.metricsPort = entry.port;
          if (entry.msg && LISTENING.has(entry.msg)) {
            this.port = entry.port ?? Number(entry.address?.split(':').pop());
            clearTimeout(timer);
            resolve(this.port);
          }
        } catch {
          // not a JSON log line (e.g. a Node warning): kept in logs only
        }
      };
      if (child.stdout) createInterface({ input: child.stdout }).on('line', onLine);
      if (child.stderr) createInterface({ input: child.stderr }).on('line', onLine);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${this.name} exited with ${code} before listening:\n${this.logs.join('\n')}`));
      });
    });
  }

  /** SIGKILL, as an OOM kill or a lost node does: no drain, no flush. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  /** SIGSTOP / SIGCONT: a hung process that keeps its connections open (fault tests). */
  signal(signal: 'SIGSTOP' | 'SIGCONT'): void {
    this.child?.kill(signal);
  }

  /** Whether the process runs (started and not exited). */
  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGTERM, as Kubernetes does; SIGKILL if it has not exited after graceMs. */
  async stop(graceMs = 5_000): Promise<number | null> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return child?.exitCode ?? null;
    return new Promise((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      child.once('exit', (code) => {
        clearTimeout(timer);
        resolve(code);
      });
      child.kill('SIGTERM');
    });
  }
}
