import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { testSignal } from '@alertgate/testing';

import { FileSink } from './file-sink.js';
import { buildRemediationRequest } from './remediation-request.js';

/** What alert data may carry to try to escape a name, a path, a label or an annotation. */
const HOSTILE = [
  ['a relative path', '../../etc/passwd'],
  ['a dot path', '..'],
  ['a NUL byte', 'db\u0000-0'],
  ['a newline', 'db-0\nkind: Secret'],
  ['10,000 characters', 'x'.repeat(10_000)],
  ['a Cyrillic look-alike', 'kubе-system'],
  ['full-width letters', 'ＫｕｂｅＰｏｄ'],
  ['a right-to-left override', 'pod\u202egnp.exe'],
  ['a YAML document marker', '---\napiVersion: v1'],
] as const;

const DNS_LABEL_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

describe('values from alert data never reach a name, a path, a label or an annotation unchecked', () => {
  it.each(HOSTILE)('%s in the alertname, severity and target', (_what, value) => {
    const signal = testSignal({
      alertname: value,
      severity: value,
      namespace: 'shop',
      labels: { alertname: value, pod: value },
      target: { kind: 'pod', name: value },
    });
    const object = buildRemediationRequest({ signal, incidentId: 'abcdef012345-1', firstSeenMs: 0, lastSeenMs: 0, occurrences: 1 }, 'shop');
    expect(object.metadata.name).toMatch(DNS_LABEL_NAME);
    expect(object.metadata.name.length).toBeLessThanOrEqual(63);
    for (const [key, label] of Object.entries(object.metadata.labels)) {
      expect([key, label]).toEqual([key, expect.stringMatching(LABEL_VALUE)]);
      expect(label.length).toBeLessThanOrEqual(63);
    }
    // Only alertgate's own annotations on the object; the alert's own stay in its spec.
    expect(Object.keys(object.metadata.annotations)).toEqual([]);
  });

  it.each(HOSTILE)("%s in the alertname leaves the file sink's files inside its root, one per incident", async (_what, value) => {
    const root = mkdtempSync(join(tmpdir(), 'alertgate-hostile-'));
    const sink = new FileSink({ root, flapHoldMs: 0, eventQuietMs: 0 });
    const signal = testSignal({ alertname: value, namespace: 'shop', labels: { alertname: value } });
    const opened = await sink.open({ signal, incidentId: 'abcdef012345-1', firstSeenMs: 1, lastSeenMs: 1, occurrences: 1 });
    expect(readdirSync(root)).toEqual(['shop']);
    expect(readdirSync(join(root, 'shop'))).toEqual([`${opened.ref?.name ?? ''}.yaml`]);
    expect(opened.ref?.name).toMatch(DNS_LABEL_NAME);
  });

  it('refuses a namespace that is not one before it becomes a directory', async () => {
    const root = mkdtempSync(join(tmpdir(), 'alertgate-hostile-'));
    const sink = new FileSink({ root, flapHoldMs: 0, eventQuietMs: 0 });
    for (const namespace of ['../../etc', 'shop\u0000', 'kubе-system', '.']) {
      await expect(
        sink.open({ signal: testSignal({ namespace }), incidentId: 'abcdef012345-1', firstSeenMs: 1, lastSeenMs: 1, occurrences: 1 }),
      ).rejects.toThrow(/is not a valid Kubernetes namespace/);
    }
    expect(readdirSync(root)).toEqual([]);
  });
});
