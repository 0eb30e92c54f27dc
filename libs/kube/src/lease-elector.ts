import { errorMessage } from '@alertgate/errors';
import type { Logger } from '@alertgate/logging';
import type * as K8s from '@kubernetes/client-node';

import { httpStatusOf, loadKubeClient, type KubernetesAccess } from './kube-client.js';

export interface LeaseElectorOptions {
  readonly access: KubernetesAccess;
  /** Where the Lease lives (the crd-writer's own namespace). */
  readonly namespace: string;
  readonly name: string;
  /** This process, unique among the candidates (the pod's name). */
  readonly identity: string;
  /** A holder that has not renewed for this long is taken over (client-go's default: 15 s). */
  readonly leaseDurationMs: number;
  /** How often the lease is renewed, or tried for (client-go's retry period: 2 s). */
  readonly retryPeriodMs: number;
  readonly logger: Logger;
}

type Lease = K8s.V1Lease;

/**
 * A Lease's times are MicroTime: the API server parses exactly six fractional digits, and
 * client-node serializes a Date with toISOString (three), which it refuses (400). A Date that
 * writes its microseconds is what client-node's serializer then sends.
 */
class MicroTime extends Date {
  override toISOString(): string {
    return super.toISOString().replace(/Z$/, '000Z');
  }
}
const microTime = (at: Date | string): Date => new MicroTime(new Date(at).getTime());

/** What a Lease says, as this elector writes it. */
interface LeaseRecord {
  readonly holderIdentity: string;
  readonly leaseDurationSeconds: number;
  readonly acquireTime: Date | undefined;
  readonly renewTime: Date | undefined;
  readonly leaseTransitions: number;
}

/** The record of a Lease as read (client-node gives its times as Dates). */
function recordOf(lease: Lease): LeaseRecord {
  const spec = lease.spec;
  return {
    holderIdentity: spec?.holderIdentity ?? '',
    leaseDurationSeconds: spec?.leaseDurationSeconds ?? 15,
    acquireTime: spec?.acquireTime,
    renewTime: spec?.renewTime,
    leaseTransitions: spec?.leaseTransitions ?? 0,
  };
}

/**
 * One leader among the replicas for work that needs one actor at a time, with a
 * coordination.k8s.io/v1 Lease as client-go's leader election keeps it: the holder renews
 * `renewTime` every retry period; another candidate takes the lease over once it has seen no
 * change to it for a lease duration, by its own clock (so clocks need not agree). Every write
 * carries the resourceVersion read, so two candidates never both win. A leader that cannot renew
 * within the lease duration stops counting itself leader before another can take over.
 */
