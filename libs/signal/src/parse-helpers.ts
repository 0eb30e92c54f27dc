import type { InputProblem } from './input-problem.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;
/** Go's zero time, which Alertmanager sends for an unset endsAt. */
const ZERO_TIME = /^0001-01-01T00:00:00(\.0+)?Z$/;

export class ProblemList {
  readonly items: InputProblem[] = [];
  add(pointer: string, detail: string): void {
    // A flood of problems helps nobody; the first 20 locate the fault.
    if (this.items.length < 20) this.items.push({ pointer, detail });
  }
  get empty(): boolean {
    return this.items.length === 0;
  }
}

/**
 * An RFC 3339 timestamp in ms; undefined when absent, null or Go's zero time; NaN (with a
 * problem recorded) when present but invalid.
 */
export function readTime(value: Json | undefined, pointer: string, problems: ProblemList): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' || !RFC3339.test(value)) {
    problems.add(pointer, 'must be an RFC 3339 timestamp, e.g. 2026-01-02T15:04:05Z');
    return Number.NaN;
  }
  if (ZERO_TIME.test(value)) return undefined;
  const ms = Date.parse(value.replace(' ', 'T'));
  if (Number.isNaN(ms)) {
    problems.add(pointer, 'is not a valid date');
    return Number.NaN;
  }
  return ms;
}

export function byteLength(value: string): number {
  return Buffer.byteLength(value, 'utf8');
}

/** byteLength(value) <= max, without encoding when it cannot be more: a UTF-16 unit is at most 3 UTF-8 bytes. */
export function fitsBytes(value: string, max: number): boolean {
  return value.length * 3 <= max || byteLength(value) <= max;
}

/** Reads a map of strings with count and size limits. */
export function readStringMap(
  value: Json | undefined,
  pointer: string,
  problems: ProblemList,
  limits: { maxEntries: number; maxNameBytes: number; maxValueBytes: number; required: boolean },
): Record<string, string> {
  if (value === undefined || value === null) {
    if (limits.required) problems.add(pointer, 'is required');
    return {};
  }
  if (!isObject(value)) {
    problems.add(pointer, 'must be an object of string values');
    return {};
  }
  const entries = Object.entries(value);
  if (entries.length > limits.maxEntries) {
    problems.add(pointer, `has ${entries.length} entries; at most ${limits.maxEntries} are accepted`);
    return {};
  }
  const out: Record<string, string> = {};
  // The JSON pointer of an entry is only built for a problem: this loop runs for every label of
  // every alert (the gateway's hot path, BENCHMARKS.md).
  const at = (name: string): string => `${pointer}/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`;
  for (const [name, entry] of entries) {
    if (name === '' || !fitsBytes(name, limits.maxNameBytes)) {
      problems.add(at(name), `name must be 1 to ${limits.maxNameBytes} bytes`);
      continue;
    }
    if (typeof entry !== 'string') {
      problems.add(at(name), 'must be a string');
      continue;
    }
    if (!fitsBytes(entry, limits.maxValueBytes)) {
      problems.add(at(name), `is ${byteLength(entry)} bytes; at most ${limits.maxValueBytes} are accepted`);
      continue;
    }
    out[name] = entry;
  }
  return out;
}

export function optionalString(value: Json | undefined, pointer: string, problems: ProblemList, maxBytes = 4096): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') {
    problems.add(pointer, 'must be a string');
    return '';
  }
  if (!fitsBytes(value, maxBytes)) {
    problems.add(pointer, `is longer than ${maxBytes} bytes`);
    return '';
  }
  return value;
}
