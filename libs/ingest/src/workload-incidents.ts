import type { Signal } from '@alertgate/proto';
import { retarget, type InvolvedObject } from '@alertgate/signal';

/** The top-level controller of an object (Pod → ReplicaSet → Deployment), or the object itself. */
export type OwnerLookup = (object: InvolvedObject) => Promise<{ readonly kind: string; readonly name: string }>;

/**
 * Alerts about a pod become incidents of its workload (INCIDENT_IDENTITY=workload): the target is
 * the pod's top-level controller, the fingerprint follows it, and the pod travels with the signal
 * so that dedup can tell when the workload's last firing pod resolved. Each distinct pod of the
 * webhook is looked up once. A pod whose owner cannot be read stays the target (the lookup logs
 * why): the webhook is never refused for it.
 */
export async function asWorkloadIncidents(signals: readonly Signal[], ownerOf: OwnerLookup, namespaceLabel: string): Promise<readonly Signal[]> {
  const owners = new Map<string, Promise<{ readonly kind: string; readonly name: string } | undefined>>();
  const podOf = (signal: Signal): InvolvedObject | undefined => {
    const namespace = signal.labels[namespaceLabel] ?? '';
    if (signal.target?.kind !== 'pod' || namespace === '') return undefined;
    return { apiVersion: 'v1', kind: 'Pod', namespace, name: signal.target.name };
  };
  for (const signal of signals) {
    const pod = podOf(signal);
    if (!pod) continue;
    const key = `${pod.namespace}/${pod.name}`;
    if (!owners.has(key))
      owners.set(
        key,
        ownerOf(pod).catch(() => undefined),
      );
  }
  if (owners.size === 0) return signals;
  const resolved = new Map<string, { readonly kind: string; readonly name: string } | undefined>();
  await Promise.all([...owners].map(async ([key, owner]) => resolved.set(key, await owner)));
  return signals.map((signal) => {
    const pod = podOf(signal);
    const owner = pod ? resolved.get(`${pod.namespace}/${pod.name}`) : undefined;
    if (!pod || !owner || owner.kind.toLowerCase() === 'pod') return signal;
    return retarget(signal, owner, { namespace: pod.namespace, pod: pod.name });
  });
}
