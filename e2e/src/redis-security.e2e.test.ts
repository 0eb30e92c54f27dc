/**
 * The pipeline on a Redis that speaks TLS only, asks every client for a certificate, and lets
 * each service in as its own ACL user, with the rules docs/operations.md gives operators (read
 * from the document itself, so that what it says is what is tested).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { RedisCluster, RedisSentinels, RedisServer } from '@alertgate/local-env';
import { GrpcSecurity, openChannel, serviceClient } from '@alertgate/grpc-kit';
import { DedupServiceService, Outcome, Status } from '@alertgate/proto';
import { amAlert, amWebhook, repoRoot, TestPki, testSignal } from '@alertgate/testing';
import { Redis } from 'ioredis';

import { counterValue } from './support/metrics.js';
import { PipelineFixture } from './support/pipeline-fixture.js';
import { eventually } from './support/eventually.js';

interface AclUser {
  readonly name: string;
  readonly rules: string[];
  readonly password: string;
}

/** The ```acl block of docs/operations.md, each user with a password of the test's own. */
function documentedUsers(): AclUser[] {
  const doc = readFileSync(join(repoRoot(), 'docs', 'operations.md'), 'utf8');
  const block = /```acl\n([\s\S]*?)```/.exec(doc)?.[1];
  if (!block) throw new Error('docs/operations.md has no ```acl block');
  return block
    .trim()
    .split('\n')
    .map((line) => {
      const [keyword, name = '', ...rules] = line.trim().split(/\s+/);
      if (keyword !== 'user') throw new Error(`not an ACL user line: ${line}`);
      const password = `${name}-test-password`;
      return { name, password, rules: rules.map((rule) => (rule.startsWith('>') ? `>${password}` : rule)) };
    });
}

const ADMIN_PASSWORD = 'admin-test-password';

/** Gives each server the users: ACLs are a server's own, not replicated. */
async function giveUsers(servers: readonly RedisServer[], users: readonly AclUser[]): Promise<void> {
  for (const server of servers) {
    const admin = new Redis(server.adminOptions());
    for (const user of users) await admin.call('ACL', 'SETUSER', user.name, ...user.rules);
    admin.disconnect();
  }
}

/** The Redis-backed services' environments: each logs in as its documented user, over TLS with the client certificate in `dir`. */
function servicesAs(users: readonly AclUser[], dir: string, extra: { dedup?: Record<string, string> } = {}) {
  const as = (name: string) => ({
    REDIS_KEY_PREFIX: 'ag:',
    REDIS_USERNAME: name,
    REDIS_PASSWORD: users.find((user) => user.name === name)?.password ?? '',
    REDIS_TLS: 'on',
    REDIS_TLS_CA_FILE: join(dir, 'ca.crt'),
    REDIS_TLS_CERT_FILE: join(dir, 'tls.crt'),
    REDIS_TLS_KEY_FILE: join(dir, 'tls.key'),
  });
  return { dedup: { ...as('alertgate-dedup'), ...extra.dedup }, storm: as('alertgate-storm'), ratelimit: as('alertgate-ratelimit') };
}

/** Dedup's Redis monitor counts dedup keys (it reads the keyspace), and no service was refused a command or a login. */
async function expectMonitoredWithoutRefusals(fixture: PipelineFixture): Promise<void> {
  const system = fixture.system!;
  const keys = await eventually(
    'dedup keys counted by the Redis monitor',
    async () => {
      const counted = await counterValue(`http://127.0.0.1:${system.services.dedup.metricsPort}/metrics`, 'alertgate_redis_node_keys', { class: 'dedup' });
      return counted ? counted : undefined;
    },
    10_000,
    50,
  );
  expect(keys).toBeGreaterThan(0);
  for (const service of ['dedup', 'storm', 'ratelimit'] as const) {
    expect([service, system.services[service].logs.filter((line) => /NOPERM|WRONGPASS/.test(line))]).toEqual([service, []]);
  }
}

