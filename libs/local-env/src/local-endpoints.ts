import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where `npm start` says what it started, so that tools (redis-report) find it without setup. */
export interface LocalEndpoints {
  readonly redisUrl: string;
  readonly keyPrefix: string;
  readonly gatewayUrl: string;
  readonly dedupAddress: string;
  readonly crdWriterAddress: string;
  readonly ratelimitAddress: string;
  readonly stormAddress: string;
  /** The `npm start` process: the file is stale once it is gone. */
  readonly pid: number;
}

export const localEndpointsPath = (root: string): string => join(root, 'var', 'endpoints.json');

export function writeLocalEndpoints(root: string, endpoints: LocalEndpoints): void {
  mkdirSync(join(root, 'var'), { recursive: true });
  writeFileSync(localEndpointsPath(root), `${JSON.stringify(endpoints, null, 2)}\n`);
}

export function removeLocalEndpoints(root: string): void {
  rmSync(localEndpointsPath(root), { force: true });
}

/** What a running `npm start` recorded; undefined when none runs (no file, or its process is gone). */
export function readLocalEndpoints(root: string): LocalEndpoints | undefined {
  let endpoints: LocalEndpoints;
  try {
    endpoints = JSON.parse(readFileSync(localEndpointsPath(root), 'utf8')) as LocalEndpoints;
  } catch {
    return undefined;
  }
  try {
    process.kill(endpoints.pid, 0);
  } catch {
    return undefined;
  }
  return endpoints;
}
