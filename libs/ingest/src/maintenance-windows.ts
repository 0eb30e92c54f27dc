import { readFileSync } from 'node:fs';

import type { Logger } from '@alertgate/logging';
import { firstMatchingSelector, MatcherSyntaxError, parseMatcherSelector, type MatcherSelector } from '@alertgate/signal';
import { Counter, Gauge, type Registry } from 'prom-client';
import { parse } from 'yaml';

import type { IgnoreReason } from './ignored-signals.js';

/** A time-bounded suppression: signals matching the selector are ignored from startsAt until endsAt. */
export interface MaintenanceWindow {
  readonly name: string;
  readonly selector: MatcherSelector;
  readonly startsAtMs: number;
  readonly endsAtMs: number;
  readonly comment: string;
}

/** Why a windows file is refused: the message names the entry and the field. */
export class MaintenanceWindowsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MaintenanceWindowsError';
  }
}

const FIELDS = new Set(['name', 'matchers', 'startsAt', 'endsAt', 'comment']);
const NAME = /^[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function timeField(entry: Record<string, unknown>, field: 'startsAt' | 'endsAt', at: string): number {
  const value = entry[field];
  // YAML reads an unquoted timestamp as a string here (the core schema has no timestamp type).
  if (typeof value !== 'string' || !RFC3339.test(value) || Number.isNaN(Date.parse(value))) {
    throw new MaintenanceWindowsError(`${at}.${field}: must be an RFC 3339 time, e.g. 2026-01-02T15:04:05Z`);
  }
  return Date.parse(value);
}

function parseWindow(entry: unknown, at: string): MaintenanceWindow {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new MaintenanceWindowsError(`${at}: must be a mapping`);
  const fields = entry as Record<string, unknown>;
  const unknown = Object.keys(fields).find((key) => !FIELDS.has(key));
  if (unknown !== undefined) throw new MaintenanceWindowsError(`${at}.${unknown}: is not a field of a window (${[...FIELDS].join(', ')})`);
  const { name, matchers, comment = '' } = fields;
  if (typeof name !== 'string' || !NAME.test(name))
    throw new MaintenanceWindowsError(`${at}.name: must be a name of lower-case letters, digits, '-' and '.', at most 63`);
  if (typeof matchers !== 'string' || matchers.trim() === '')
    throw new MaintenanceWindowsError(`${at}.matchers: must be a selector, e.g. '{namespace="shop"}'`);
  if (typeof comment !== 'string') throw new MaintenanceWindowsError(`${at}.comment: must be a string`);
  let selector: MatcherSelector;
  try {
    selector = parseMatcherSelector(matchers);
  } catch (err) {
    if (err instanceof MatcherSyntaxError) throw new MaintenanceWindowsError(`${at}.matchers: ${err.message}`);
    throw err;
  }
  const startsAtMs = timeField(fields, 'startsAt', at);
  const endsAtMs = timeField(fields, 'endsAt', at);
  if (endsAtMs <= startsAtMs) throw new MaintenanceWindowsError(`${at}.endsAt: must be after startsAt`);
  return { name, selector, startsAtMs, endsAtMs, comment };
}

/**
 * A windows file: YAML (or JSON) of the form
 * `windows: [{ name, matchers, startsAt, endsAt, comment? }]`. Every entry is checked; a file
 * with one bad entry is refused whole, so that a typo never silently opens or closes a window.
 */
export function parseMaintenanceWindows(text: string): MaintenanceWindow[] {
  let document: unknown;
  try {
    document = parse(text);
  } catch (err) {
    throw new MaintenanceWindowsError(`not YAML: ${(err as Error).message.split('\n')[0] ?? ''}`);
  }
  if (document === null || document === undefined) return [];
  if (typeof document !== 'object' || Array.isArray(document)) throw new MaintenanceWindowsError('must be a mapping with a list "windows"');
  const { windows = [], ...other } = document as Record<string, unknown>;
  const stray = Object.keys(other)[0];
  if (stray !== undefined) throw new MaintenanceWindowsError(`${stray}: is not a field of the file (windows)`);
  if (!Array.isArray(windows)) throw new MaintenanceWindowsError('windows: must be a list');
  const parsed = (windows as unknown[]).map((entry, i) => parseWindow(entry, `windows[${i}]`));
  const names = new Set<string>();
  for (const window of parsed) {
    if (names.has(window.name)) throw new MaintenanceWindowsError(`windows: the name "${window.name}" is used twice`);
    names.add(window.name);
  }
  return parsed;
}

export interface MaintenanceScheduleOptions {
  /** The windows file (MAINTENANCE_WINDOWS_FILE), e.g. a ConfigMap mounted in the pod. */
  readonly file: string;
  /** How often the file is read again. */
  readonly reloadIntervalMs: number;
  readonly logger: Logger;
  /** Where its metrics are registered: reloads by outcome, and the windows it holds. */
  readonly registry: Registry;
  readonly now?: () => number;
}

/**
 * The maintenance windows of a file, read again every reload interval: a ConfigMap's update
 * reaches a running gateway without a restart. A file that does not parse at start-up is an
 * error; one that does not parse later is refused and logged, and the windows read last stay.
 */
export class MaintenanceSchedule {
  private windows: readonly MaintenanceWindow[];
  private text: string;
  /** The content last refused (a read failure as its message), so that it is logged once. */
  private refused: string | undefined;
  private readonly now: () => number;
  private readonly reloads: Counter<'outcome'>;

  private constructor(
    private readonly options: MaintenanceScheduleOptions,
    text: string,
  ) {
    this.text = text;
    this.windows = parseMaintenanceWindows(text);
    this.now = options.now ?? Date.now;
    this.reloads = new Counter({
      name: 'alertgate_maintenance_reloads_total',
      help: 'Reloads of the maintenance windows file that found it changed, by outcome (loaded, refused: the windows read last stay).',
      labelNames: ['outcome'],
      registers: [options.registry],
    });
    const windows = (): number => this.windows.length;
    new Gauge({
      name: 'alertgate_maintenance_windows',
      help: 'Maintenance windows held (open, future and past), from MAINTENANCE_WINDOWS_FILE.',
      registers: [options.registry],
      collect() {
        this.set(windows());
      },
    });
  }

  /** Reads the file; throws MaintenanceWindowsError when it cannot be read or does not parse. */
  static load(options: MaintenanceScheduleOptions): MaintenanceSchedule {
    return new MaintenanceSchedule(options, readWindowsFile(options.file));
  }

  get size(): number {
    return this.windows.length;
  }

  /** The window open now that matches these labels, if any. */
  openWindowFor(labels: Readonly<Record<string, string>>): MaintenanceWindow | undefined {
    const now = this.now();
    return this.windows.find((window) => window.startsAtMs <= now && now < window.endsAtMs && firstMatchingSelector([window.selector], labels) !== undefined);
  }

  /** The schedule as an IgnoreReason: in an open window, the signal is ignored, naming it. */
  reason(): IgnoreReason {
    return (signal) => {
      const window = this.openWindowFor(signal.labels);
      return window ? `in the maintenance window "${window.name}" until ${new Date(window.endsAtMs).toISOString()}` : undefined;
    };
  }

  /**
   * Reads the file again now; a changed file that parses replaces the windows. A refused file
   * is logged once, not on every reload while it stays as it is.
   */
  reload(): void {
    let text: string;
    try {
      text = readWindowsFile(this.options.file);
    } catch (err) {
      this.refuse(`\0${(err as Error).message}`, err);
      return;
    }
    if (text === this.text || text === this.refused) return;
    try {
      this.windows = parseMaintenanceWindows(text);
    } catch (err) {
      this.refuse(text, err);
      return;
    }
    this.text = text;
    this.refused = undefined;
    this.options.logger.info({ file: this.options.file, windows: this.windows.length }, 'maintenance windows reloaded');
    this.reloads.inc({ outcome: 'loaded' });
  }

  private refuse(text: string, err: unknown): void {
    if (text === this.refused) return;
    this.refused = text;
    this.options.logger.error({ file: this.options.file, err: (err as Error).message }, 'maintenance windows file refused; the windows read last stay');
    this.reloads.inc({ outcome: 'refused' });
  }

  /** Reloads every interval until the returned function is called. */
  start(): () => void {
    const timer = setInterval(() => this.reload(), this.options.reloadIntervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }
}

function readWindowsFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new MaintenanceWindowsError(`cannot read ${file}: ${(err as Error).message}`);
  }
}
