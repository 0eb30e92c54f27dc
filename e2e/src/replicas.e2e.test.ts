import { hostname } from 'node:os';

import type { AppName, ServiceProcess } from '@alertgate/local-env';
import { amAlert, amWebhook, kubectl, testKube, testNamespace } from '@alertgate/testing';

import { eventually, eventuallyHolds } from './support/eventually.js';
import { listRemediationRequests } from './support/kube-resources.js';
import { PipelineFixture } from './support/pipeline-fixture.js';

const GRPC_SERVICES = ['dedup', 'ratelimit', 'storm', 'crd-writer'] as const satisfies readonly AppName[];

/** The gRPC calls a process answered (every method but health), from its /metrics. */
async function callsServed(service: ServiceProcess): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${service.metricsPort}/metrics`)).text();
  let calls = 0;
  for (const line of text.split('\n')) {
    const match = /^alertgate_rpc_server_duration_seconds_count\{([^}]*)\} (\d+)/.exec(line);
    if (match && !/grpc\.health/.test(match[1] ?? '')) calls += Number(match[2]);
  }
  return calls;
}

/**
 * Three processes of each gRPC service behind one multi-address target, as a headless Service's
 * pods are behind its name: the gateway's and the crd-writer's calls spread over all of them
 * (round robin), and a replica killed under load costs a webhook at most one retry.
 */
describe('three replicas of each gRPC service behind one target', () => {
  let fixture: PipelineFixture;
  let ns: string;
  beforeAll(async () => {
    ns = await testNamespace('rr-replicas');
    fixture = await PipelineFixture.start('replicas', {
      replicas: 3,
      serviceEnv: {
        // A short lease, so that the test sees it move within seconds (defaults: 15 s / 2 s).
        'crd-writer': { KUBECONFIG: testKube().kubeconfig, LEADER_LEASE_DURATION: '3s', LEADER_RETRY_PERIOD: '300ms' },
        storm: { STORM_RATE_THRESHOLD: '1000000', STORM_PATTERN_THRESHOLD: '64' },
        ratelimit: {
          SOURCE_RATE_PER_SECOND: '1000000',
          SOURCE_BURST: '1000000',
          NAMESPACE_CREATIONS_PER_MINUTE: '1000000',
          NAMESPACE_CREATIONS_BURST: '1000000',
        },
      },
    });
  });
  afterAll(() => fixture?.close());

  /** Sends webhooks from `workers` senders, each retrying a 5xx as Alertmanager does; returns the attempts each webhook took and every 4xx. */
  const load = async (
    tag: string,
    webhooks: number,
    workers: number,
    during?: (sent: () => number) => Promise<void>,
  ): Promise<{ attempts: number[]; refused: number[] }> => {
    const attempts: number[] = [];
    const refused: number[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let n = next++; n < webhooks; n = next++) {
        // Half repeats of 20 open incidents, half new ones.
        const body = amWebhook([
          amAlert({ alertname: 'Spread', namespace: ns, pod: `repeat-${n % 20}` }),
          amAlert({ alertname: 'Spread', namespace: ns, pod: `new-${tag}-${n}` }),
        ]);
        for (let attempt = 1; ; attempt++) {
          const answer = await fixture.postAlerts(body);
          if (answer.status === 200) {
            attempts.push(attempt);
            break;
          }
          if (answer.status < 500) refused.push(answer.status);
          if (attempt >= 10) throw new Error(`webhook ${n} was refused ${attempt} times (last ${answer.status})`);
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      }
    };
    await Promise.all([...Array.from({ length: workers }, worker), during?.(() => next)]);
    return { attempts, refused };
  };

  it('each replica of each service answers 33% ± 10% of the calls', async () => {
    const system = fixture.system!;
    const before = await Promise.all(GRPC_SERVICES.map((app) => Promise.all(system.replicas[app].map(callsServed))));
    const { attempts, refused } = await load('spread', 300, 6);
    expect(refused).toEqual([]);
    expect(attempts).toHaveLength(300);
    const after = await Promise.all(GRPC_SERVICES.map((app) => Promise.all(system.replicas[app].map(callsServed))));
    const shares = Object.fromEntries(
      GRPC_SERVICES.map((app, s) => {
        const served = (after[s] ?? []).map((calls, r) => calls - (before[s]?.[r] ?? 0));
        const total = served.reduce((sum, calls) => sum + calls, 0);
        return [app, served.map((calls) => Math.round((calls / total) * 100))];
      }),
    );
    process.stdout.write(`replicas: per-replica share of calls, %: ${JSON.stringify(shares)}\n`);
    for (const app of GRPC_SERVICES) {
      for (const share of shares[app] ?? []) {
        expect(share).toBeGreaterThanOrEqual(23);
        expect(share).toBeLessThanOrEqual(43);
      }
    }
    // Three writers coalesced and wrote the same 20 resources, each repeat's count in turn
    // (conflicts read again and merge by maximum): each ends at its 15 deliveries.
    const counts = await eventually('every repeat at 15 occurrences', async () => {
      const repeats = (await listRemediationRequests(ns)).filter((item) => item.spec.targetResource.name.startsWith('repeat-'));
      return repeats.length === 20 && repeats.every((item) => item.status?.occurrences === 15) ? repeats.map((item) => item.status?.occurrences) : undefined;
    });
    expect(counts).toHaveLength(20);
  }, 120_000);

  it('a replica of dedup and one of the crd-writer killed under load cost no webhook more than one retry, and no 4xx', async () => {
    const system = fixture.system!;
    const killAfter = async (sent: () => number, at: number, service: ServiceProcess): Promise<void> => {
      await eventuallyHolds(`${at} webhooks sent`, () => sent() >= at, 60_000, 10);
      await service.kill();
    };
    const { attempts, refused } = await load('killed', 300, 6, async (sent) => {
      await killAfter(sent, 100, system.replicas.dedup[1] as ServiceProcess);
      await killAfter(sent, 200, system.replicas['crd-writer'][2] as ServiceProcess);
    });
    expect(refused).toEqual([]);
    expect(attempts).toHaveLength(300);
    process.stdout.write(
      `replicas: attempts per webhook with two replicas killed: ${JSON.stringify(Object.fromEntries([1, 2, 3].map((a) => [a, attempts.filter((n) => n === a).length])))}\n`,
    );
    expect(Math.max(...attempts)).toBeLessThanOrEqual(2);
    // Every incident one resource, whichever replica wrote it: 20 repeated, 300 new in each test.
    const resources = (await listRemediationRequests(ns)).filter((item) => item.spec.alertname === 'Spread');
    expect(new Set(resources.map((item) => item.spec.targetResource.name)).size).toBe(resources.length);
    expect(resources).toHaveLength(620);
  }, 120_000);

  it('one crd-writer replica holds the leader Lease (the storm-end sweep runs there), and another takes it over once it is SIGKILLed', async () => {
    const system = fixture.system!;
    const live = system.replicas['crd-writer'].filter((service) => service.running);
    const identities = new Map(live.map((service) => [`${hostname()}-${service.pid ?? 0}`, service]));
    const holder = async (): Promise<string | undefined> => {
      const leases = JSON.parse(await kubectl(['get', 'leases.coordination.k8s.io', '-n', 'alertgate', '-o', 'json'])) as {
        items: { spec?: { holderIdentity?: string } }[];
      };
      return leases.items.map((lease) => lease.spec?.holderIdentity ?? '').find((identity) => identities.has(identity));
    };
    const first = await eventually('a live replica holding the lease', holder);
    await identities.get(first)?.kill();
    const second = await eventually('another replica holding the lease', async () => {
      const now = await holder();
      return now !== undefined && now !== first ? now : undefined;
    });
    expect(identities.get(second)?.running).toBe(true);
  }, 60_000);
});
