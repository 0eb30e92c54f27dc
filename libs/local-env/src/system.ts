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
}

export interface RunningSystem {
  readonly gatewayUrl: string;
  readonly dedupAddress: string;
  readonly crdWriterAddress: string;
  readonly ratelimitAddress: string;
  readonly stormAddress: string;
  readonly services: Readonly<Record<AppName, ServiceProcess>>;
  stop(): Promise<void>;
}

/**
 * The whole pipeline as separate processes on loopback: dedup and crd-writer first, then the
 * gateway pointed at them. Used by npm start, the end-to-end tests and the benchmarks.
 */
export async function startSystem(options: SystemOptions): Promise<RunningSystem> {
  const PORT_VARIABLES: Record<AppName, string> = { dedup: 'DEDUP_PORT', 'crd-writer': 'CRD_WRITER_PORT', ratelimit: 'RATELIMIT_PORT', storm: 'STORM_PORT', 'ingest-gateway': 'INGEST_PORT' };
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
  const dedup = make('dedup', {
    DEDUP_PORT: String(options.ports?.dedup ?? 0),
    REDIS_URL: options.redisUrl,
    REDIS_KEY_PREFIX: options.keyPrefix,
  });
  const started: ServiceProcess[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all([...started.map((service) => service.stop()), options.reservation?.releaseAll()]);
  };
  const ratelimit = make('ratelimit', {
    RATELIMIT_PORT: String(options.ports?.ratelimit ?? 0),
    REDIS_URL: options.redisUrl,
    REDIS_KEY_PREFIX: options.keyPrefix,
  });
  const storm = make('storm', {
    STORM_PORT: String(options.ports?.storm ?? 0),
    REDIS_URL: options.redisUrl,
    REDIS_KEY_PREFIX: options.keyPrefix,
  });
  try {
    started.push(dedup, ratelimit, storm);
    const [dedupPort, ratelimitPort, stormPort] = await Promise.all([start(dedup), start(ratelimit), start(storm)]);
    const crdWriter = make('crd-writer', {
      CRD_WRITER_PORT: String(options.ports?.['crd-writer'] ?? 0),
      SINK_FILE_DIR: options.sinkDir,
      DEDUP_ADDR: `127.0.0.1:${dedupPort}`,
    });
    started.push(crdWriter);
    const crdWriterPort = await start(crdWriter);
    const gateway = make('ingest-gateway', {
      INGEST_PORT: String(options.ports?.['ingest-gateway'] ?? 0),
      DEDUP_ADDR: `127.0.0.1:${dedupPort}`,
      CRD_WRITER_ADDR: `127.0.0.1:${crdWriterPort}`,
      RATELIMIT_ADDR: `127.0.0.1:${ratelimitPort}`,
      STORM_ADDR: `127.0.0.1:${stormPort}`,
      INGEST_AUTH: 'disabled',
    });
    started.push(gateway);
    const gatewayPort = await start(gateway);
    return {
      gatewayUrl: `http://127.0.0.1:${gatewayPort}`,
      dedupAddress: `127.0.0.1:${dedupPort}`,
      crdWriterAddress: `127.0.0.1:${crdWriterPort}`,
      ratelimitAddress: `127.0.0.1:${ratelimitPort}`,
      stormAddress: `127.0.0.1:${stormPort}`,
      services: { dedup, 'crd-writer': crdWriter, ratelimit, storm, 'ingest-gateway': gateway },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
