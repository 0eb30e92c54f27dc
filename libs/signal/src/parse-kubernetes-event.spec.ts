import { Source, Status } from '@alertgate/proto';

import { InvalidInputError } from './input-problem.js';
import { PARSE_DEFAULTS } from './parse-alertmanager-webhook.js';
import { parseKubernetesEvent as parseEvent } from './parse-kubernetes-event.js';

/** The gateway's clock at the event's last time plus a minute. */
const NOW = Date.parse('2026-11-01T10:04:00Z');
const parseKubernetesEvent = (body: unknown, nowMs = NOW) => parseEvent(body, PARSE_DEFAULTS, nowMs);

const warning = {
  apiVersion: 'v1',
  kind: 'Event',
  metadata: { name: 'web-1.17a', namespace: 'shop' },
  involvedObject: { kind: 'Pod', name: 'web-1', namespace: 'shop', apiVersion: 'v1' },
  reason: 'BackOff',
  message: 'Back-off restarting failed container',
  type: 'Warning',
  count: 4,
  firstTimestamp: '2026-11-01T10:00:00Z',
  lastTimestamp: '2026-11-01T10:03:00Z',
  source: { component: 'kubelet', host: 'node-1' },
};

describe('parseKubernetesEvent', () => {
  it('turns a Warning event into a firing signal named after its reason', () => {
    const result = parseKubernetesEvent(warning);
    if (result.kind !== 'signal') throw new Error('expected a signal');
    expect(result.signal).toMatchObject({
      alertname: 'BackOff',
      namespace: 'shop',
      target: { kind: 'pod', name: 'web-1' },
      severity: 'warning',
      status: Status.STATUS_FIRING,
      source: Source.SOURCE_KUBERNETES_EVENT,
      annotations: { message: 'Back-off restarting failed container' },
    });
    expect(result.signal.startsAt?.seconds).toBe(Date.parse('2026-11-01T10:00:00Z') / 1000);
  });

  it('acknowledges and ignores Normal events', () => {
    expect(parseKubernetesEvent({ ...warning, type: 'Normal' }).kind).toBe('ignored');
  });

  it('accepts the events.k8s.io/v1 field names', () => {
    const { involvedObject, message, ...rest } = warning;
    const result = parseKubernetesEvent({
      ...rest,
      regarding: involvedObject,
      note: message,
      firstTimestamp: undefined,
      eventTime: '2026-11-01T10:00:00.000000Z',
    });
    expect(result.kind).toBe('signal');
  });

  it('ignores an event last seen longer ago than its maximum age, by the newest of its times', () => {
    const hour = 3_600_000;
    const at = (iso: string) => Date.parse(iso);
    expect(parseKubernetesEvent(warning, at('2026-11-01T11:03:00Z')).kind).toBe('signal');
    expect(parseKubernetesEvent(warning, at('2026-11-01T11:03:01Z'))).toEqual({
      kind: 'ignored',
      reason: 'the event was last seen 3601 s ago, longer ago than 3600 s',
    });
    // A series moves on while lastTimestamp stays.
    const series = { ...warning, series: { count: 9, lastObservedTime: '2026-11-01T12:00:00.000000Z' } };
    expect(parseKubernetesEvent(series, at('2026-11-01T12:30:00Z')).kind).toBe('signal');
    expect(parseKubernetesEvent({ ...warning, firstTimestamp: undefined, lastTimestamp: undefined }, at('2026-11-01T10:00:00Z') + 100 * hour).kind).toBe(
      'signal',
    );
    expect(parseEvent(warning, { ...PARSE_DEFAULTS, freshness: { ...PARSE_DEFAULTS.freshness, maxEventAgeMs: 30_000 } }, NOW).kind).toBe('ignored');
  });

  it.each([
    ['an unknown type', { ...warning, type: 'Error' }],
    ['no involved object', { ...warning, involvedObject: undefined }],
    ['no reason', { ...warning, reason: '' }],
    ['a bad timestamp', { ...warning, firstTimestamp: 'soon' }],
    ['a bad last timestamp', { ...warning, lastTimestamp: 'later' }],
    ['a bad series time', { ...warning, series: { lastObservedTime: 7 } }],
    ['an array body', [warning]],
  ])('refuses %s', (_name, body) => {
    expect(() => parseKubernetesEvent(body)).toThrow(InvalidInputError);
  });
});
