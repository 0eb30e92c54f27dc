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

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null;
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

export interface RedisClusterOptions extends Omit<RedisServerOptions, 'clusterNode' | 'port'> {
  readonly masters?: number;
  /** Replicas of each master (failover tests); none by default. */
  readonly replicasPerMaster?: number;
}

/** A node as CLUSTER NODES describes it. */
interface ClusterNodeView {
  readonly port: number;
  readonly master: boolean;
  readonly failed: boolean;
  readonly slots: readonly (readonly [number, number])[];
}

function parseClusterNodes(text: string): ClusterNodeView[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [, address = '', flags = '', , , , , , ...slots] = line.trim().split(' ');
      return {
        port: Number(/:(\d+)@/.exec(address)?.[1] ?? 0),
        master: flags.split(',').includes('master'),
        failed: /fail/.test(flags),
        slots: slots.filter((slot) => !slot.startsWith('[')).map((slot) => {
          const [from = '0', to = from] = slot.split('-');
          return [Number(from), Number(to)] as const;
        }),
      };
    });
}

/**
 * A Redis Cluster on loopback (3 masters by default, optionally with replicas), made with
 * redis-cli --cluster create, for the tests that prove alertgate on a real Cluster
 * (e2e/src/redis-cluster) and the chaos run's failover.
 */
export class RedisCluster {
  readonly nodes: RedisServer[];
  private readonly replicasPerMaster: number;

  constructor(options: RedisClusterOptions = {}) {
    const { masters = 3, replicasPerMaster = 0, ...server } = options;
    this.replicasPerMaster = replicasPerMaster;
    this.nodes = Array.from({ length: masters * (1 + replicasPerMaster) }, () => new RedisServer({ ...server, clusterNode: true }));
  }

  /** host:port of every node, as REDIS_CLUSTER_NODES takes them. */
  get addresses(): string[] {
    return this.nodes.map((node) => `127.0.0.1:${node.port}`);
  }

  async start(): Promise<this> {
    await Promise.all(this.nodes.map((node) => node.start()));
    const created = spawnSync('redis-cli', ['--cluster', 'create', ...this.addresses, '--cluster-replicas', String(this.replicasPerMaster), '--cluster-yes'], { encoding: 'utf8', timeout: 30_000 });
    if (created.status !== 0) throw new Error(`redis-cli --cluster create failed: ${created.stdout}${created.stderr}`);
    await this.waitHealthy(15_000);
    return this;
  }

  /** Until every running node reports cluster_state:ok and knows every replica it should (then clients may be pointed at it). */
  async waitHealthy(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (const node of this.nodes.filter((n) => n.running)) {
      for (;;) {
        const probe = new Redis({ port: node.port, host: '127.0.0.1', maxRetriesPerRequest: 0 });
        probe.on('error', () => undefined);
        const info = await probe.cluster('INFO').catch(() => '');
        const view = parseClusterNodes(String(await probe.cluster('NODES').catch(() => '')));
        probe.disconnect();
        const masters = view.filter((n) => n.master && !n.failed && n.slots.length > 0).length;
        if (/cluster_state:ok/.test(info) && masters === this.nodes.length / (1 + this.replicasPerMaster)) break;
        if (Date.now() > deadline) throw new Error(`Redis Cluster node ${node.port} did not reach cluster_state:ok`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  /** The node that serves `key`'s slot now. */
  async masterOf(key: string): Promise<RedisServer> {
    const live = this.nodes.find((node) => node.running);
    if (!live) throw new Error('no Redis Cluster node is running');
    const probe = new Redis({ port: live.port, host: '127.0.0.1', maxRetriesPerRequest: 0 });
    try {
      const slot = await probe.cluster('KEYSLOT', key);
      const view = parseClusterNodes(String(await probe.cluster('NODES')));
      const port = view.find((n) => n.master && !n.failed && n.slots.some(([from, to]) => slot >= from && slot <= to))?.port;
      const node = this.nodes.find((n) => n.port === port);
      if (!node) throw new Error(`no master serves slot ${slot}`);
      return node;
    } finally {
      probe.disconnect();
    }
  }

  async dispose(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.dispose()));
  }
}
