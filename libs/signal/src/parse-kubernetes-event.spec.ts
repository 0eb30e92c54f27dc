import { Source, Status } from '@alertgate/proto';

import { InvalidInputError } from './input-problem.js';
import { parseKubernetesEvent } from './parse-kubernetes-event.js';

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
    const result = parseKubernetesEvent({ ...rest, regarding: involvedObject, note: message, firstTimestamp: undefined, eventTime: '2026-11-01T10:00:00.000000Z' });
    expect(result.kind).toBe('signal');
  });

  it.each([
    ['an unknown type', { ...warning, type: 'Error' }],
    ['no involved object', { ...warning, involvedObject: undefined }],
    ['no reason', { ...warning, reason: '' }],
    ['a bad timestamp', { ...warning, firstTimestamp: 'soon' }],
    ['an array body', [warning]],
  ])('refuses %s', (_name, body) => {
    expect(() => parseKubernetesEvent(body)).toThrow(InvalidInputError);
  });
});
