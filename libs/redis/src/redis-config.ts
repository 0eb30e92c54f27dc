import { readFileSync } from 'node:fs';

import { ConfigError, type EnvReader } from '@alertgate/config';

import type { ReplicaWait, ReplicaWaitPolicy } from './replica-wait.js';

export interface RedisNode {
  readonly host: string;
  readonly port: number;
}

/** How to reach Redis: one server, a Sentinel-managed primary, or a Cluster. */
export type RedisTopology =
  | { readonly mode: 'standalone'; readonly url: string }
  | {
      readonly mode: 'sentinel';
      readonly sentinels: readonly RedisNode[];
      readonly masterName: string;
      /** The sentinels' own login (their ACL is theirs, not the servers'), when they ask for one. */
      readonly sentinelCredentials?: RedisCredentials;
      /** Whether the sentinels speak TLS (REDIS_SENTINEL_TLS; as the servers by default). */
      readonly sentinelTls: boolean;
    }
  | { readonly mode: 'cluster'; readonly nodes: readonly RedisNode[] };

/** An ACL user (Redis 6+) or the default user's password. */
interface RedisCredentials {
  readonly username?: string;
  readonly password?: string;
}

/** TLS to every Redis server (and sentinel): the CA to trust, and a client certificate when the servers ask for one. */
interface RedisTls {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

export interface RedisConfig {
  readonly topology: RedisTopology;
  /** Prepended to every key; lets several installations (or tests) share one Redis. */
  readonly keyPrefix: string;
  readonly connectTimeoutMs: number;
  /** A command that takes longer fails with a retryable error instead of hanging a request. */
  readonly commandTimeoutMs: number;
  /** Replicas that must hold an incident's write (dedup, storm) before it is acknowledged. */
  readonly replicaWait: ReplicaWait;
  readonly credentials?: RedisCredentials;
  readonly tls?: RedisTls;
}

export const REDIS_DEFAULTS = {
  url: 'redis://127.0.0.1:6379',
  keyPrefix: 'ag:',
  connectTimeoutMs: 2_000,
  commandTimeoutMs: 1_000,
  /**
   * A replica on loopback or in one zone acknowledges within a millisecond or two; a master
   * without one delays each write by this much under the best-effort policy.
   */
  waitTimeoutMs: 100,
} as const;

function parseNodes(variable: string, raw: readonly string[]): RedisNode[] {
  return raw.map((entry) => {
    const match = /^(.+):(\d{1,5})$/.exec(entry);
    if (!match) throw new ConfigError(variable, `entries must be host:port, got "${entry}"`);
    return { host: match[1] ?? '', port: Number(match[2]) };
  });
}

/** host:port,… as REDIS_CLUSTER_NODES and REDIS_SENTINELS take them, for tools that read the variable themselves. */
export function parseRedisNodes(variable: string, value: string): RedisNode[] {
  return parseNodes(
    variable,
    value
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry !== ''),
  );
}

/**
 * Reads REDIS_URL (standalone), or REDIS_SENTINELS + REDIS_SENTINEL_MASTER, or
 * REDIS_CLUSTER_NODES, plus REDIS_PASSWORD, REDIS_KEY_PREFIX and the timeouts. Called from an
 * app's config.ts with that app's reader.
 */
export function readRedisConfig(env: EnvReader): RedisConfig {
  const keyPrefix = env.string('REDIS_KEY_PREFIX', REDIS_DEFAULTS.keyPrefix);
  if (!/^[A-Za-z0-9:_.-]{0,32}$/.test(keyPrefix)) {
    throw new ConfigError('REDIS_KEY_PREFIX', 'may hold only letters, digits and :_.- (no braces: they make hash tags), at most 32');
  }
  const sentinels = env.optional('REDIS_SENTINELS');
  const clusterNodes = env.optional('REDIS_CLUSTER_NODES');
  if (sentinels !== undefined && clusterNodes !== undefined) {
    throw new ConfigError('REDIS_SENTINELS', 'cannot be combined with REDIS_CLUSTER_NODES');
  }
  let topology: RedisTopology;
  if (sentinels !== undefined) {
    const sentinelCredentials = readCredentials(env, 'REDIS_SENTINEL_');
    topology = {
      mode: 'sentinel',
      sentinels: parseNodes('REDIS_SENTINELS', env.list('REDIS_SENTINELS', [])),
      masterName: env.string('REDIS_SENTINEL_MASTER', 'mymaster'),
      ...(sentinelCredentials ? { sentinelCredentials } : {}),
      sentinelTls: env.bool('REDIS_SENTINEL_TLS', env.bool('REDIS_TLS', false)),
    };
  } else if (clusterNodes !== undefined) {
    topology = {
      mode: 'cluster',
      nodes: parseNodes('REDIS_CLUSTER_NODES', env.list('REDIS_CLUSTER_NODES', [])),
    };
  } else {
    const url = env.string('REDIS_URL', REDIS_DEFAULTS.url);
    if (!/^rediss?:\/\/[^\s]+$/.test(url)) throw new ConfigError('REDIS_URL', `must be redis://host:port[/db] or rediss://…, got "${url}"`);
    topology = { mode: 'standalone', url };
  }
  const commandTimeoutMs = env.durationMs('REDIS_COMMAND_TIMEOUT', REDIS_DEFAULTS.commandTimeoutMs, { min: 10 });
  const credentials = readCredentials(env, 'REDIS_');
  const tls = readTls(env, topology);
  return {
    topology,
    keyPrefix,
    connectTimeoutMs: env.durationMs('REDIS_CONNECT_TIMEOUT', REDIS_DEFAULTS.connectTimeoutMs, { min: 50 }),
    commandTimeoutMs,
    replicaWait: readReplicaWait(env, topology, commandTimeoutMs),
    ...(credentials ? { credentials } : {}),
    ...(tls ? { tls } : {}),
  };
}

