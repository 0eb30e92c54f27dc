import { Source, Status } from '@alertgate/proto';

import { InvalidInputError } from './input-problem.js';
import { PARSE_DEFAULTS, parseAlertmanagerWebhook as parseWebhook, type ParseOptions } from './parse-alertmanager-webhook.js';

/** The valid alerts' signals (every case here but the rejection ones is wholly valid). */
const parseAlertmanagerWebhook = (body: unknown, options?: ParseOptions) => parseWebhook(body, options).signals;

function webhook(alerts: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: '4',
    groupKey: '{}:{alertname="HighCPU"}',
    truncatedAlerts: 0,
    status: 'firing',
    receiver: 'alertgate',
    groupLabels: { alertname: 'HighCPU' },
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://alertmanager:9093',
    alerts,
    ...extra,
  };
}

function alert(labels: Record<string, string>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    status: 'firing',
    labels: { alertname: 'HighCPU', ...labels },
    annotations: { summary: 'CPU high' },
    startsAt: '2026-11-01T10:00:00.123456789Z',
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus/graph',
    fingerprint: '0123456789abcdef',
    ...extra,
  };
}

function problemsOf(fn: () => unknown): { tooLarge: boolean; pointers: string[] } {
  try {
    fn();
  } catch (err) {
    if (err instanceof InvalidInputError) return { tooLarge: err.tooLarge, pointers: err.problems.map((p) => p.pointer) };
    throw err;
  }
  throw new Error('expected InvalidInputError');
}