describe('the pipeline on Redis with TLS, client certificates and an ACL user per service', () => {
  let pki: TestPki;
  let redis: RedisServer;
  let admin: Redis;
  let fixture: PipelineFixture;
  let users: Map<string, AclUser>;
  let clientDir: string;

  const tlsFiles = () => ({
    ca: readFileSync(join(clientDir, 'ca.crt')),
    cert: readFileSync(join(clientDir, 'tls.crt')),
    key: readFileSync(join(clientDir, 'tls.key')),
  });
  const connectAs = async (user: string): Promise<Redis> => {
    const client = new Redis({
      port: redis.port,
      host: '127.0.0.1',
      username: user,
      password: users.get(user)?.password ?? '',
      tls: tlsFiles(),
      lazyConnect: true,
      maxRetriesPerRequest: 0,
    });
    await client.connect();
    return client;
  };

  beforeAll(async () => {
    pki = new TestPki();
    const serverDir = pki.issue('redis', { sans: ['DNS:localhost', 'IP:127.0.0.1'] });
    clientDir = pki.issue('redis-client', { sans: ['DNS:alertgate'] });
    redis = await new RedisServer({
      tls: { certFile: join(serverDir, 'tls.crt'), keyFile: join(serverDir, 'tls.key'), caFile: join(serverDir, 'ca.crt'), authClients: 'yes' },
      password: ADMIN_PASSWORD,
    }).start();
    admin = new Redis(redis.adminOptions());
    users = new Map(documentedUsers().map((user) => [user.name, user]));
    await giveUsers([redis], [...users.values()]);
    fixture = await PipelineFixture.start('redissec', {
      redisUrl: redis.url,
      serviceEnv: servicesAs([...users.values()], clientDir, { dedup: { REDIS_MONITOR_INTERVAL: '300ms' } }),
    });
  });
  afterAll(async () => {
    await fixture?.close();
    admin?.disconnect();
    await redis?.dispose();
    pki?.dispose();
  });

  it("runs webhooks through every service, and dedup's Redis monitor reads the keyspace", async () => {
    const first = await fixture.deliverAlerts(amWebhook([amAlert({ alertname: 'OverRedisTls', pod: 'a' }), amAlert({ alertname: 'OverRedisTls', pod: 'b' })]));
    expect(first.status).toBe(200);
    expect((first.json['results'] as { outcome: string }[]).map((r) => r.outcome)).toEqual(['created', 'created']);
    const again = await fixture.deliverAlerts(amWebhook([amAlert({ alertname: 'OverRedisTls', pod: 'a' })]));
    expect((again.json['results'] as { outcome: string; occurrences: number }[])[0]).toMatchObject({ outcome: 'duplicate', occurrences: 2 });
    expect((await admin.keys('ag:*')).map((key) => key.slice(0, 5)).sort()).toEqual(expect.arrayContaining(['ag:{d', 'ag:{r', 'ag:{s']));
    await expectMonitoredWithoutRefusals(fixture);
  });

  it("keeps a workload incident's pods as its ACL user (the commands of the pods hash are in its rules)", async () => {
    const channel = openChannel(fixture.system!.dedupAddress, GrpcSecurity.plaintext());
    const dedup = serviceClient(DedupServiceService, channel, { name: 'dedup', deadlineMs: 5_000 });
    const workload = (pod: string, status: Status) => ({ ...testSignal({ fingerprint: 'c'.repeat(64), status }), pod });
    try {
      const fired = await dedup.checkBatch({ signals: [workload('web-1', Status.STATUS_FIRING), workload('web-2', Status.STATUS_FIRING)], foldIfNew: [] });
      expect(fired.decisions.map((d) => d.incident?.pods)).toEqual([1, 2]);
      const resolved = await dedup.checkBatch({
        signals: [workload('web-1', Status.STATUS_RESOLVED), workload('web-2', Status.STATUS_RESOLVED)],
        foldIfNew: [],
      });
      expect(resolved.decisions.map((d) => d.outcome)).toEqual([Outcome.OUTCOME_POD_RESOLVED, Outcome.OUTCOME_RESOLVED]);
    } finally {
      channel.close();
    }
  });

  it('refuses each user a command or a key outside its rules', async () => {
    const dedup = await connectAs('alertgate-dedup');
    const ratelimit = await connectAs('alertgate-ratelimit');
    try {
      await expect(dedup.flushall()).rejects.toThrow(/NOPERM/);
      await expect(dedup.call('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru')).rejects.toThrow(/NOPERM/);
      await expect(dedup.hset('ag:{r00}x', 'f', '1')).rejects.toThrow(/NOPERM/);
      await expect(dedup.set('other:key', '1')).rejects.toThrow(/NOPERM/);
      await expect(ratelimit.hget('ag:{d000}', 'f')).rejects.toThrow(/NOPERM/);
      await expect(ratelimit.eval("return redis.call('HSET', KEYS[1], 'f', '1')", 1, 'ag:{d000}')).rejects.toThrow(/NOPERM|No permissions/);
      await expect(ratelimit.keys('*')).rejects.toThrow(/NOPERM/);
    } finally {
      dedup.disconnect();
      ratelimit.disconnect();
    }
  });

  it('refuses a wrong password, a client without a certificate, and plaintext', async () => {
    const wrong = new Redis({
      port: redis.port,
      host: '127.0.0.1',
      username: 'alertgate-dedup',
      password: 'wrong-password',
      tls: tlsFiles(),
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    // ioredis reports the AUTH answer as the connection's error, then closes it.
    const authError = new Promise<Error>((resolve) => wrong.once('error', resolve));
    await expect(wrong.connect()).rejects.toThrow();
    expect((await authError).message).toMatch(/WRONGPASS/);
    wrong.disconnect();
    const { ca } = tlsFiles();
    const noCert = new Redis({
      port: redis.port,
      host: '127.0.0.1',
      username: 'alertgate-dedup',
      password: users.get('alertgate-dedup')?.password ?? '',
      tls: { ca },
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    noCert.on('error', () => undefined);
    await expect(noCert.connect().then(() => noCert.ping())).rejects.toThrow();
    noCert.disconnect();
    const plain = new Redis({
      port: redis.port,
      host: '127.0.0.1',
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      connectTimeout: 2_000,
    });
    plain.on('error', () => undefined);
    await expect(plain.connect().then(() => plain.ping())).rejects.toThrow();
    plain.disconnect();
  });
});

describe('the pipeline on a Redis Cluster with TLS only and an ACL user per service', () => {
  let pki: TestPki;
  let cluster: RedisCluster;
  let fixture: PipelineFixture;

  beforeAll(async () => {
    pki = new TestPki();
    // One certificate for every node, as server, as client of the others, and for the services.
    const dir = pki.issue('redis-cluster', { sans: ['DNS:localhost', 'IP:127.0.0.1'] });
    const files = { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key'), caFile: join(dir, 'ca.crt') };
    cluster = await new RedisCluster({ masters: 3, tls: { ...files, authClients: 'yes' } }).start();
    const users = documentedUsers();
    await giveUsers(cluster.nodes, users);
    fixture = await PipelineFixture.start('clusteracl', {
      env: { REDIS_CLUSTER_NODES: cluster.addresses.join(','), REDIS_WAIT_REPLICAS: '0' },
      serviceEnv: servicesAs(users, dir, { dedup: { REDIS_MONITOR_INTERVAL: '300ms' } }),
    });
  });
  afterAll(async () => {
    await fixture?.close();
    await cluster?.dispose();
    pki?.dispose();
  });

  it("runs webhooks through every service on every master, and dedup's monitor reads them", async () => {
    const alerts = Array.from({ length: 30 }, (_v, i) => amAlert({ alertname: 'OverClusterAcl', pod: `p-${i}` }));
    const answer = await fixture.deliverAlerts(amWebhook(alerts));
    expect(answer.status).toBe(200);
    // 30 alerts of one name make a storm (the storm service's user at work too).
    const outcomes = (answer.json['results'] as { outcome: string }[]).map((r) => r.outcome);
    expect(outcomes.filter((outcome) => outcome !== 'created' && outcome !== 'storm')).toEqual([]);
    expect(outcomes).toContain('created');
    expect(outcomes).toContain('storm');
    await expectMonitoredWithoutRefusals(fixture);
  });
});

describe('the pipeline on Redis Sentinel with TLS only and an ACL user per service', () => {
  let pki: TestPki;
  let sentinels: RedisSentinels;
  let fixture: PipelineFixture;

  beforeAll(async () => {
    pki = new TestPki();
    const dir = pki.issue('redis-sentinel', { sans: ['DNS:localhost', 'IP:127.0.0.1'] });
    const files = { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key'), caFile: join(dir, 'ca.crt') };
    sentinels = await new RedisSentinels({ tls: { ...files, authClients: 'yes' } }).start();
    const users = documentedUsers();
    // The replica that may be promoted gets the users too.
    await giveUsers([sentinels.master, sentinels.replica], users);
    fixture = await PipelineFixture.start('sentinelacl', {
      env: { REDIS_SENTINELS: sentinels.addresses.join(','), REDIS_SENTINEL_MASTER: sentinels.masterName },
      serviceEnv: servicesAs(users, dir),
    });
  });
  afterAll(async () => {
    await fixture?.close();
    await sentinels?.dispose();
    pki?.dispose();
  });

  it('runs webhooks through every service, each write held by the replica (WAIT and ROLE allowed)', async () => {
    const body = amWebhook([amAlert({ alertname: 'OverSentinelAcl', pod: 'a' })]);
    expect((await fixture.deliverAlerts(body)).json['results']).toEqual([expect.objectContaining({ outcome: 'created' })]);
    expect((await fixture.deliverAlerts(body)).json['results']).toEqual([expect.objectContaining({ outcome: 'duplicate', occurrences: 2 })]);
    for (const service of ['dedup', 'storm', 'ratelimit'] as const) {
      expect([service, fixture.system!.services[service].logs.filter((line) => /NOPERM|WRONGPASS|unreplicated/.test(line))]).toEqual([service, []]);
    }
  });
});