export class LeaseElector {
  private api: Promise<{ readonly leases: K8s.CoordinationV1Api; readonly k8s: typeof K8s }> | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** What was last seen of the lease, and when (this process's clock). */
  private observed: { readonly record: string; readonly at: number } | undefined;
  /** When this process last renewed the lease it holds. */
  private renewedAt: number | undefined;

  constructor(private readonly options: LeaseElectorOptions) {}

  /** Whether this process holds the lease now (renewed within the lease duration). */
  isLeader(): boolean {
    return this.renewedAt !== undefined && Date.now() - this.renewedAt < this.options.leaseDurationMs;
  }

  start(): void {
    const tick = (): void => {
      void this.tryAcquireOrRenew().finally(() => {
        if (this.timer !== undefined) this.timer = setTimeout(tick, this.options.retryPeriodMs).unref();
      });
    };
    this.timer = setTimeout(tick, 0).unref();
  }

  /** Stops trying; a held lease is given up (holder cleared), so that another replica takes over at once. */
  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.isLeader()) return;
    this.renewedAt = undefined;
    try {
      const { leases: api, k8s } = await this.client();
      const lease = await api.readNamespacedLease({ name: this.options.name, namespace: this.options.namespace });
      if (lease.spec?.holderIdentity !== this.options.identity) return;
      await api.replaceNamespacedLease({
        name: this.options.name,
        namespace: this.options.namespace,
        body: this.body(k8s, lease, { ...recordOf(lease), holderIdentity: '', leaseDurationSeconds: 1 }),
      });
    } catch (err) {
      this.options.logger.warn(
        { lease: this.options.name, err: errorMessage(err) },
        'could not give up the lease; another replica takes it over when it expires',
      );
    }
  }

  private client(): Promise<{ readonly leases: K8s.CoordinationV1Api; readonly k8s: typeof K8s }> {
    this.api ??= loadKubeClient(this.options.access).then(({ config, k8s }) => ({ leases: config.makeApiClient(k8s.CoordinationV1Api), k8s }));
    return this.api;
  }

  /** One round: create the lease, renew it, take it over, or note who holds it. */
  private async tryAcquireOrRenew(): Promise<void> {
    const { namespace, name, identity } = this.options;
    const wasLeader = this.isLeader();
    try {
      const { leases: api, k8s } = await this.client();
      const now = new Date();
      const lease = await api.readNamespacedLease({ name, namespace }).catch((err: unknown) => {
        if (httpStatusOf(err) === 404) return undefined;
        throw err;
      });
      if (!lease) {
        await api.createNamespacedLease({ namespace, body: this.body(k8s, undefined, this.holding(now, 0, now)) });
        this.renewedAt = now.getTime();
      } else if (lease.spec?.holderIdentity === identity) {
        await api.replaceNamespacedLease({ name, namespace, body: this.body(k8s, lease, { ...recordOf(lease), renewTime: now }) });
        this.renewedAt = now.getTime();
      } else if (this.expired(lease, now.getTime())) {
        await api.replaceNamespacedLease({ name, namespace, body: this.body(k8s, lease, this.holding(now, recordOf(lease).leaseTransitions + 1, now)) });
        this.renewedAt = now.getTime();
      } else {
        this.renewedAt = undefined;
      }
    } catch (err) {
      // A conflict is another candidate's write winning; anything else is retried next period.
      if (httpStatusOf(err) !== 409) this.options.logger.warn({ lease: name, err: errorMessage(err) }, 'lease not renewed; trying again');
    }
    const leader = this.isLeader();
    if (leader !== wasLeader)
      this.options.logger.info(
        { lease: name, identity, leader },
        leader ? 'holding the lease: this replica does the single-actor work' : 'not holding the lease',
      );
  }

  private holding(acquired: Date, transitions: number, now: Date): LeaseRecord {
    return {
      holderIdentity: this.options.identity,
      leaseDurationSeconds: Math.max(1, Math.ceil(this.options.leaseDurationMs / 1000)),
      acquireTime: acquired,
      renewTime: now,
      leaseTransitions: transitions,
    };
  }

  /** The Lease to write: the record, on the version read (its resourceVersion makes a concurrent write a conflict). */
  private body(k8s: typeof K8s, read: Lease | undefined, record: LeaseRecord): Lease {
    const { acquireTime, renewTime, ...rest } = record;
    const metadata = Object.assign(new k8s.V1ObjectMeta(), {
      name: this.options.name,
      namespace: this.options.namespace,
      ...(read?.metadata?.resourceVersion ? { resourceVersion: read.metadata.resourceVersion } : {}),
    });
    const spec = Object.assign(new k8s.V1LeaseSpec(), {
      ...rest,
      ...(acquireTime ? { acquireTime: microTime(acquireTime) } : {}),
      ...(renewTime ? { renewTime: microTime(renewTime) } : {}),
    });
    return Object.assign(new k8s.V1Lease(), { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata, spec });
  }

  /** Whether the lease went unrenewed for its duration, as this process has watched it. */
  private expired(lease: Lease, nowMs: number): boolean {
    const spec = lease.spec;
    if (!spec?.holderIdentity) return true;
    const record = `${spec.holderIdentity}/${String(spec.renewTime)}/${lease.metadata?.resourceVersion ?? ''}`;
    if (this.observed?.record !== record) this.observed = { record, at: nowMs };
    return nowMs - this.observed.at >= (spec.leaseDurationSeconds ?? 15) * 1000;
  }
}
