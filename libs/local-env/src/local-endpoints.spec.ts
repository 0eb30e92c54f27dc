import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { localEndpointsPath, readLocalEndpoints, removeLocalEndpoints, writeLocalEndpoints, type LocalEndpoints } from './local-endpoints.js';

const endpoints = (pid: number): LocalEndpoints => ({
  redisUrl: 'redis://127.0.0.1:40001',
  keyPrefix: 'ag:',
  gatewayUrl: 'http://127.0.0.1:8080',
  dedupAddress: '127.0.0.1:50051',
  crdWriterAddress: '127.0.0.1:50054',
  ratelimitAddress: '127.0.0.1:50053',
  stormAddress: '127.0.0.1:50052',
  pid,
});

describe('local endpoints (what npm start records for tools)', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(join(tmpdir(), 'alertgate-endpoints-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('reads back what a running npm start wrote, and nothing once it is removed', () => {
    expect(readLocalEndpoints(root)).toBeUndefined();
    writeLocalEndpoints(root, endpoints(process.pid));
    expect(readLocalEndpoints(root)).toEqual(endpoints(process.pid));
    removeLocalEndpoints(root);
    expect(readLocalEndpoints(root)).toBeUndefined();
  });

  it('ignores a file left by an npm start that is gone, and an unreadable one', () => {
    // The highest pid Linux allows is 2^22: this one cannot be running.
    writeLocalEndpoints(root, endpoints(2 ** 22 + 1));
    expect(readLocalEndpoints(root)).toBeUndefined();
    writeFileSync(localEndpointsPath(root), '{not json');
    expect(readLocalEndpoints(root)).toBeUndefined();
  });
});
