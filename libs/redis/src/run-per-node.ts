import { AlertgateError, Code } from '@alertgate/errors';
import { Cluster } from 'ioredis';

import type { RedisClient } from './create-redis-client.js';
import { keySlot } from './key-slot.js';
import { NOT_LOCAL_REPLY } from './redis-script.js';

/** Regroupings after a stale slot map before the batch is answered retryable. */
const MAX_REGROUPS = 3;

interface Entry<T> {
  readonly item: T;
  readonly index: number;
}

function isNotLocal(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith(NOT_LOCAL_REPLY);
}

/** The batch's entries grouped by the master that serves each key's slot in the client's map. */
function groupByMaster<T>(cluster: Cluster, entries: readonly Entry<T>[], keyOf: (item: T) => string): Entry<T>[][] {
  const groups = new Map<string, Entry<T>[]>();
  for (const entry of entries) {
    // An unknown slot (no map yet) joins one group; the node it reaches redirects or refuses it.
    const node = cluster.slots[keySlot(keyOf(entry.item))]?.[0] ?? '';
    const group = groups.get(node);
    if (group) group.push(entry);
    else groups.set(node, [entry]);
  }
  return [...groups.values()];
}

function refreshSlots(cluster: Cluster): Promise<void> {
  return new Promise((resolve) => cluster.refreshSlotsCache(() => resolve()));
}

/**
 * Runs a batch as one script call per Redis server its keys live on, in parallel, and returns
 * the replies in the batch's order. Standalone Redis and Sentinel get the whole batch in one
 * call. On a Cluster, the groups come from the client's slot map; a group that a node refuses
 * as not local (failover, resharding) wrote nothing, and is regrouped on a fresh map and sent
 * again. A failed group fails the batch once every group has answered: the groups that
 * succeeded stay done, as a retried delivery would redo them anyway.
 */
export async function runPerNode<T, R>(
  client: RedisClient,
  items: readonly T[],
  keyOf: (item: T) => string,
  call: (group: readonly T[]) => Promise<readonly R[]>,
): Promise<R[]> {
  if (!(client instanceof Cluster)) return [...(await call(items))];
  const results: R[] = new Array<R>(items.length);
  let pending: Entry<T>[] = items.map((item, index) => ({ item, index }));
  for (let round = 0; pending.length > 0; round++) {
    if (round > MAX_REGROUPS) {
      throw new AlertgateError(Code.Unavailable, 'Redis Cluster: the slots of the batch kept moving (failover or resharding in progress)');
    }
    if (round > 0) await refreshSlots(client);
    const groups = groupByMaster(client, pending, keyOf);
    const settled = await Promise.allSettled(groups.map((group) => call(group.map(({ item }) => item))));
    pending = [];
    settled.forEach((outcome, g) => {
      const group = groups[g] ?? [];
      if (outcome.status === 'fulfilled') group.forEach(({ index }, i) => (results[index] = outcome.value[i] as R));
      else if (isNotLocal(outcome.reason)) pending.push(...group);
    });
    const failure = settled.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected' && !isNotLocal(outcome.reason));
    if (failure) throw failure.reason;
  }
  return results;
}