/** A file's content, or a ConfigError naming the variable. */
function readFileOf(env: EnvReader, variable: string): Buffer | undefined {
  const path = env.optional(variable);
  if (path === undefined || path === '') return undefined;
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(variable, `cannot read ${path}: ${(err as Error).message}`);
  }
}

/**
 * <prefix>USERNAME (an ACL user) and <prefix>PASSWORD, or <prefix>PASSWORD_FILE (a mounted
 * Secret): REDIS_ for the servers, REDIS_SENTINEL_ for the sentinels.
 */
function readCredentials(env: EnvReader, prefix: 'REDIS_' | 'REDIS_SENTINEL_'): RedisCredentials | undefined {
  const username = env.optional(`${prefix}USERNAME`);
  const inline = env.optional(`${prefix}PASSWORD`);
  const file = readFileOf(env, `${prefix}PASSWORD_FILE`);
  if (inline !== undefined && file !== undefined)
    throw new ConfigError(`${prefix}PASSWORD_FILE`, `set either ${prefix}PASSWORD_FILE or ${prefix}PASSWORD, not both`);
  const password = file?.toString('utf8').trim() ?? inline;
  if (username !== undefined && password === undefined) throw new ConfigError(`${prefix}USERNAME`, `needs ${prefix}PASSWORD_FILE or ${prefix}PASSWORD`);
  if (username === undefined && password === undefined) return undefined;
  return { ...(username === undefined ? {} : { username }), ...(password === undefined ? {} : { password }) };
}

/**
 * TLS when REDIS_URL is rediss://, or REDIS_TLS=on (Sentinel, Cluster); REDIS_TLS_CA_FILE is the
 * CA to trust (the system's otherwise), REDIS_TLS_CERT_FILE and REDIS_TLS_KEY_FILE a client
 * certificate for servers that ask for one (tls-auth-clients).
 */
function readTls(env: EnvReader, topology: RedisTopology): RedisTls | undefined {
  const on = env.bool('REDIS_TLS', topology.mode === 'standalone' && topology.url.startsWith('rediss://'));
  const ca = readFileOf(env, 'REDIS_TLS_CA_FILE');
  const cert = readFileOf(env, 'REDIS_TLS_CERT_FILE');
  const key = readFileOf(env, 'REDIS_TLS_KEY_FILE');
  if ((cert === undefined) !== (key === undefined))
    throw new ConfigError(cert === undefined ? 'REDIS_TLS_CERT_FILE' : 'REDIS_TLS_KEY_FILE', 'REDIS_TLS_CERT_FILE and REDIS_TLS_KEY_FILE go together');
  if (!on) {
    if (ca ?? cert) throw new ConfigError('REDIS_TLS', 'is off, but REDIS_TLS_* files are set: set REDIS_TLS=on (or a rediss:// REDIS_URL)');
    return undefined;
  }
  return { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) };
}

/**
 * Sentinel and Cluster exist to survive a master's death, so there a write waits for one
 * replica by default; standalone Redis has none to wait for. The wait must end before the
 * command times out, or every slow replica would read as Redis down. A write a connected
 * replica does not hold in time is refused by default ('connected'): a 200 promises the sender
 * nothing is lost, and a replica behind under load is what a master's death would promote. A
 * master with no replica left still answers, so that one failover does not stop alerts.
 */
function readReplicaWait(env: EnvReader, topology: RedisTopology, commandTimeoutMs: number): ReplicaWait {
  const replicas = env.int('REDIS_WAIT_REPLICAS', topology.mode === 'standalone' ? 0 : 1, { min: 0, max: 16 });
  const timeoutMs = env.durationMs('REDIS_WAIT_TIMEOUT', Math.min(REDIS_DEFAULTS.waitTimeoutMs, commandTimeoutMs / 2), { min: 1 });
  if (replicas > 0 && timeoutMs >= commandTimeoutMs) {
    throw new ConfigError('REDIS_WAIT_TIMEOUT', `must be shorter than REDIS_COMMAND_TIMEOUT (${commandTimeoutMs} ms)`);
  }
  const policy = env.string('REDIS_WAIT_POLICY', 'connected');
  if (!isPolicy(policy)) throw new ConfigError('REDIS_WAIT_POLICY', `must be connected, required or best-effort, got "${policy}"`);
  return { replicas, timeoutMs, policy };
}

const isPolicy = (value: string): value is ReplicaWaitPolicy => value === 'connected' || value === 'required' || value === 'best-effort';

/**
 * Which Redis a service tries, as an operator reads it in a log line (passwords left out), and
 * the variable that sets it.
 */
export function describeRedisTarget(topology: RedisTopology): { readonly redis: string; readonly variable: string } {
  const nodes = (list: readonly RedisNode[]): string => list.map((node) => `${node.host}:${node.port}`).join(',');
  switch (topology.mode) {
    case 'standalone':
      return { redis: topology.url.replace(/\/\/[^@/]*@/, '//***@'), variable: 'REDIS_URL' };
    case 'sentinel':
      return { redis: `sentinels ${nodes(topology.sentinels)}, master ${topology.masterName}`, variable: 'REDIS_SENTINELS' };
    case 'cluster':
      return { redis: `cluster ${nodes(topology.nodes)}`, variable: 'REDIS_CLUSTER_NODES' };
  }
}
