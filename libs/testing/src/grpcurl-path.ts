import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** grpcurl is built from the Go module proxy by tools/scripts/ensure-deps.sh (npm test runs it). */
export function grpcurlPath(): string {
  const path = process.env['ALERTGATE_GRPCURL'] ?? join(process.env['HOME'] ?? '', '.cache', 'alertgate', 'bin', 'grpcurl');
  if (!existsSync(path)) throw new Error(`grpcurl not found at ${path}: run bash tools/scripts/ensure-deps.sh`);
  return path;
}
