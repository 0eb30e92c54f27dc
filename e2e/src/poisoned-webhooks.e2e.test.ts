import { amAlert, amWebhook, testKube, testNamespace } from '@alertgate/testing';

import { listRemediationRequests } from './support/kube-resources.js';
import { PipelineFixture } from './support/pipeline-fixture.js';

interface Result {
  outcome: string;
  errors?: { pointer: string; detail: string }[];
}

/** Alerts the gateway used to accept and the API server (or Kubernetes naming) refuses. */
const POISONS: readonly [string, Record<string, string>][] = [
  ['an upper-case namespace', { namespace: 'Prod' }],
  ['an underscore in the namespace', { namespace: 'Bad_Namespace' }],
  ['a 64-character namespace', { namespace: 'n'.repeat(64) }],
  ['a path as namespace', { namespace: '../../etc' }],
  ['an alertname over 1024 characters', { alertname: 'A'.repeat(1025) }],
  ['a severity over 256 characters', { severity: 's'.repeat(257) }],
  ['a cluster over 256 characters', { cluster: 'c'.repeat(257) }],
];

/**
 * Concurrent webhooks share pipeline runs in the gateway; one refused alert must fail nothing
 * but itself, and leave nothing behind. Real processes, kubernetes sink, real API server.
 */