describe('parseAlertmanagerWebhook', () => {
  it('turns every alert of the group into a signal, in order, firing and resolved', () => {
    const signals = parseAlertmanagerWebhook(
      webhook([alert({ namespace: 'shop', pod: 'web-1' }), alert({ namespace: 'shop', pod: 'web-2' }, { status: 'resolved', endsAt: '2026-11-01T10:05:00Z' })]),
    );
    expect(signals).toHaveLength(2);
    expect(signals[0]).toMatchObject({
      alertname: 'HighCPU',
      namespace: 'shop',
      target: { kind: 'pod', name: 'web-1' },
      status: Status.STATUS_FIRING,
      source: Source.SOURCE_ALERTMANAGER,
    });
    expect(signals[0]?.alertmanager).toMatchObject({ fingerprint: '0123456789abcdef', receiver: 'alertgate', generatorUrl: 'http://prometheus/graph' });
    expect(signals[0]?.endsAt).toBeUndefined();
    expect(signals[1]?.status).toBe(Status.STATUS_RESOLVED);
    expect(signals[1]?.endsAt).toEqual({ seconds: Date.parse('2026-11-01T10:05:00Z') / 1000, nanos: 0 });
    expect(signals[0]?.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(signals[0]?.fingerprint).not.toBe(signals[1]?.fingerprint);
  });

  it('accepts older and newer payloads (no truncatedAlerts; notification_reason, routeLabels present)', () => {
    const older = webhook([alert({ pod: 'a' })]);
    delete older['truncatedAlerts'];
    expect(parseAlertmanagerWebhook(older)).toHaveLength(1);
    expect(parseAlertmanagerWebhook(webhook([alert({ pod: 'a' })], { notification_reason: 'repeat', routeLabels: { team: 'x' }, version: '5' }))).toHaveLength(
      1,
    );
  });

  it('keys the fingerprint on alertname, namespace, target and cluster only', () => {
    const [a, b, c, d] = parseAlertmanagerWebhook(
      webhook([
        alert({ namespace: 'shop', pod: 'web-1', container: 'app' }),
        alert({ namespace: 'shop', pod: 'web-1', container: 'sidecar', instance: '10.0.0.1:9090' }),
        alert({ namespace: 'shop', pod: 'web-1', cluster: 'eu-1' }),
        alert({ namespace: 'other', pod: 'web-1' }),
      ]),
    );
    expect(a?.fingerprint).toBe(b?.fingerprint);
    expect(c?.fingerprint).not.toBe(a?.fingerprint);
    expect(d?.fingerprint).not.toBe(a?.fingerprint);
  });

  it('picks the first configured target label present, and maps job_name to kind job', () => {
    const [deploy, job, none] = parseAlertmanagerWebhook(
      webhook([
        alert({ namespace: 'n', deployment: 'api', node: 'n1' }),
        alert({ namespace: 'n', job_name: 'backup', job: 'kube-state-metrics' }),
        alert({ namespace: 'n' }),
      ]),
    );
    expect(deploy?.target).toEqual({ kind: 'deployment', name: 'api' });
    expect(job?.target).toEqual({ kind: 'job', name: 'backup' });
    expect(none?.target).toEqual({ kind: '', name: '' });
  });

  it('puts alerts without a namespace label into the fallback namespace', () => {
    const [signal] = parseAlertmanagerWebhook(webhook([alert({ node: 'worker-3' })]), { ...PARSE_DEFAULTS, fallbackNamespace: 'ops' });
    expect(signal?.namespace).toBe('ops');
  });

  it.each([
    ['a non-object body', [], ''],
    ['no alerts array', { version: '4' }, '/alerts'],
    ['an empty alerts array', webhook([]), '/alerts'],
    ['a missing alertname', webhook([{ ...alert({}), labels: { pod: 'x' } }]), '/alerts/0/labels/alertname'],
    ['a bad status', webhook([alert({}, { status: 'pending' })]), '/alerts/0/status'],
    ['a bad startsAt', webhook([alert({}, { startsAt: 'yesterday' })]), '/alerts/0/startsAt'],
    ['an impossible date', webhook([alert({}, { startsAt: '2026-13-45T99:00:00Z' })]), '/alerts/0/startsAt'],
    ['a firing alert without startsAt', webhook([alert({}, { startsAt: undefined })]), '/alerts/0/startsAt'],
    ['a non-string label value', webhook([alert({}, { labels: { alertname: 'X', pod: 5 } })]), '/alerts/0/labels/pod'],
    ['a huge label value', webhook([alert({ pod: 'x'.repeat(5000) })]), '/alerts/0/labels/pod'],
    ['a huge annotation', webhook([alert({}, { annotations: { d: 'y'.repeat(20000) } })]), '/alerts/0/annotations/d'],
    ['an alert that is not an object', webhook(['nope']), '/alerts/0'],
  ])('refuses %s with a problem located at the field', (_name, body, pointer) => {
    const { pointers, tooLarge } = problemsOf(() => parseAlertmanagerWebhook(body));
    expect(pointers).toContain(pointer);
    expect(tooLarge).toBe(false);
  });

  it('rejects an alert that starts further ahead of the gateway clock than the allowed skew, alone', () => {
    const now = Date.parse('2026-11-01T10:00:00Z');
    const body = webhook([
      alert({ pod: 'now' }, { startsAt: '2026-11-01T10:05:00Z' }),
      alert({ pod: 'later' }, { startsAt: '2026-11-01T10:05:01Z' }),
      alert({ pod: 'old' }, { startsAt: '2020-01-01T00:00:00Z' }),
    ]);
    const { signals, rejected } = parseWebhook(body, PARSE_DEFAULTS, now);
    expect(signals.map((signal) => signal.target?.name)).toEqual(['now', 'old']);
    expect(rejected).toEqual([
      {
        index: 1,
        problems: [{ pointer: '/alerts/1/startsAt', detail: "is 301 s ahead of the gateway's clock; at most 300 s is accepted (check the sender's clock)" }],
      },
    ]);
    const tight = { ...PARSE_DEFAULTS, freshness: { ...PARSE_DEFAULTS.freshness, maxFutureSkewMs: 1_000 } };
    expect(problemsOf(() => parseWebhook(webhook([alert({}, { startsAt: '2026-11-01T10:00:02Z' })]), tight, now)).pointers).toEqual(['/alerts/0/startsAt']);
  });

  it('refuses more alerts than the limit as too large', () => {
    const body = webhook(Array.from({ length: 3 }, (_v, i) => alert({ pod: `p${i}` })));
    const { tooLarge } = problemsOf(() => parseAlertmanagerWebhook(body, { ...PARSE_DEFAULTS, limits: { ...PARSE_DEFAULTS.limits, maxAlerts: 2 } }));
    expect(tooLarge).toBe(true);
  });

  it('refuses too many labels', () => {
    const labels = Object.fromEntries(Array.from({ length: 70 }, (_v, i) => [`l${i}`, 'v']));
    expect(problemsOf(() => parseAlertmanagerWebhook(webhook([alert(labels)]))).pointers).toContain('/alerts/0/labels');
  });

  it.each([
    ['an upper-case namespace', { namespace: 'Prod' }, '/alerts/0/labels/namespace'],
    ['an underscore in the namespace', { namespace: 'Bad_Namespace' }, '/alerts/0/labels/namespace'],
    ['a 64-character namespace', { namespace: 'n'.repeat(64) }, '/alerts/0/labels/namespace'],
    ['a path as namespace', { namespace: '../../etc' }, '/alerts/0/labels/namespace'],
    ['a NUL in the namespace', { namespace: 'a\u0000b' }, '/alerts/0/labels/namespace'],
    ['an alertname the schema refuses (> 1024)', { alertname: 'A'.repeat(1025) }, '/alerts/0/labels/alertname'],
    ['a severity the schema refuses (> 256)', { severity: 's'.repeat(257) }, '/alerts/0/labels/severity'],
    ['a cluster the schema refuses (> 256)', { cluster: 'c'.repeat(257) }, '/alerts/0/labels/cluster'],
  ])('refuses %s, which the RemediationRequest schema or Kubernetes would refuse', (_name, labels, pointer) => {
    expect(problemsOf(() => parseWebhook(webhook([alert(labels)]))).pointers).toContain(pointer);
  });

  it('counts schema lengths in characters, as Kubernetes does', () => {
    // 1024 characters of 3 bytes each: within the schema's maxLength, though 3 KB.
    expect(parseAlertmanagerWebhook(webhook([alert({ alertname: '€'.repeat(1024) })]))).toHaveLength(1);
    expect(problemsOf(() => parseWebhook(webhook([alert({ alertname: '😀'.repeat(1025) })]))).pointers).toContain('/alerts/0/labels/alertname');
  });

  it('rejects invalid alerts one by one and keeps the valid ones of the same webhook', () => {
    const { signals, rejected } = parseWebhook(
      webhook([alert({ namespace: 'shop', pod: 'a' }), alert({ namespace: 'Prod' }), alert({ namespace: 'shop', pod: 'b' }), alert({}, { status: 'pending' })]),
    );
    expect(signals.map((signal) => signal.target?.name)).toEqual(['a', 'b']);
    expect(rejected.map((alert) => alert.index)).toEqual([1, 3]);
    expect(rejected[0]?.problems.map((p) => p.pointer)).toEqual(['/alerts/1/labels/namespace']);
    expect(rejected[1]?.problems.map((p) => p.pointer)).toEqual(['/alerts/3/status']);
  });

  it('refuses the webhook when every alert is invalid, or the group itself is', () => {
    expect(problemsOf(() => parseWebhook(webhook([alert({ namespace: 'Prod' }), alert({ namespace: 'X' })]))).pointers).toEqual([
      '/alerts/0/labels/namespace',
      '/alerts/1/labels/namespace',
    ]);
    expect(problemsOf(() => parseWebhook(webhook([alert({ pod: 'a' })], { receiver: 5 }))).pointers).toEqual(['/receiver']);
  });
});
