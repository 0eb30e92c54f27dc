import { createHash } from 'node:crypto';

import { Source, Status, type Signal } from '@alertgate/proto';

/** A firing Alertmanager signal with empty defaults; a test names only the fields it is about. */
export function testSignal(fields: Partial<Signal> = {}): Signal {
  return {
    fingerprint: 'f'.repeat(64),
    alertname: 'A',
    severity: '',
    namespace: 'n',
    cluster: '',
    status: Status.STATUS_FIRING,
    source: Source.SOURCE_ALERTMANAGER,
    labels: {},
    annotations: {},
    pod: '',
    ...fields,
  };
}

/**
 * A firing warning about one pod, its fingerprint from the three names: the memory benchmarks'
 * unit. Its labels stay empty: storm keys and members come from the signal's own fields.
 */
export function podSignal(namespace: string, alertname: string, pod: string): Signal {
  return testSignal({
    fingerprint: createHash('sha256').update(`${namespace}/${alertname}/${pod}`).digest('hex'),
    alertname,
    severity: 'warning',
    namespace,
    target: { kind: 'pod', name: pod },
  });
}
