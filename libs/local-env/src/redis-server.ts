import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Redis, type RedisOptions } from 'ioredis';

import { freePort } from './free-port.js';
import { stopChild, track } from './child-registry.js';

export interface RedisServerOptions {
  /** Fixed port (to restart a server where clients expect it); a free one by default. */
  readonly port?: number;
  /** e.g. "32mb". The test suite runs with 32mb and noeviction (docs/design.md §8). */
  readonly maxmemory?: string;
  readonly maxmemoryPolicy?: string;
  /** Keep data across stop()/start() (append-only file, fsync always), as a production Redis would. */
  readonly durable?: boolean;
  /** Start as a Redis Cluster node (cluster-enabled); RedisCluster joins such nodes. */
  readonly clusterNode?: boolean;
  /** Start as a replica of the server on this loopback port (RedisSentinels). */
  readonly replicaOf?: number;
  /** Serve TLS only (no plaintext port) with these files; `authClients` 'yes' asks clients for a certificate from the CA. */
  readonly tls?: { readonly certFile: string; readonly keyFile: string; readonly caFile: string; readonly authClients: 'yes' | 'optional' };
  /** The default user's password (requirepass): clients must AUTH. */
  readonly password?: string;
}

export const REDIS_INSTALL_HINT =
  'redis-server was not found. Install it: sudo apt-get install -y redis-server (Debian/Ubuntu), or set REDIS_URL to a Redis you run.';

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
  /** A cluster node's bus port: chosen free too, not port + 10000, which another process may hold. */
  private clusterPort = 0;

  constructor(private readonly options: RedisServerOptions = {}) {}

  get url(): string {
    return `${this.options.tls ? 'rediss' : 'redis'}://127.0.0.1:${this.port}`;
  }

  /** How a client reaches this server as its administrator (the default user). */
  adminOptions(): RedisOptions {
    const { tls, password } = this.options;
    return {
      port: this.port,
      host: '127.0.0.1',
      ...(password === undefined ? {} : { password }),
      ...(tls ? { tls: { ca: readFileSync(tls.caFile), cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) } } : {}),
    };
  }

  /**
   * Starts the server; a restart keeps its ports. A free port can be taken by another process
   * between the check and the bind: a first start whose ports were chosen here tries others then.
   */
  async start(): Promise<this> {
    if (!redisServerAvailable()) throw new Error(REDIS_INSTALL_HINT);
    const choosing = this.port === 0 && this.options.port === undefined;
    for (let attempt = 1; ; attempt++) {
      if (this.port === 0) this.port = this.options.port ?? (await freePort());
      if (this.options.clusterNode && this.clusterPort === 0) this.clusterPort = await freePort();
      try {
        return await this.spawnAndWait();
      } catch (err) {
        if (!choosing || attempt >= 3 || !String(err).includes('Address already in use')) throw err;
        this.port = 0;
        this.clusterPort = 0;
        // The attempt that failed may have written its node id; the next is a new node.
        rmSync(join(this.dir, 'nodes.conf'), { force: true });
      }
    }
  }

  private async spawnAndWait(): Promise<this> {
    const { tls, password } = this.options;
    const listen = tls
      ? [
          '--port',
          '0',
          '--tls-port',
          String(this.port),
          '--tls-cert-file',
          tls.certFile,
          '--tls-key-file',
          tls.keyFile,
          '--tls-ca-cert-file',
          tls.caFile,
          '--tls-auth-clients',
          tls.authClients,
        ]
      : ['--port', String(this.port)];
    const args = [
      ...listen,
      ...(password === undefined ? [] : ['--requirepass', password]),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      this.options.durable ? 'yes' : 'no',
      '--appendfsync',
      'always',
      // A master here has at most one replica: no use waiting (5 s by default) for others to share its sync.
      '--repl-diskless-sync-delay',
      '0',
      '--dir',
      this.dir,
      '--logfile',
      this.logFile,
      '--maxmemory',
      this.options.maxmemory ?? '32mb',
      '--maxmemory-policy',
      this.options.maxmemoryPolicy ?? 'noeviction',
      ...(this.options.clusterNode
        ? [
            '--cluster-enabled',
            'yes',
            '--cluster-port',
            String(this.clusterPort),
            '--cluster-config-file',
            join(this.dir, 'nodes.conf'),
            '--cluster-node-timeout',
            '2000',
          ]
        : []),
      // A TLS-only node speaks TLS on its cluster bus and to its master too.
      ...(tls && (this.options.clusterNode || this.options.replicaOf !== undefined) ? ['--tls-cluster', 'yes', '--tls-replication', 'yes'] : []),
      ...(this.options.replicaOf === undefined ? [] : ['--replicaof', '127.0.0.1', String(this.options.replicaOf)]),
    ];
    const child = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    track(child);
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}: ${stderr}${this.logTail(20)}`);
      const probe = new Redis({ ...this.adminOptions(), lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      probe.on('error', () => undefined);
      try {
        await probe.connect();
        await probe.ping();
        probe.disconnect();
        return this;
      } catch {
        probe.disconnect();
      }
      if (Date.now() > deadline) throw new Error(`redis-server did not answer on port ${this.port}: ${stderr}${this.logTail(20)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  private get logFile(): string {
    return join(this.dir, 'redis.log');
  }

  /** The last lines of the server's log (why a start, a sync or a failover did not happen). */
  logTail(lines: number): string {
    const text = existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8') : '';
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  }

  /**
   * Whether this server, if it is a replica, has finished its sync with its master: a replica
   * that never synced is no copy, and neither Cluster nor Sentinel promotes it.
   */
  async replicaSynced(): Promise<boolean> {
    const probe = new Redis({ ...this.adminOptions(), maxRetriesPerRequest: 0 });
    probe.on('error', () => undefined);
    try {
      const info = await probe.info('replication');
      return /role:master/.test(info) || (/master_link_status:up/.test(info) && /master_sync_in_progress:0/.test(info));
    } catch {
      return false;
    } finally {
      probe.disconnect();
    }
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null;
  }

  /** SIGKILL; without `durable`, a later start() comes back empty. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    await stopChild(child, 'SIGKILL');
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
        slots: slots
          .filter((slot) => !slot.startsWith('['))
          .map((slot) => {
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

  private readonly tls: RedisServerOptions['tls'];

  constructor(options: RedisClusterOptions = {}) {
    const { masters = 3, replicasPerMaster = 0, ...server } = options;
    this.replicasPerMaster = replicasPerMaster;
    this.tls = server.tls;
    this.nodes = Array.from({ length: masters * (1 + replicasPerMaster) }, () => new RedisServer({ ...server, clusterNode: true }));
  }

  /** redis-cli's TLS arguments, for nodes that speak TLS only. */
  private cliTls(): string[] {
    const tls = this.tls;
    return tls ? ['--tls', '--cacert', tls.caFile, '--cert', tls.certFile, '--key', tls.keyFile] : [];
  }

  /** host:port of every node, as REDIS_CLUSTER_NODES takes them. */
  get addresses(): string[] {
    return this.nodes.map((node) => `127.0.0.1:${node.port}`);
  }

  async start(): Promise<this> {
    await Promise.all(this.nodes.map((node) => node.start()));
    const created = spawnSync(
      'redis-cli',
      [...this.cliTls(), '--cluster', 'create', ...this.addresses, '--cluster-replicas', String(this.replicasPerMaster), '--cluster-yes'],
      { encoding: 'utf8', timeout: 30_000 },
    );
    if (created.status !== 0) throw new Error(`redis-cli --cluster create failed: ${created.stdout}${created.stderr}`);
    await this.waitHealthy(15_000);
    return this;
  }

  /**
   * Until every running node reports cluster_state:ok, sees every master, and every replica has
   * synced with its master (then clients may be pointed at it, and a master's death has a copy to
   * promote).
   */
  async waitHealthy(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (const node of this.nodes.filter((n) => n.running)) {
      await waitUntil(
        () => this.healthyAt(node),
        deadline - Date.now(),
        () => `Redis Cluster node ${node.port} did not reach cluster_state:ok with its replication in sync:\n${node.logTail(20)}`,
      );
    }
  }

  /** Whether `node` reports cluster_state:ok, sees every master serving slots, and has synced if it is a replica. */
  private async healthyAt(node: RedisServer): Promise<boolean> {
    const probe = new Redis({ ...node.adminOptions(), maxRetriesPerRequest: 0 });
    probe.on('error', () => undefined);
    const info = await probe.cluster('INFO').catch(() => '');
    const view = parseClusterNodes(String(await probe.cluster('NODES').catch(() => '')));
    probe.disconnect();
    const masters = view.filter((n) => n.master && !n.failed && n.slots.length > 0).length;
    return /cluster_state:ok/.test(info) && masters === this.nodes.length / (1 + this.replicasPerMaster) && (await node.replicaSynced());
  }

  /** Every node's port, whether it runs, and the end of its log: what a failed failover leaves to read. */
  logTails(lines: number): string {
    return this.nodes.map((node) => `--- node ${node.port} (${node.running ? 'running' : 'stopped'})\n${node.logTail(lines)}`).join('\n');
  }

  /** The masters that serve slots now, as the first running node sees the cluster. */
  async masters(): Promise<RedisServer[]> {
    return (await this.view()).filter((n) => n.master && !n.failed && n.slots.length > 0).flatMap((n) => this.nodes.filter((node) => node.port === n.port));
  }

  /** The node that serves `key`'s slot now. */
  async masterOf(key: string): Promise<RedisServer> {
    const slot = await this.ask((probe) => probe.cluster('KEYSLOT', key));
    const port = (await this.view()).find((n) => n.master && !n.failed && n.slots.some(([from, to]) => slot >= from && slot <= to))?.port;
    const node = this.nodes.find((n) => n.port === port);
    if (!node) throw new Error(`no master serves slot ${slot}`);
    return node;
  }

  /**
   * Moves one slot and its keys to another master the way redis-cli --cluster reshard does:
   * IMPORTING on the target, MIGRATING on the source, MIGRATE of the keys, then the slot's new
   * owner announced to every master. Clients keep their old slot map until a redirection.
   */
  async moveSlot(slot: number, to: RedisServer): Promise<void> {
    const masters = await this.masters();
    const from = (await this.view()).find((n) => n.master && n.slots.some(([a, b]) => slot >= a && slot <= b))?.port;
    const source = masters.find((node) => node.port === from);
    if (!source || source === to) throw new Error(`slot ${slot} is not on another master than ${to.port}`);
    const idOf = (node: RedisServer): Promise<string> => RedisCluster.on(node, (c) => c.cluster('MYID'));
    const [sourceId, targetId] = [await idOf(source), await idOf(to)];
    await RedisCluster.on(to, (c) => c.cluster('SETSLOT', slot, 'IMPORTING', sourceId));
    await RedisCluster.on(source, (c) => c.cluster('SETSLOT', slot, 'MIGRATING', targetId));
    await RedisCluster.on(source, async (c) => {
      for (;;) {
        const keys = await c.cluster('GETKEYSINSLOT', slot, 100);
        if (keys.length === 0) return;
        await c.migrate('127.0.0.1', to.port, '', 0, 5_000, 'KEYS', ...keys);
      }
    });
    for (const node of [to, source, ...masters.filter((m) => m !== to && m !== source)]) {
      await RedisCluster.on(node, (c) => c.cluster('SETSLOT', slot, 'NODE', targetId));
    }
  }

  private static async on<T>(node: RedisServer, use: (client: Redis) => Promise<T>): Promise<T> {
    const client = new Redis({ ...node.adminOptions(), maxRetriesPerRequest: 0 });
    client.on('error', () => undefined);
    try {
      return await use(client);
    } finally {
      client.disconnect();
    }
  }

  private ask<T>(use: (client: Redis) => Promise<T>): Promise<T> {
    const live = this.nodes.find((node) => node.running);
    if (!live) throw new Error('no Redis Cluster node is running');
    return RedisCluster.on(live, use);
  }

  private async view(): Promise<ClusterNodeView[]> {
    return parseClusterNodes(String(await this.ask((probe) => probe.cluster('NODES'))));
  }

  async dispose(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.dispose()));
  }
}

