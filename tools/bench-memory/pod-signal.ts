import { createHash } from 'node:crypto';

import { Source, Status, type Signal } from '@alertgate/proto';

/** A firing alert of one pod, its fingerprint from the three names: the memory benchmarks' unit. */
export const podSignal = (namespace: string, alertname: string, pod: string): Signal => ({
  fingerprint: createHash('sha256').update(`${namespace}/${alertname}/${pod}`).digest('hex'),
  alertname,
  severity: 'warning',
  namespace,
  target: { kind: 'pod', name: pod },
  cluster: '',
  status: Status.STATUS_FIRING,
  source: Source.SOURCE_ALERTMANAGER,
  labels: {},
  annotations: {},
});
