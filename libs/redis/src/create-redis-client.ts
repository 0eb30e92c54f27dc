import { Cluster, Redis, type RedisOptions } from 'ioredis';

import type { RedisConfig } from './redis-config.js';

export type RedisClient = Redis | Cluster;

/**
 * One client per process, shared by every request. Settings that the gateway's error contract
 * depends on:
 * - enableOfflineQueue false: while Redis is down a command fails at once (mapped to
 *   UNAVAILABLE → 503 + Retry-After) instead of queueing until the deadline.
 * - enableAutoPipelining off: each call of a service sends one script, and the gateway
 *   batches webhooks before it calls, so there is little to share; ioredis' auto-pipelining then
 *   only adds a deferred tick and a Pipeline per command. Off took the Redis-backed services' CPU
 *   per 1,000 single alerts from 0.20–0.24 s to 0.17–0.21 s (BENCHMARKS.md).
 * - commandTimeout: a stuck server becomes a retryable error, never a hung webhook.
 */
export function createRedisClient(config: RedisConfig, connectionName: string): RedisClient {
  const { credentials, tls } = config;
  const common: RedisOptions = {
    ...(credentials?.username === undefined ? {} : { username: credentials.username }),
    ...(credentials?.password === undefined ? {} : { password: credentials.password }),
    ...(tls ? { tls: { ...tls } } : {}),
    connectionName,
    connectTimeout: config.connectTimeoutMs,
    commandTimeout: config.commandTimeoutMs,
    enableOfflineQueue: false,
    enableAutoPipelining: false,
    maxRetriesPerRequest: 0,
    lazyConnect: true,
    // Reconnect forever with a capped backoff; requests meanwhile fail fast (see above).
    retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 5), 1_000),
  };
  const { topology } = config;
  switch (topology.mode) {
    case 'standalone':
      return new Redis(topology.url, common);
    case 'sentinel':
      return new Redis({
        ...common,
        sentinels: topology.sentinels.map((node) => ({ host: node.host, port: node.port })),
        name: topology.masterName,
        ...(topology.sentinelCredentials?.username === undefined ? {} : { sentinelUsername: topology.sentinelCredentials.username }),
        ...(topology.sentinelCredentials?.password === undefined ? {} : { sentinelPassword: topology.sentinelCredentials.password }),
        // enableTLSForSentinelMode: the servers the sentinels name are reached over TLS too.
        ...(tls ? { enableTLSForSentinelMode: true } : {}),
        ...(topology.sentinelTls ? { sentinelTLS: { ...tls } } : {}),
      });
    case 'cluster':
      return new Cluster(
        topology.nodes.map((node) => ({ host: node.host, port: node.port })),
        {
          enableOfflineQueue: false,
          enableAutoPipelining: false,
          // As for one server: the caller connects (followRedisHealth), once.
          lazyConnect: true,
          redisOptions: common,
        },
      );
  }
}

export function isCluster(client: RedisClient): client is Cluster {
  return client instanceof Cluster;
}

/** Connects and waits until the client is ready; throws the connection error otherwise. */
export async function connectRedis(client: RedisClient): Promise<void> {
  if (client.status === 'ready') return;
  await client.connect();
}
