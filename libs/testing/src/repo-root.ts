import { join } from 'node:path';

/** The workspace root (set by the global setup; derived from this file otherwise). */
export function repoRoot(): string {
  return process.env['ALERTGATE_ROOT'] ?? join(__dirname, '..', '..', '..');
}
