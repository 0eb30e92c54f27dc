import { RedisCluster } from '@alertgate/local-env';
import { Cluster } from 'ioredis';

import { amAlert, amWebhook } from '@alertgate/testing';
import { eventuallyHolds } from './support/eventually.js';
import { PipelineFixture } from './support/pipeline-fixture.js';

interface Result {
  fingerprint: string;
  outcome: string;
  occurrences?: number;
}

/**
 * REDIS_CLUSTER_NODES is a documented topology (docs/operations.md): here the whole pipeline runs
 * on a real three-master Redis Cluster, so every script (dedup, storm, ratelimit) must keep the
 * keys it touches in one slot, follow MOVED redirections and leave only keys with a TTL.
 */
describe('the pipeline on a real Redis Cluster (three masters, REDIS_CLUSTER_NODES)', () => {
  let cluster: RedisCluster;
  let fixture: PipelineFixture;
  let client: Cluster;
  beforeAll(async () => {
    cluster = await new RedisCluster({ masters: 3 }).start();
    const nodes = cluster.addresses.join(',');
    fixture = await PipelineFixture.start('cluster', {
      // A Cluster without replicas: no write can wait for one (REDIS_WAIT_REPLICAS, docs/operations.md).
      env: { REDIS_CLUSTER_NODES: nodes, REDIS_WAIT_REPLICAS: '0' },
      // dedup's Redis monitor asks every master; collect often enough for the test to see it.
      serviceEnv: { dedup: { REDIS_MONITOR_INTERVAL: '500ms' }, storm: { STORM_RATE_THRESHOLD: '20', STORM_PATTERN_THRESHOLD: '64', STORM_WINDOW: '60s' } },
    });
    client = new Cluster(cluster.addresses.map((address) => ({ host: '127.0.0.1', port: Number(address.split(':')[1]) })));
  });
  afterAll(async () => {
    client?.disconnect();
    await fixture?.close();
    await cluster?.dispose();
  });

  /** Every key the services wrote, from every master: (key, TTL in ms). */
  const keys = async (): Promise<{ key: string; pttl: number }[]> => {
    const found: { key: string; pttl: number }[] = [];
    for (const node of client.nodes('master')) {
      for (const key of await node.keys(`${fixture.redis.prefix}*`)) found.push({ key, pttl: await node.pttl(key) });
    }
    return found;
  };

  it('creates, then counts the repeat as a duplicate, with the rate-limit answer of a real Admit', async () => {
    const body = amWebhook([amAlert({ pod: 'cluster-api-1' })]);
    const first = await fixture.postAlerts(body);
    expect(first.status).toBe(200);
    expect((first.json['results'] as Result[])[0]).toMatchObject({ outcome: 'created', occurrences: 1 });
    expect(first.headers.get('ratelimit-policy')).toMatch(/;w=/);

    const second = await fixture.postAlerts(body);
    expect((second.json['results'] as Result[])[0]).toMatchObject({ outcome: 'duplicate', occurrences: 2 });
    expect(fixture.resources().filter((rr) => rr.spec.targetResource.name === 'cluster-api-1')).toHaveLength(1);
  });

  it('detects and folds a storm', async () => {
    const results: Result[] = [];
    for (let batch = 0; batch < 3; batch++) {
      const response = await fixture.postAlerts(
        amWebhook(Array.from({ length: 20 }, (_v, i) => amAlert({ alertname: 'ClusterStorm', namespace: 'storm-ns', pod: `p-${batch * 20 + i}` }))),
      );
      expect(response.status).toBe(200);
      results.push(...(response.json['results'] as Result[]));
    }
    expect(results.filter((r) => r.outcome === 'storm').length).toBeGreaterThan(0);
    const aggregates = fixture.resources().filter((rr) => rr.metadata.labels['remediation.alertgate.io/storm'] === 'true');
    expect(aggregates).toHaveLength(1);
  });

  it('leaves only keys of its classes, each with a TTL', async () => {
    const found = await keys();
    expect(found.length).toBeGreaterThan(0);
    expect(found.filter(({ pttl }) => pttl < 0)).toEqual([]);
    // One class letter per hash tag (KEY_CLASSES): d dedup, r ratelimit, s storm. Idle limiters
    // may already have expired (their TTL ends when they are full again), so r is not required.
    const classes = new Set(found.map(({ key }) => /^[^{]*\{([a-z])/.exec(key)?.[1]));
    expect([...classes].every((cls) => cls === 'd' || cls === 'r' || cls === 's')).toBe(true);
    expect(classes.has('d') && classes.has('s')).toBe(true);
  });

  it("has dedup's Redis monitor account for every master and every class", async () => {
    const masters = cluster.addresses;
    const dedupMetrics = `http://127.0.0.1:${fixture.system?.services.dedup.metricsPort ?? 0}/metrics`;
    const count = (text: string, cls: string): number => Number(new RegExp(`alertgate_redis_keys\\{class="${cls}"\\} (\\d+)`).exec(text)?.[1] ?? -1);
    const classes = [
      ['dedup', 'd'],
      ['storm', 's'],
      ['ratelimit', 'r'],
    ] as const;
    // The monitor collects every 500 ms, and idle limiters expire within seconds: compare one of
    // its collections with the keys on the masters until both were taken between two changes.
    let text = '';
    let counted: number[] = [];
    let live: number[] = [];
    await eventuallyHolds(
      () => `the monitor's counts ${counted.join()} to match the masters' keys ${live.join()}, dedup's above 0`,
      async () => {
        text = await (await fetch(dedupMetrics)).text();
        const found = await keys();
        counted = classes.map(([cls]) => count(text, cls));
        live = classes.map(([, id]) => found.filter(({ key }) => key.startsWith(`${fixture.redis.prefix}{${id}`)).length);
        return counted.join() === live.join() && live[0] !== 0;
      },
      10_000,
      200,
    );
    for (const node of masters) {
      expect(text).toContain(`alertgate_redis_memory_bytes{node="${node}",kind="used"}`);
      expect(text).toContain(`alertgate_redis_eviction_risk{node="${node}"} 0`);
    }
    expect(text).toMatch(/alertgate_redis_keys_without_ttl 0/);
    expect(text).toMatch(/alertgate_redis_unknown_keys 0/);
  });
});
