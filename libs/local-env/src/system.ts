import type { PortReservation } from './port-reservation.js';
import { ServiceProcess, type AppName } from './service-process.js';

export interface SystemOptions {
  readonly root: string;
  readonly redisUrl: string;
  readonly keyPrefix: string;
  /** File sink directory; ignored when `env` selects the kubernetes sink. */
  readonly sinkDir: string;
  /** Fixed ports (npm start); 0 = any free port (tests). */
  readonly ports?: Partial<Record<AppName, number>>;
  /** Fixed ports held until their service starts (PortReservation: npm start). */
  readonly reservation?: PortReservation;
  /** Extra environment for every service (e.g. OTEL_*, LOG_LEVEL). */
  readonly env?: Readonly<Record<string, string>>;
  /** Extra environment per service. */
  readonly serviceEnv?: Partial<Record<AppName, Readonly<Record<string, string>>>>;
  readonly onLog?: (app: AppName, line: string) => void;
  /** Extra Node flags for every service. */
  readonly nodeArgs?: readonly string[];
  /** Processes of each gRPC service (dedup, ratelimit, storm, crd-writer), behind one multi-address target; 1 by default. */
  readonly replicas?: number;
}

export interface RunningSystem {
  readonly gatewayUrl: string;
  readonly dedupAddress: string;
  readonly crdWriterAddress: string;
  readonly ratelimitAddress: string;
  readonly stormAddress: string;
  /** The first process of each service. */
  readonly services: Readonly<Record<AppName, ServiceProcess>>;
  /** Every process of each service (one each unless SystemOptions.replicas). */
  readonly replicas: Readonly<Record<AppName, readonly ServiceProcess[]>>;
  stop(): Promise<void>;
}

/** How a client reaches a service's processes: one address, or grpc-js' multi-address target. */
function targetOf(processes: readonly ServiceProcess[]): string {
  const addresses = processes.map((service) => `127.0.0.1:${service.port}`);
  return addresses.length === 1 ? (addresses[0] ?? '') : `ipv4:${addresses.join(',')}`;
}

/**
 * The whole pipeline as separate processes on loopback: dedup and crd-writer first, then the
 * gateway pointed at them. Used by npm start, the end-to-end tests and the benchmarks.
 */
export async function startSystem(options: SystemOptions): Promise<RunningSystem> {
  const PORT_VARIABLES: Record<AppName, string> = {
    dedup: 'DEDUP_PORT',
    'crd-writer': 'CRD_WRITER_PORT',
    ratelimit: 'RATELIMIT_PORT',
    storm: 'STORM_PORT',
    'ingest-gateway': 'INGEST_PORT',
  };
  // Tests run several systems at once: metrics on any free port unless ports are fixed (npm start).
  const metricsEnv: Record<string, string> = options.ports ? {} : { METRICS_PORT: '0' };
  const make = (app: AppName, env: Record<string, string>): ServiceProcess =>
    new ServiceProcess({
      app,
      portVariable: PORT_VARIABLES[app],
      root: options.root,
      env: { ...metricsEnv, ...env, ...options.env, ...options.serviceEnv?.[app] },
      ...(options.nodeArgs ? { nodeArgs: options.nodeArgs } : {}),
      ...(options.onLog ? { onLog: (line: string) => options.onLog?.(app, line) } : {}),
    });
  // A held port goes free only as its own service starts.
  const start = async (service: ServiceProcess): Promise<number> => {
    await options.reservation?.release(options.ports?.[service.name] ?? 0);
    return service.start();
  };
  const started: ServiceProcess[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all([...started.map((service) => service.stop()), options.reservation?.releaseAll()]);
  };
  const count = options.replicas ?? 1;
  /** A gRPC service's processes, started at once: the first on its fixed port if any, the others on free ones. */
  const replicated = async (app: Exclude<AppName, 'ingest-gateway'>, env: Record<string, string>): Promise<ServiceProcess[]> => {
    const processes = Array.from({ length: count }, (_v, i) => make(app, { ...env, [PORT_VARIABLES[app]]: String(i === 0 ? (options.ports?.[app] ?? 0) : 0) }));
    started.push(...processes);
    await Promise.all(processes.map(start));
    return processes;
  };
  const redisEnv = { REDIS_URL: options.redisUrl, REDIS_KEY_PREFIX: options.keyPrefix };
  try {
    const [dedup, ratelimit, storm] = await Promise.all([replicated('dedup', redisEnv), replicated('ratelimit', redisEnv), replicated('storm', redisEnv)]);
    // Systems sharing an API server (the tests) are separate installations: a leader Lease each,
    // and each watches and adopts only its own resources.
    const instance =
      options.keyPrefix
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-+|-+$/g, '')
        .slice(0, 40)
        .replace(/-+$/, '') || 'alertgate';
    const crdWriter = await replicated('crd-writer', {
      SINK_FILE_DIR: options.sinkDir,
      DEDUP_ADDR: targetOf(dedup),
      LEADER_LEASE_NAME: `alertgate-crd-writer-${instance}`,
      INSTANCE: instance,
    });
    const gateway = make('ingest-gateway', {
      INGEST_PORT: String(options.ports?.['ingest-gateway'] ?? 0),
      DEDUP_ADDR: targetOf(dedup),
      CRD_WRITER_ADDR: targetOf(crdWriter),
      RATELIMIT_ADDR: targetOf(ratelimit),
      STORM_ADDR: targetOf(storm),
      INGEST_AUTH: 'disabled',
    });
    started.push(gateway);
    const gatewayPort = await start(gateway);
    const first = (processes: readonly ServiceProcess[]): ServiceProcess => processes[0] as ServiceProcess;
    return {
      gatewayUrl: `${options.serviceEnv?.['ingest-gateway']?.['INGEST_TLS_DIR'] ? 'https' : 'http'}://127.0.0.1:${gatewayPort}`,
      dedupAddress: targetOf(dedup),
      crdWriterAddress: targetOf(crdWriter),
      ratelimitAddress: targetOf(ratelimit),
      stormAddress: targetOf(storm),
      services: { dedup: first(dedup), 'crd-writer': first(crdWriter), ratelimit: first(ratelimit), storm: first(storm), 'ingest-gateway': gateway },
      replicas: { dedup, 'crd-writer': crdWriter, ratelimit, storm, 'ingest-gateway': [gateway] },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
