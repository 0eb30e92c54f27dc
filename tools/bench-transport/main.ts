/**
 * npm run bench:transport [-- --calls 200 --gap 50 --hashes 300000]
 *
 * What one hop between two processes costs on this machine, below the pipeline (BENCHMARKS.md,
 * "where the targets stand"): round trips from this process to a server process of its own,
 * one after another, back to back and with --gap ms between calls (the servers idle in between),
 * then 8 at a time (the server's CPU per call when calls share its wake-ups),
 * a bare Fastify JSON endpoint under 16 connections (the floor of the gateway's HTTP side),
 * over
 *   - a raw TCP ping-pong (the floor),
 *   - Node's http2 with a gRPC-shaped exchange (what a leaner gRPC transport could reach),
 *   - grpc-js: grpc.health.v1/Check on the services' own GrpcServerHost, through HealthClient;
 * and the cost of one SHA-256 of a fingerprint-sized input with createHash and with the one-shot
 * crypto.hash. Prints p50/p90 in ms and the server process' CPU per call (ns for hashes). Not
 * part of npm test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, hash } from 'node:crypto';
import { connect as connectHttp2, createServer as createHttp2Server, type ClientHttp2Session } from 'node:http2';
import { connect as connectTcp, createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { createInterface } from 'node:readline';

import { errorStack } from '@alertgate/errors';
import { GrpcSecurity, GrpcServerHost, HealthClient } from '@alertgate/grpc-kit';
import Fastify from 'fastify';
import { Agent, request } from 'undici';
import { createLogger } from '@alertgate/logging';

import { processCpuSeconds } from '../bench/process-cpu.js';

/**
 * tcp, http2 and grpc as above; grpc-server is an http2 client calling the grpc-js server,
 * grpc-client is the grpc-js client calling the http2 server: which side of grpc-js costs.
 */
type Kind = 'tcp' | 'http2' | 'grpc-server' | 'grpc-client' | 'grpc';
const KINDS: readonly Kind[] = ['tcp', 'http2', 'grpc-server', 'grpc-client', 'grpc'];
const serverOf = (kind: Kind): 'tcp' | 'http2' | 'grpc' => (kind === 'grpc-client' ? 'http2' : kind === 'grpc-server' ? 'grpc' : kind);
const clientOf = (kind: Kind): 'tcp' | 'http2' | 'grpc' => (kind === 'grpc-client' ? 'grpc' : kind === 'grpc-server' ? 'http2' : kind);
const out = (line: string): void => void process.stdout.write(`${line}\n`);
function arg(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index < 0 ? fallback : Number(process.argv[index + 1]);
}

/** A gRPC message frame: uncompressed, 4-byte length, then the message (here empty). */
const EMPTY_FRAME = Buffer.from([0, 0, 0, 0, 0]);
/** A HealthCheckResponse{status: SERVING} frame, so the grpc-js client is answered as by a server. */
const SERVING_FRAME = Buffer.from([0, 0, 0, 0, 2, 0x08, 0x01]);

