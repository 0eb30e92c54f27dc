import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { AlertgateError } from '@alertgate/errors';
import { Source, type Signal } from '@alertgate/proto';
import { testSignal, testStorm } from '@alertgate/testing';
import { parse } from 'yaml';

import { FileSink } from './file-sink.js';

const fingerprint = createHash('sha256').update('file-sink').digest('hex');
const signal: Signal = testSignal({
  fingerprint,
  alertname: 'DiskFull',
  severity: 'critical',
  namespace: 'data',
  target: { kind: 'statefulset', name: 'db' },
  labels: { alertname: 'DiskFull' },
});
const incident = (occurrences: number, lastSeenMs: number) => ({
  signal,
  incidentId: `${fingerprint.slice(0, 12)}-abc`,
  firstSeenMs: 1_000,
  lastSeenMs,
  occurrences,
});

describe('FileSink', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'file-sink-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  // A trimmed repeat (the gateway leaves labels and annotations out) cannot become a resource.
  it('asks for the whole signal instead of creating from a trimmed one, and updates with it', async () => {
    const sink = new FileSink({ root, flapHoldMs: 0, eventQuietMs: 0 });
    const trimmed = await sink.open(incident(2, 2_000), { mayCreate: false });
    expect(trimmed).toMatchObject({ created: false, signalRequired: true });
    expect(() => readdirSync(join(root, 'data'))).toThrow();
    await sink.open(incident(1, 1_000));
    const repeat = await sink.open(incident(3, 3_000), { mayCreate: false });
    expect(repeat).toMatchObject({ created: false });
    expect(repeat.signalRequired).toBeUndefined();
  });

  it('creates once, merges status on repeats, resolves by id and by fingerprint', async () => {
    const sink = new FileSink({ root, flapHoldMs: 0, eventQuietMs: 0 });
    const first = await sink.open(incident(1, 1_000));
    expect(first.created).toBe(true);
    const again = await Promise.all([sink.open(incident(3, 3_000)), sink.open(incident(2, 2_000))]);
    expect(again.map((r) => r.created)).toEqual([false, false]);
    expect(readdirSync(join(root, 'data'))).toEqual([`${first.ref.name}.yaml`]);

    const byFingerprint = await sink.resolve({ signal, incidentId: '', resolvedAtMs: 5_000, occurrences: 0, lastSeenMs: undefined });
    expect(byFingerprint.ref).toEqual(first.ref);
    const none = await sink.resolve({ signal, incidentId: '', resolvedAtMs: 6_000, occurrences: 0, lastSeenMs: undefined });
    expect(none.ref).toBeUndefined();
  });

  it('reopens a resource resolved within the flap hold time, for a new incident of its fingerprint, and counts it', async () => {
    const sink = new FileSink({ root, flapHoldMs: 60_000, eventQuietMs: 0 });
    const first = await sink.open(incident(2, 2_000));
    await sink.resolve({ signal, incidentId: incident(2, 2_000).incidentId, resolvedAtMs: Date.now(), occurrences: 2, lastSeenMs: 2_000 });
    // dedup forgot the resolved incident: the firing is a new one, under a new id.
    const again = await sink.open({ ...incident(1, Date.now()), incidentId: `${fingerprint.slice(0, 12)}-def` });
    expect(again).toEqual({ created: false, ref: first.ref, reopened: true, adopted: { incidentId: incident(1, 1).incidentId, occurrences: 3 } });
    const stored = parse(readFileSync(join(root, 'data', `${first.ref.name}.yaml`), 'utf8')) as { status: Record<string, unknown> };
    expect(stored.status).toMatchObject({ alertState: 'Firing', reopenCount: 1, occurrences: 3 });
    expect(stored.status['resolvedAt']).toBeUndefined();
    expect(readdirSync(join(root, 'data'))).toHaveLength(1);
  });

  it('opens a new resource after the flap hold time, and with flap damping off', async () => {
    for (const flapHoldMs of [1, 0]) {
      const dir = mkdtempSync(join(tmpdir(), 'file-sink-hold-'));
      const sink = new FileSink({ root: dir, flapHoldMs, eventQuietMs: 0 });
      await sink.open(incident(1, 1_000));
      await sink.resolve({ signal, incidentId: incident(1, 1).incidentId, resolvedAtMs: Date.now() - 1_000, occurrences: 1, lastSeenMs: 1_000 });
      const again = await sink.open({ ...incident(1, Date.now()), incidentId: `${fingerprint.slice(0, 12)}-def` });
      expect({ flapHoldMs, created: again.created, reopened: again.reopened }).toEqual({ flapHoldMs, created: true, reopened: undefined });
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('resolves the Warning event incidents it opened once quiet, and no alert', async () => {
    const sink = new FileSink({ root, flapHoldMs: 0, eventQuietMs: 60_000 });
    const event = { ...incident(1, 10_000), signal: { ...signal, source: Source.SOURCE_KUBERNETES_EVENT } };
    const opened = await sink.open(event);
    await sink.open({ ...incident(1, 10_000), incidentId: `${fingerprint.slice(0, 12)}-alert` });
    expect(await sink.closeQuietEvents(69_999)).toBe(0);
    expect(await sink.closeQuietEvents(70_000)).toBe(1);
    expect(await sink.closeQuietEvents(80_000)).toBe(0);
    const stored = parse(readFileSync(join(root, 'data', `${opened.ref.name}.yaml`), 'utf8')) as { status: Record<string, unknown> };
    expect(stored.status).toMatchObject({ alertState: 'Resolved', closedReason: 'EventsQuiet', resolvedAt: '1970-01-01T00:01:10.000Z' });
  });

  it('refuses names that are not Kubernetes names (no path can escape the root)', async () => {
    const sink = new FileSink({ root, flapHoldMs: 0, eventQuietMs: 0 });
    await expect(sink.open({ ...incident(1, 1), signal: { ...signal, namespace: '../etc' } })).rejects.toBeInstanceOf(AlertgateError);
  });

  it('resolves a storm aggregate once its storm is over, not before, and only once', async () => {
    const sink = new FileSink({ root, flapHoldMs: 0, eventQuietMs: 0 });
    const storm = (endsAtMs: number) => ({ signal, storm: testStorm(endsAtMs, 'data') });
    await sink.fold(storm(10_000));
    await sink.fold(storm(20_000)); // a later alert moved the end on
    expect(await sink.endStorms(15_000)).toBe(0);
    expect(await sink.endStorms(20_500)).toBe(0); // within the margin
    expect(await sink.endStorms(22_000)).toBe(1);
    expect(await sink.endStorms(30_000)).toBe(0);
    const aggregate = parse(readFileSync(join(root, 'data', 'storm-diskfull-e.yaml'), 'utf8')) as { status?: Record<string, unknown> };
    const end = new Date(20_000).toISOString();
    expect(aggregate?.status).toMatchObject({ resolvedAt: end, alertState: 'Resolved', storm: { endsAt: end, endedAt: end } });
  });
});
