import { RedisSentinels } from '@alertgate/local-env';
import { amAlert, amWebhook, testKube, testNamespace } from '@alertgate/testing';

import { listRemediationRequests } from './support/kube-resources.js';
import { PipelineFixture } from './support/pipeline-fixture.js';
import { eventuallyHolds } from './support/eventually.js';

/**
 * REDIS_SENTINELS is a documented topology: here the whole pipeline runs on a Sentinel-managed
 * Redis (three sentinels, a master and its replica), and the master is SIGKILLed under load. The
 * services follow the master the sentinels promote, without a restart; every webhook is answered
 * 200 in the end, none gets a 4xx, and no incident gets a second resource.
 */
describe('the pipeline on Redis Sentinel, its master killed under load', () => {
  let sentinels: RedisSentinels;
  let fixture: PipelineFixture;
  let ns: string;
  beforeAll(async () => {
    sentinels = await new RedisSentinels({ maxmemory: '32mb' }).start();
    ns = await testNamespace('rr-sentinel');
    fixture = await PipelineFixture.start('sentinel', {
      env: { REDIS_SENTINELS: sentinels.addresses.join(','), REDIS_SENTINEL_MASTER: sentinels.masterName },
      serviceEnv: {
        'crd-writer': { KUBECONFIG: testKube().kubeconfig },
        storm: { STORM_RATE_THRESHOLD: '1000000', STORM_PATTERN_THRESHOLD: '64' },
        ratelimit: {
          SOURCE_RATE_PER_SECOND: '1000000',
          SOURCE_BURST: '1000000',
          NAMESPACE_CREATIONS_PER_MINUTE: '1000000',
          NAMESPACE_CREATIONS_BURST: '1000000',
        },
      },
    });
  });
  afterAll(async () => {
    await fixture?.close();
    await sentinels?.dispose();
  });

  it('the replica is promoted, the services follow it, and each incident stays one resource', async () => {
    const formerMaster = sentinels.master.port;
    const refused: number[] = [];
    let failed = 0;
    let killedAt = 0;
    let recoveredAt = 0;
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let n = next++; n < 400; n = next++) {
        // Repeats of 20 open incidents beside new ones: a lost dedup entry would show as a second resource.
        const body = amWebhook([
          amAlert({ alertname: 'Sentinel', namespace: ns, pod: `repeat-${n % 20}` }),
          amAlert({ alertname: 'Sentinel', namespace: ns, pod: `new-${n}` }),
        ]);
        for (let attempt = 1; ; attempt++) {
          const answer = await fixture.postAlerts(body);
          if (answer.status === 200) {
            if (killedAt > 0 && failed > 0 && recoveredAt === 0) recoveredAt = Date.now();
            break;
          }
          if (answer.status < 500) refused.push(answer.status);
          else failed += 1;
          if (attempt >= 120) throw new Error(`webhook ${n} still refused after ${attempt} attempts (last ${answer.status})`);
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      }
    };
    const kill = async (): Promise<void> => {
      await eventuallyHolds('100 webhooks sent', () => next >= 100, 60_000, 10);
      await sentinels.master.stop();
      killedAt = Date.now();
    };
    await Promise.all([worker(), worker(), worker(), worker(), kill()]);
    process.stdout.write(
      `sentinel: master killed; ${failed} failed attempts; answered 200 again ${recoveredAt > 0 ? recoveredAt - killedAt : 0} ms after the kill\n`,
    );
    expect(refused).toEqual([]);
    expect(await sentinels.currentMasterPort()).toBe(sentinels.replica.port);
    expect(sentinels.replica.port).not.toBe(formerMaster);
    const resources = (await listRemediationRequests(ns)).filter((item) => item.spec.alertname === 'Sentinel');
    expect(resources).toHaveLength(420);
    expect(new Set(resources.map((item) => item.spec.targetResource.name)).size).toBe(420);
  }, 180_000);
});