describe('one bad alert among concurrent webhooks (real API server)', () => {
  let fixture: PipelineFixture;
  let ns: string;
  let fallback: string;

  beforeAll(async () => {
    [ns, fallback] = await Promise.all([testNamespace('poison'), testNamespace('poison-fallback')]);
    fixture = await PipelineFixture.start('poison', {
      env: { LOG_LEVEL: 'warn' },
      // Storm folding off: 120 alerts of one alertname at once would be a storm.
      // Limits out of the way: every webhook here comes from one source, and most open incidents.
      serviceEnv: {
        'crd-writer': { KUBECONFIG: testKube().kubeconfig, FALLBACK_NAMESPACE: fallback },
        'ingest-gateway': { STORM: 'off' },
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
  });

  /** Open incidents in the dedup window: the fields of every dedup shard hash under the fixture's prefix. */
  const dedupEntries = async (): Promise<number> => {
    const keys = (await fixture.redis.keys()).filter((key) => key.includes('{d'));
    const sizes = await Promise.all(keys.map((key) => fixture.redis.redis.hlen(key)));
    return sizes.reduce((sum, size) => sum + size, 0);
  };

  it.each(POISONS.map(([name, labels], round) => [name, labels, round] as const))(
    '120 concurrent webhooks, one carrying %s: the other 119 get 200 and their resources, the bad alert leaves nothing',
    async (_name, poison, round) => {
      const alertname = `Poison${round}`;
      const before = await dedupEntries();
      const valid = Array.from({ length: 119 }, (_v, i) => amWebhook([amAlert({ alertname, namespace: ns, pod: `p${i}` })]));
      const poisoned = amWebhook([
        amAlert({ alertname, namespace: ns, pod: 'poison', ...poison }),
        amAlert({ alertname, namespace: ns, pod: 'beside-poison' }),
      ]);
      const bodies = [...valid.slice(0, 60), poisoned, ...valid.slice(60)];
      // 120 creates at once may outrun the crd-writer's create rate within a call's deadline: those
      // webhooks are answered 503 with their alerts deferred, and delivered on Alertmanager's retry.
      const deliveries = await Promise.all(bodies.map((body) => fixture.deliverAlertsRecorded(body, 10)));
      expect(deliveries.map((answers) => answers[answers.length - 1]?.status).filter((status) => status !== 200)).toEqual([]);
      /** Each alert's outcome in each attempt of its webhook's delivery. */
      const outcomesOf = (answers: (typeof deliveries)[number], alert: number): (string | undefined)[] =>
        answers.map((answer) => (answer.json['results'] as Result[] | undefined)?.[alert]?.outcome);
      const poisonedAnswers = deliveries[60] ?? [];
      for (const answer of poisonedAnswers) {
        const results = answer.json['results'] as Result[];
        expect(results[0]?.outcome).toBe('rejected');
        expect(results[0]?.errors?.[0]?.pointer).toMatch(/^\/alerts\/0\/labels\//);
      }
      // A valid alert is created at once, or deferred until its create can start and created
      // then; or answered duplicate if a create still running at a 503's deadline landed meanwhile.
      const lifecycle = /^(created|(deferred )+(created|duplicate))$/;
      for (const answers of [...deliveries.slice(0, 60), ...deliveries.slice(61)]) expect(outcomesOf(answers, 0).join(' ')).toMatch(lifecycle);
      expect(outcomesOf(poisonedAnswers, 1).join(' ')).toMatch(lifecycle);

      const resources = [...(await listRemediationRequests(ns)), ...(await listRemediationRequests(fallback))].filter((rr) =>
        rr.spec.alertname.startsWith(alertname),
      );
      const targets = resources.map((rr) => rr.spec.targetResource.name).sort();
      expect(targets).toEqual([...Array.from({ length: 119 }, (_v, i) => `p${i}`), 'beside-poison'].sort());
      // Exactly one dedup entry per valid alert: none for the refused one.
      expect((await dedupEntries()) - before).toBe(120);
    },
    120_000,
  );

  it('the bad-input bodies sent among valid webhooks get their 4xx, and no valid webhook gets one', async () => {
    const bad = [
      '{"alerts": [',
      '',
      JSON.stringify(amWebhook([])),
      JSON.stringify(amWebhook([{ ...amAlert({}), labels: { namespace: ns, pod: 'x' } }])),
      JSON.stringify(amWebhook([{ ...amAlert({ namespace: ns, pod: 'a' }), startsAt: 'not-a-time' }])),
      JSON.stringify(amWebhook([amAlert({ namespace: ns, pod: 'v'.repeat(5000) })])),
      '{"__proto__":{"x":1},"alerts":[]}',
      JSON.stringify(amWebhook([amAlert({ namespace: 'Bad_Namespace', pod: 'a' })])),
      JSON.stringify(amWebhook([amAlert({ namespace: ns, pod: 'a', alertname: 'A'.repeat(1025) })])),
    ];
    const before = await dedupEntries();
    const sends = Array.from({ length: 100 }, (_v, i) => [
      fixture
        .postAlerts(amWebhook([amAlert({ alertname: 'AmongBad', namespace: ns, pod: `v${i}` })]))
        .then((answer) => ({ valid: true, status: answer.status })),
      fixture.postAlerts(bad[i % bad.length] ?? '').then((answer) => ({ valid: false, status: answer.status })),
    ]).flat();
    const answers = await Promise.all(sends);
    expect(answers.filter((answer) => answer.valid && answer.status !== 200)).toEqual([]);
    expect(answers.filter((answer) => !answer.valid && answer.status !== 400)).toEqual([]);
    expect((await dedupEntries()) - before).toBe(100);
  }, 120_000);

  /**
   * More creates at once than the crd-writer's create rate and the test API server finish within
   * a call's deadline: the webhooks whose creates cannot finish are answered 503 at once, with
   * Retry-After and what was done. The sender retries as Alertmanager does (the same webhook, not
   * before Retry-After), until every webhook is answered 200.
   */
  it('50 concurrent webhooks of 50 new alerts, retried as Alertmanager does: no 503 for work that was done, no alert created twice, each incident one resource', async () => {
    const before = await dedupEntries();
    const bodies = Array.from({ length: 50 }, (_v, w) =>
      amWebhook(Array.from({ length: 50 }, (_a, i) => amAlert({ alertname: 'Flood', namespace: ns, pod: `w${w}-p${i}` }))),
    );
    const created = new Map<string, number>();
    /** The alerts, of all webhooks, answered created or duplicate: their resources exist. */
    const written = new Set<string>();
    const refusedWithoutDeferred: string[] = [];
    let answers503 = 0;
    // How long a webhook is retried is bounded by progress, not by a count a slower machine would
    // need more of: the sender gives up only when nothing of any webhook was written meanwhile.
    const STALLED_ATTEMPTS = 10;
    const send = async (body: unknown): Promise<number> => {
      for (let attempt = 1, stalled = 0; stalled < STALLED_ATTEMPTS; attempt++) {
        const writtenBefore = written.size;
        const answer = await fixture.postAlerts(body);
        const results = (answer.json['results'] as (Result & { fingerprint: string })[] | undefined) ?? [];
        for (const result of results) {
          if (result.outcome === 'created') created.set(result.fingerprint, (created.get(result.fingerprint) ?? 0) + 1);
          if (result.outcome === 'created' || result.outcome === 'duplicate') written.add(result.fingerprint);
        }
        if (answer.status === 200) return attempt;
        expect(answer.status).toBe(503);
        answers503 += 1;
        const retryAfter = Number(answer.headers.get('retry-after'));
        expect(retryAfter).toBeGreaterThanOrEqual(1);
        // A 503 says what was done: alerts deferred, or (shed by an overloaded gateway) nothing.
        const shed = answer.json['type'] === 'urn:alertgate:problem:overloaded';
        if (!shed && !results.some((result) => result.outcome === 'deferred')) refusedWithoutDeferred.push(String(answer.json['detail']));
        await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000));
        stalled = written.size > writtenBefore ? 0 : stalled + 1;
      }
      throw new Error(
        `a webhook was refused ${STALLED_ATTEMPTS} times in a row while no alert of any webhook was written (${written.size} of 2500 written, ${answers503} answers of 503)`,
      );
    };
    const attempts = await Promise.all(bodies.map(send));
    process.stdout.write(
      `50 x 50 new alerts: ${answers503} answers of 503 before every webhook got 200 (most attempts for one webhook: ${Math.max(...attempts)})\n`,
    );
    expect(refusedWithoutDeferred).toEqual([]);
    // Never answered created twice. (A create still running at a call's deadline is answered
    // deferred, and when it landed meanwhile the retry answers duplicate: its resource exists.)
    expect([...created.values()].filter((count) => count > 1)).toEqual([]);
    const resources = (await listRemediationRequests(ns)).filter((rr) => rr.spec.alertname === 'Flood');
    expect(resources).toHaveLength(2500);
    expect(new Set(resources.map((rr) => rr.spec.targetResource.name)).size).toBe(2500);
    expect((await dedupEntries()) - before).toBe(2500);
  }, 300_000);
});
