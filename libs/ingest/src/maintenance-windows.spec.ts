import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createLogger } from '@alertgate/logging';
import { testSignal } from '@alertgate/testing';
import { Registry } from 'prom-client';

import { MaintenanceSchedule, MaintenanceWindowsError, parseMaintenanceWindows } from './maintenance-windows.js';

const WINDOW = `windows:
  - name: shop-upgrade
    matchers: '{namespace="shop", severity!="critical"}'
    startsAt: "2026-12-05T00:00:00Z"
    endsAt: "2026-12-05T04:00:00Z"
    comment: database upgrade
`;

describe('parseMaintenanceWindows', () => {
  it('reads windows with their selector and times', () => {
    const [window] = parseMaintenanceWindows(WINDOW);
    expect(window).toMatchObject({
      name: 'shop-upgrade',
      startsAtMs: Date.parse('2026-12-05T00:00:00Z'),
      endsAtMs: Date.parse('2026-12-05T04:00:00Z'),
      comment: 'database upgrade',
    });
    expect(window?.selector.matchers.map((m) => `${m.name}${m.operator}${m.value}`)).toEqual(['namespace=shop', 'severity!=critical']);
  });

  it('reads an empty file, and one without windows, as no windows', () => {
    expect(parseMaintenanceWindows('')).toEqual([]);
    expect(parseMaintenanceWindows('windows: []')).toEqual([]);
  });

  it.each([
    ['a bad selector', WINDOW.replace('{namespace="shop", severity!="critical"}', '{namespace~"shop"}'), /^windows\[0\]\.matchers: /],
    ['an end before the start', WINDOW.replace('04:00:00Z', '00:00:00Z'), /^windows\[0\]\.endsAt: must be after startsAt$/],
    ['a time that is not RFC 3339', WINDOW.replace('"2026-12-05T00:00:00Z"', 'tomorrow'), /^windows\[0\]\.startsAt: must be an RFC 3339 time/],
    ['an unknown field (a typo)', WINDOW.replace('endsAt', 'endAt'), /^windows\[0\]\.endAt: is not a field of a window/],
    ['a missing name', WINDOW.replace('name: shop-upgrade', 'name: ""'), /^windows\[0\]\.name: /],
    ['a name used twice', `${WINDOW}${WINDOW.replace('windows:\n', '')}`, /the name "shop-upgrade" is used twice/],
    ['a list at the top', '- name: x', /must be a mapping with a list "windows"/],
    ['an unknown top-level field', 'window: []', /^window: is not a field of the file/],
    ['not YAML', 'windows: [', /^not YAML/],
  ])('refuses %s, naming the entry and field', (_name, text, message) => {
    expect(() => parseMaintenanceWindows(text)).toThrow(MaintenanceWindowsError);
    expect(() => parseMaintenanceWindows(text)).toThrow(message);
  });
});

describe('MaintenanceSchedule', () => {
  const dir = mkdtempSync(join(tmpdir(), 'alertgate-mw-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const logger = createLogger({ service: 'test', level: 'silent' });

  it('ignores matching signals while a window is open only, and takes a changed file on reload', async () => {
    const file = join(dir, 'open.yaml');
    writeFileSync(file, WINDOW);
    let now = Date.parse('2026-12-04T23:59:59Z');
    const registry = new Registry();
    const schedule = MaintenanceSchedule.load({ file, reloadIntervalMs: 1_000, logger, registry, now: () => now });
    const reason = (labels: Record<string, string>) => schedule.reason()(testSignal({ labels }));
    expect(reason({ namespace: 'shop', severity: 'warning' })).toBeUndefined();
    now = Date.parse('2026-12-05T00:00:00Z');
    expect(reason({ namespace: 'shop', severity: 'warning' })).toBe('in the maintenance window "shop-upgrade" until 2026-12-05T04:00:00.000Z');
    expect(reason({ namespace: 'shop', severity: 'critical' })).toBeUndefined();
    expect(reason({ namespace: 'bank', severity: 'warning' })).toBeUndefined();
    now = Date.parse('2026-12-05T04:00:00Z');
    expect(reason({ namespace: 'shop', severity: 'warning' })).toBeUndefined();

    writeFileSync(file, WINDOW.replace('04:00:00Z', '05:00:00Z'));
    schedule.reload();
    expect(reason({ namespace: 'shop', severity: 'warning' })).toBe('in the maintenance window "shop-upgrade" until 2026-12-05T05:00:00.000Z');
    expect(await registry.getSingleMetricAsString('alertgate_maintenance_reloads_total')).toContain('alertgate_maintenance_reloads_total{outcome="loaded"} 1');
  });

  it('keeps the windows read last when the file turns bad or goes away, counting each refusal once', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, WINDOW);
    const registry = new Registry();
    const schedule = MaintenanceSchedule.load({ file, reloadIntervalMs: 1_000, logger, registry, now: () => Date.parse('2026-12-05T01:00:00Z') });
    writeFileSync(file, 'windows: [');
    schedule.reload();
    schedule.reload();
    rmSync(file);
    schedule.reload();
    expect(schedule.reason()(testSignal({ labels: { namespace: 'shop' } }))).toMatch(/^in the maintenance window "shop-upgrade"/);
    expect(await registry.getSingleMetricAsString('alertgate_maintenance_reloads_total')).toContain('alertgate_maintenance_reloads_total{outcome="refused"} 2');
    expect(await registry.getSingleMetricAsString('alertgate_maintenance_windows')).toContain('alertgate_maintenance_windows 1');
  });

  it('refuses a bad file at load', () => {
    const file = join(dir, 'start.yaml');
    writeFileSync(file, WINDOW.replace('endsAt', 'endAt'));
    expect(() => MaintenanceSchedule.load({ file, reloadIntervalMs: 1_000, logger, registry: new Registry() })).toThrow(MaintenanceWindowsError);
    expect(() => MaintenanceSchedule.load({ file: join(dir, 'missing.yaml'), reloadIntervalMs: 1_000, logger, registry: new Registry() })).toThrow(
      /cannot read/,
    );
  });
});
