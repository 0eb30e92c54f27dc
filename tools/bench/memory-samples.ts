import { heapUsedMiB, residentMiB, type AppName, type RunningSystem } from '@alertgate/local-env';

/** One service's memory at one moment, MiB: what the kernel gives it, and what V8 holds in use. */
interface ServiceMemory {
  readonly rssMiB: number;
  readonly heapUsedMiB: number;
}

/** Every service's memory at one moment of a run. */
export interface MemorySample {
  readonly label: string;
  readonly services: Readonly<Record<AppName, ServiceMemory>>;
}

/** The memory of each service now: RSS from /proc, the V8 heap in use from its metrics. */
export async function sampleMemory(system: RunningSystem, label: string): Promise<MemorySample> {
  const entries = await Promise.all(
    Object.values(system.services).map(async (service) => {
      const metricsUrl = service.name === 'ingest-gateway' ? `${system.gatewayUrl}/metrics` : `http://127.0.0.1:${service.metricsPort}/metrics`;
      return [service.name, { rssMiB: residentMiB(service.pid), heapUsedMiB: await heapUsedMiB(metricsUrl) }] as const;
    }),
  );
  return { label, services: Object.fromEntries(entries) as Record<AppName, ServiceMemory> };
}

/** The samples as a table: a row per moment, RSS / heap in use per service. */
export function memoryTable(samples: readonly MemorySample[]): string {
  const apps = Object.keys(samples[0]?.services ?? {}) as AppName[];
  const head = `${'moment'.padEnd(28)}${apps.map((app) => app.padStart(20)).join('')}`;
  const rows = samples.map(
    (sample) => `${sample.label.padEnd(28)}${apps.map((app) => `${sample.services[app].rssMiB} / ${sample.services[app].heapUsedMiB}`.padStart(20)).join('')}`,
  );
  return [`RSS / V8 heap in use, MiB`, head, ...rows].join('\n');
}
