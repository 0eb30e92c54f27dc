import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Redis } from 'ioredis';

import { freePort } from './free-port.js';
import { track } from './child-registry.js';

export interface RedisServerOptions {
  /** Fixed port (to restart a server where clients expect it); a free one by default. */
  readonly port?: number;
  /** e.g. "32mb". The test suite runs with 32mb and noeviction (DESIGN.md decision 8). */
  readonly maxmemory?: string;
  readonly maxmemoryPolicy?: string;
  /** Keep data across stop()/start() (append-only file, fsync always), as a production Redis would. */
  readonly durable?: boolean;
  /** Start as a Redis Cluster node (cluster-enabled); RedisCluster joins such nodes. */
  readonly clusterNode?: boolean;
}

export const REDIS_INSTALL_HINT = 'redis-server was not found. Install it: sudo apt-get install -y redis-server (Debian/Ubuntu), or set REDIS_URL to a Redis you run.';

export function redisServerAvailable(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * A redis-server child process on 127.0.0.1 with persistence off, for npm start, tests and
 * benchmarks. stop() ends it; start() again brings it back on the same port (outage tests).
 */
export class RedisServer {
  private child: ChildProcess | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), 'alertgate-redis-'));
  port = 0;

  constructor(private readonly options: RedisServerOptions = {}) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    if (!redisServerAvailable()) throw new Error(REDIS_INSTALL_HINT);
    if (this.port === 0) this.port = this.options.port ?? (await freePort());
    const args = [
      '--port', String(this.port),
      '--bind', '127.0.0.1',
      '--save', '',
      '--appendonly', this.options.durable ? 'yes' : 'no',
      '--appendfsync', 'always',
      '--dir', this.dir,
      '--maxmemory', this.options.maxmemory ?? '32mb',
      '--maxmemory-policy', this.options.maxmemoryPolicy ?? 'noeviction',
      ...(this.options.clusterNode ? ['--cluster-enabled', 'yes', '--cluster-config-file', join(this.dir, 'nodes.conf'), '--cluster-node-timeout', '2000'] : []),
    ];
    const child = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    track(child);
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}: ${stderr}`);
      const probe = new Redis({ port: this.port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      probe.on('error', () => undefined);
      try {
        await probe.connect();
        await probe.ping();
        probe.disconnect();
        return this;
      } catch {
        probe.disconnect();
      }
      if (Date.now() > deadline) throw new Error(`redis-server did not answer on port ${this.port}: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** SIGKILL; without `durable`, a later start() comes back empty. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  /** SIGSTOP / SIGCONT: a hung Redis that keeps its connections open (fault tests). */
  signal(signal: 'SIGSTOP' | 'SIGCONT'): void {
    this.child?.kill(signal);
  }

  async dispose(): Promise<void> {
    this.signal('SIGCONT');
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * A Redis Cluster of `masters` nodes (no replicas) on loopback, made with redis-cli --cluster
 * create, for the tests that prove alertgate on a real Cluster (e2e/src/redis-cluster).
 */
export class RedisCluster {
  readonly nodes: RedisServer[];

  constructor(masters = 3, options: Omit<RedisServerOptions, 'clusterNode' | 'port'> = {}) {
    this.nodes = Array.from({ length: masters }, () => new RedisServer({ ...options, clusterNode: true }));
  }

  /** host:port of every node, as REDIS_CLUSTER_NODES takes them. */
  get addresses(): string[] {
    return this.nodes.map((node) => `127.0.0.1:${node.port}`);
  }

  async start(): Promise<this> {
    await Promise.all(this.nodes.map((node) => node.start()));
    const created = spawnSync('redis-cli', ['--cluster', 'create', ...this.addresses, '--cluster-replicas', '0', '--cluster-yes'], { encoding: 'utf8', timeout: 30_000 });
    if (created.status !== 0) throw new Error(`redis-cli --cluster create failed: ${created.stdout}${created.stderr}`);
    // Every node must know the whole slot map before a client is pointed at it.
    const deadline = Date.now() + 15_000;
    for (const node of this.nodes) {
      for (;;) {
        const probe = new Redis({ port: node.port, host: '127.0.0.1', maxRetriesPerRequest: 0 });
        const info = await probe.cluster('INFO').catch(() => '');
        probe.disconnect();
        if (/cluster_state:ok/.test(info)) break;
        if (Date.now() > deadline) throw new Error(`Redis Cluster node ${node.port} did not reach cluster_state:ok`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    return this;
  }

  async dispose(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.dispose()));
  }
}
