import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { eventually } from './support/eventually.js';
import { counterValue } from './support/metrics.js';
import { amAlert, amWebhook, warningEvent } from '@alertgate/testing';
import { PipelineFixture } from './support/pipeline-fixture.js';

interface Result {
  outcome: string;
  reason?: string;
}

const HOUR = 3_600_000;
const isoAt = (offsetMs: number): string => new Date(Date.now() + offsetMs).toISOString();
const window = (name: string, matchers: string, startsAt: string, endsAt: string): string =>
  `  - name: ${name}\n    matchers: '${matchers}'\n    startsAt: "${startsAt}"\n    endsAt: "${endsAt}"\n`;

const warning = (namespace: string, pod: string) => warningEvent({ namespace, pod });

/** Replaces a file at once, as the kubelet updates a mounted ConfigMap: a reload never sees it half written. */
function replaceFile(path: string, text: string): void {
  writeFileSync(`${path}.next`, text);
  renameSync(`${path}.next`, path);
}

/**
 * Maintenance windows (MAINTENANCE_WINDOWS_FILE): alerts and Warning events matching an open
 * window are answered `ignored`; the file is read again while the gateway runs, and a bad one is
 * refused. Real processes, real Redis, the file sink.
 */
describe('maintenance windows (real processes, real Redis)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'alertgate-maintenance-'));
  const file = join(dir, 'windows.yaml');
  let fixture: PipelineFixture;

  /** The gateway's count of reloads of the file with this outcome, from its /metrics. */
  const reloads = (outcome: 'loaded' | 'refused'): Promise<number> =>
    counterValue(`${fixture.gatewayUrl}/metrics`, 'alertgate_maintenance_reloads_total', { outcome });
  const outcomes = async (alerts: Record<string, unknown>[]): Promise<string[]> =>
    ((await fixture.postAlerts(amWebhook(alerts))).json['results'] as Result[]).map((result) => result.outcome);

  beforeAll(async () => {
    writeFileSync(
      file,
      `windows:\n${window('shop-upgrade', '{namespace="shop", severity!="critical"}', isoAt(-HOUR), isoAt(HOUR))}${window('last-week', '{alertname="Past"}', isoAt(-200 * HOUR), isoAt(-199 * HOUR))}${window('next-week', '{alertname="Future"}', isoAt(199 * HOUR), isoAt(200 * HOUR))}`,
    );
    fixture = await PipelineFixture.start('maintenance', {
      serviceEnv: { 'ingest-gateway': { MAINTENANCE_WINDOWS_FILE: file, MAINTENANCE_RELOAD_INTERVAL: '200ms' } },
    });
  });
  afterAll(async () => {
    await fixture?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('ignores what an open window matches, alerts and Warning events, and writes nothing for them', async () => {
    const answer = await fixture.postAlerts(
      amWebhook([
        amAlert({ alertname: 'Disk', namespace: 'shop', severity: 'warning', pod: 'a' }),
        amAlert({ alertname: 'Cpu', namespace: 'shop', severity: 'info', pod: 'b' }),
      ]),
    );
    expect(answer.status).toBe(200);
    expect(answer.json['results']).toEqual([
      {
        fingerprint: expect.any(String),
        outcome: 'ignored',
        reason: expect.stringMatching(/^in the maintenance window "shop-upgrade" until \d{4}-\d\d-\d\dT/),
      },
      { fingerprint: expect.any(String), outcome: 'ignored', reason: expect.stringMatching(/^in the maintenance window "shop-upgrade"/) },
    ]);
    const event = await fixture.post('/api/v1/signals/kubernetes-event', warning('shop', 'web-1'));
    expect((event.json['results'] as Result[]).map((result) => result.outcome)).toEqual(['ignored']);
    expect(await fixture.redis.keys()).toEqual([]);
    expect(fixture.resources()).toEqual([]);
  });

  it('writes what no open window matches: another namespace, a critical alert, a past or future window', async () => {
    expect(
      await outcomes([
        amAlert({ alertname: 'Disk', namespace: 'bank', severity: 'warning', pod: 'c' }),
        amAlert({ alertname: 'Disk', namespace: 'shop', severity: 'critical', pod: 'd' }),
        amAlert({ alertname: 'Past', namespace: 'bank', pod: 'e' }),
        amAlert({ alertname: 'Future', namespace: 'bank', pod: 'f' }),
      ]),
    ).toEqual(['created', 'created', 'created', 'created']);
  });

  it('takes a changed file while running, and keeps the windows read last when the file turns bad', async () => {
    replaceFile(file, `windows:\n${window('bank-move', '{namespace="bank"}', isoAt(-HOUR), isoAt(HOUR))}`);
    await eventually('the changed file is loaded', async () => ((await reloads('loaded')) >= 1 ? true : undefined));
    expect(
      await outcomes([
        amAlert({ alertname: 'Disk', namespace: 'shop', severity: 'warning', pod: 'g' }),
        amAlert({ alertname: 'Disk', namespace: 'bank', severity: 'warning', pod: 'h' }),
      ]),
    ).toEqual(['created', 'ignored']);

    replaceFile(file, `windows:\n${window('bank-move', '{namespace="bank"}', isoAt(-HOUR), isoAt(-2 * HOUR))}`);
    await eventually('the bad file is refused', async () => ((await reloads('refused')) >= 1 ? true : undefined));
    expect(await outcomes([amAlert({ alertname: 'Disk', namespace: 'bank', severity: 'warning', pod: 'i' })])).toEqual(['ignored']);
    expect(await reloads('loaded')).toBe(1);
  });

  it('a file that does not parse stops the gateway at start-up, naming MAINTENANCE_WINDOWS_FILE', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, `windows:\n${window('typo', '{namespace~"shop"}', isoAt(-HOUR), isoAt(HOUR))}`);
    await expect(PipelineFixture.start('maintenancebad', { serviceEnv: { 'ingest-gateway': { MAINTENANCE_WINDOWS_FILE: bad } } })).rejects.toThrow(
      /ingest-gateway exited with [1-9][0-9]* before listening[\s\S]*MAINTENANCE_WINDOWS_FILE/,
    );
  });
});