/** Server side: listens on a free loopback port and prints it. */
async function serve(kind: 'tcp' | 'http2' | 'grpc'): Promise<void> {
  let port: number;
  if (kind === 'tcp') {
    const server = createTcpServer((socket) => {
      socket.setNoDelay(true);
      socket.on('data', (data) => socket.write(data));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  } else if (kind === 'http2') {
    const server = createHttp2Server();
    server.on('stream', (stream) => {
      stream.on('data', () => undefined);
      stream.on('end', () => {
        stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
        stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
        stream.end(SERVING_FRAME);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  } else {
    const host = new GrpcServerHost({
      host: '127.0.0.1',
      port: 0,
      logger: createLogger({ service: 'bench-transport', level: 'warn' }),
      shutdownGraceMs: 100,
      maxConnectionAgeMs: 300_000,
      security: GrpcSecurity.plaintext(),
    });
    port = await host.start();
    host.setServing(true);
  }
  out(`PORT ${port}`);
}

/** One round trip of each kind, as a function resolving when the answer is in. */
async function client(kind: 'tcp' | 'http2' | 'grpc', port: number): Promise<{ call: () => Promise<void>; close: () => void }> {
  if (kind === 'tcp') {
    const socket: Socket = connectTcp(port, '127.0.0.1');
    socket.setNoDelay(true);
    await new Promise((resolve) => socket.once('connect', resolve));
    return {
      call: () =>
        new Promise((resolve) => {
          socket.once('data', () => resolve());
          socket.write('x');
        }),
      close: () => socket.destroy(),
    };
  }
  if (kind === 'http2') {
    const session: ClientHttp2Session = connectHttp2(`http://127.0.0.1:${port}`);
    return {
      call: () =>
        new Promise((resolve) => {
          const request = session.request({ ':method': 'POST', ':path': '/grpc.health.v1.Health/Check', 'content-type': 'application/grpc', te: 'trailers' });
          request.on('data', () => undefined);
          request.on('close', () => resolve());
          request.end(EMPTY_FRAME);
        }),
      close: () => session.close(),
    };
  }
  const health = new HealthClient(`127.0.0.1:${port}`);
  return {
    call: async () => {
      if ((await health.check(1_000)) !== 'SERVING') throw new Error('health check did not answer SERVING');
    },
    close: () => health.close(),
  };
}

const quantile = (sorted: readonly number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;

/** This script again as a server process (`serve …`), and the port it printed. */
async function spawnServer(args: readonly string[]): Promise<{ server: ChildProcess; port: number }> {
  const server = spawn(process.execPath, [process.argv[1] ?? '', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      createInterface({ input: server.stdout }).on('line', (line) => {
        const match = /^PORT (\d+)$/.exec(line);
        if (match) resolve(Number(match[1]));
      });
      server.once('exit', (code) => reject(new Error(`${args.join(' ')} server exited with ${String(code)}`)));
    });
    return { server, port };
  } catch (err) {
    server.kill();
    throw err;
  }
}

async function measure(kind: Kind, calls: number, gapMs: number): Promise<void> {
  const { server, port } = await spawnServer(['serve', serverOf(kind)]);
  try {
    const { call, close } = await client(clientOf(kind), port);
    await call(); // connection and first-call set-up are not what is measured
    for (const gap of [0, gapMs]) {
      const times: number[] = [];
      const cpuBefore = processCpuSeconds(server.pid);
      for (let i = 0; i < calls; i++) {
        const started = process.hrtime.bigint();
        await call();
        times.push(Number(process.hrtime.bigint() - started) / 1e6);
        if (gap > 0) await new Promise((resolve) => setTimeout(resolve, gap));
      }
      const cpuPerCall = ((processCpuSeconds(server.pid) - cpuBefore) * 1000) / calls;
      times.sort((a, b) => a - b);
      out(
        `${kind.padEnd(11)} gap ${String(gap).padStart(3)} ms: p50 ${quantile(times, 0.5).toFixed(3)} ms  p90 ${quantile(times, 0.9).toFixed(3)} ms  server CPU ${cpuPerCall.toFixed(3)} ms/call  (${calls} calls)`,
      );
    }
    // The same calls 8 at a time: how much of a call's CPU is its own, how much a wake-up's.
    const cpuBefore = processCpuSeconds(server.pid);
    const started = process.hrtime.bigint();
    const perWorker = Math.ceil((calls * 4) / 8);
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = 0; i < perWorker; i++) await call();
      }),
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    out(
      `${kind.padEnd(11)} 8 in parallel: ${((perWorker * 8) / seconds).toFixed(0)} calls/s  server CPU ${(((processCpuSeconds(server.pid) - cpuBefore) * 1000) / (perWorker * 8)).toFixed(3)} ms/call`,
    );
    close();
  } finally {
    server.kill();
  }
}

/** A bare Fastify endpoint that parses a JSON webhook and answers a small JSON: the HTTP floor. */
async function serveHttp(): Promise<void> {
  const app = Fastify();
  app.post('/webhook', (request) => Promise.resolve({ results: [{ outcome: 'duplicate', alerts: (request.body as { alerts: unknown[] }).alerts.length }] }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  out(`PORT ${(app.server.address() as AddressInfo).port}`);
}

/**
 * The floor of the gateway's HTTP side: a single-alert webhook to a bare Fastify server process,
 * 16 keep-alive connections as in the benchmark's (b), for some seconds; requests/s and the
 * server's CPU per request.
 */
async function measureHttpFloor(seconds: number): Promise<void> {
  const { server, port } = await spawnServer(['serve-http']);
  try {
    const body = JSON.stringify({
      version: '4',
      status: 'firing',
      receiver: 'alertgate',
      alerts: [
        {
          status: 'firing',
          labels: { alertname: 'KubePodNotReady', namespace: 'team-1', pod: 'hot-1' },
          annotations: { summary: 'x' },
          startsAt: '2026-11-26T00:00:00Z',
          endsAt: '0001-01-01T00:00:00Z',
          fingerprint: '0123456789abcdef',
        },
      ],
    });
    const agent = new Agent({ connections: 16, pipelining: 1 });
    const url = `http://127.0.0.1:${port}/webhook`;
    const send = async (): Promise<void> => {
      const response = await request(url, { method: 'POST', dispatcher: agent, headers: { 'content-type': 'application/json' }, body });
      await response.body.text();
    };
    for (let i = 0; i < 500; i++) await send(); // warm-up
    const cpuBefore = processCpuSeconds(server.pid);
    const end = Date.now() + seconds * 1000;
    let sent = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (Date.now() < end) {
          await send();
          sent += 1;
        }
      }),
    );
    out(
      `fastify JSON endpoint, 16 connections: ${(sent / seconds).toFixed(0)} requests/s  server CPU ${(((processCpuSeconds(server.pid) - cpuBefore) * 1000) / sent).toFixed(3)} ms/request`,
    );
    await agent.close();
  } finally {
    server.kill();
  }
}

function measureHashes(count: number): void {
  // Shaped like a fingerprint's input: alertname, namespace, target, cluster.
  const input = 'KubePodNotReady\nteam-1\npod/hot-1234\n';
  const time = (fn: () => void): number => {
    const started = process.hrtime.bigint();
    for (let i = 0; i < count; i++) fn();
    return Number(process.hrtime.bigint() - started) / count;
  };
  time(() => hash('sha256', input, 'hex')); // warm-up
  const oneShot = time(() => hash('sha256', input, 'hex'));
  const incremental = time(() => createHash('sha256').update(input).digest('hex'));
  out(`sha256 of ${input.length} bytes: createHash ${incremental.toFixed(0)} ns, crypto.hash ${oneShot.toFixed(0)} ns (${count} each)`);
}

async function main(): Promise<void> {
  if (process.argv[2] === 'serve-http') {
    await serveHttp();
    return;
  }
  if (process.argv[2] === 'serve') {
    const kind = process.argv[3] as Kind;
    if (!KINDS.includes(kind) || serverOf(kind) !== kind) throw new Error(`serve what? ${KINDS.join(', ')}`);
    await serve(kind);
    return;
  }
  for (const kind of KINDS) await measure(kind, arg('calls', 200), arg('gap', 50));
  await measureHttpFloor(arg('seconds', 4));
  measureHashes(arg('hashes', 300_000));
}

main().catch((err: unknown) => {
  process.stderr.write(`bench-transport failed: ${errorStack(err)}\n`);
  process.exit(1);
});