async function waitUntil(done: () => Promise<boolean>, timeoutMs: number, failure: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(failure());
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A sentinel process (redis-server --sentinel, the program Debian's redis-sentinel runs) with its own config file. */
class SentinelProcess {
  private child: ChildProcess | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), 'alertgate-sentinel-'));
  port = 0;

  async start(masterName: string, masterPort: number, quorum: number, tls?: RedisServerOptions['tls']): Promise<this> {
    this.port = await freePort();
    const config = join(this.dir, 'sentinel.conf');
    // TLS only, to clients and to the servers it watches.
    const listen = tls
      ? [
          'port 0',
          `tls-port ${this.port}`,
          `tls-cert-file ${tls.certFile}`,
          `tls-key-file ${tls.keyFile}`,
          `tls-ca-cert-file ${tls.caFile}`,
          `tls-auth-clients ${tls.authClients}`,
          'tls-replication yes',
        ]
      : [`port ${this.port}`];
    // Sentinel rewrites its config file as it learns the replicas, the other sentinels and failovers.
    writeFileSync(
      config,
      [
        ...listen,
        'bind 127.0.0.1',
        `dir ${this.dir}`,
        `sentinel monitor ${masterName} 127.0.0.1 ${masterPort} ${quorum}`,
        `sentinel down-after-milliseconds ${masterName} 1000`,
        `sentinel failover-timeout ${masterName} 10000`,
        `sentinel parallel-syncs ${masterName} 1`,
        '',
      ].join('\n'),
    );
    const child = spawn('redis-server', [config, '--sentinel'], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    track(child);
    return this;
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    await stopChild(child, 'SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * A Sentinel-managed Redis on loopback: a master, a replica and three sentinels (quorum 2, a
 * master is down after 1 s), for the tests that kill the master under load.
 */
export class RedisSentinels {
  readonly masterName = 'mymaster';
  readonly master: RedisServer;
  private replicaServer: RedisServer | undefined;
  private readonly sentinels = [new SentinelProcess(), new SentinelProcess(), new SentinelProcess()];

  constructor(private readonly options: Omit<RedisServerOptions, 'clusterNode' | 'port' | 'replicaOf'> = {}) {
    this.master = new RedisServer(options);
  }

  /** The master's replica (its port is known once the master runs). */
  get replica(): RedisServer {
    if (!this.replicaServer) throw new Error('RedisSentinels not started');
    return this.replicaServer;
  }

  /** How a client reaches the sentinel on `port` (TLS when the servers speak it). */
  private sentinelOptions(port: number): RedisOptions {
    const { tls } = this.options;
    return {
      port,
      host: '127.0.0.1',
      ...(tls ? { tls: { ca: readFileSync(tls.caFile), cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) } } : {}),
    };
  }

  /** host:port of every sentinel, as REDIS_SENTINELS takes them. */
  get addresses(): string[] {
    return this.sentinels.map((sentinel) => `127.0.0.1:${sentinel.port}`);
  }

  async start(): Promise<this> {
    await this.master.start();
    const replica = await new RedisServer({ ...this.options, replicaOf: this.master.port }).start();
    this.replicaServer = replica;
    await waitUntil(
      () => replica.replicaSynced(),
      20_000,
      () => `the replica ${replica.port} did not sync with its master:\n${replica.logTail(20)}`,
    );
    await Promise.all(this.sentinels.map((sentinel) => sentinel.start(this.masterName, this.master.port, 2, this.options.tls)));
    await this.waitKnown(20_000);
    return this;
  }

  /** Until every sentinel knows the replica and the two other sentinels (a failover needs them). */
  private async waitKnown(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (const address of this.addresses) {
      const port = Number(address.split(':')[1]);
      for (;;) {
        const probe = new Redis({ ...this.sentinelOptions(port), maxRetriesPerRequest: 0, lazyConnect: true });
        probe.on('error', () => undefined);
        const known = await probe
          .connect()
          .then(
            async () =>
              [
                (await probe.call('SENTINEL', 'REPLICAS', this.masterName)) as unknown[],
                (await probe.call('SENTINEL', 'SENTINELS', this.masterName)) as unknown[],
              ] as const,
          )
          .catch(() => [[], []] as const);
        probe.disconnect();
        if (known[0].length >= 1 && known[1].length >= 2) break;
        if (Date.now() > deadline) throw new Error(`sentinel ${address} did not learn the replica and the other sentinels`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }

  /** The port of the master the sentinels name now. */
  async currentMasterPort(): Promise<number> {
    const probe = new Redis({ ...this.sentinelOptions(Number(this.addresses[0]?.split(':')[1])), maxRetriesPerRequest: 0 });
    try {
      const [, port] = (await probe.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.masterName)) as [string, string];
      return Number(port);
    } finally {
      probe.disconnect();
    }
  }

  async dispose(): Promise<void> {
    await Promise.all([...this.sentinels.map((sentinel) => sentinel.stop()), this.master.dispose(), this.replicaServer?.dispose()]);
  }
}
