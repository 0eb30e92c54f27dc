import { AlertgateError, Code } from '@alertgate/errors';
import {
  KEY_CLASSES,
  mapRedisError,
  NO_REPLICA_WAIT,
  RedisScript,
  runPerNode,
  ScriptKeys,
  type KeySchema,
  type RedisClient,
  type ReplicaWait,
} from '@alertgate/redis';
import { DEFAULT_DEDUP_WINDOW_MS, FINGERPRINT_PATTERN, incidentId, parseIncidentId } from '@alertgate/signal';

import { DEDUP_ADOPT_LUA, DEDUP_BATCH_LUA, DEDUP_FORGET_LUA } from './dedup-batch.lua.js';

/** How a fingerprint maps to Redis: see dedup-batch.lua.ts for why. */
export const SHARD_DIGITS = 3;
export const FIELD_DIGITS = 24;

/** A fingerprint's field in its shard hash. */
const fingerField = (fingerprint: string): string => fingerprint.slice(SHARD_DIGITS, SHARD_DIGITS + FIELD_DIGITS);

export type DedupOutcome = 'new' | 'duplicate' | 'resolved' | 'unmatched' | 'folded' | 'pod-resolved';

export interface DedupQuery {
  readonly fingerprint: string;
  readonly resolved: boolean;
  /** A firing signal whose storm is on: repeats an open incident, but opens none ('folded'). */
  readonly foldIfNew?: boolean;
  /** The pod the signal named, when its incident is the pod's workload ('' or absent: none). */
  readonly pod?: string;
}

export interface IncidentState {
  /** Deterministic per incident: fingerprint head + first-seen time. */
  readonly id: string;
  readonly firstSeenMs: number;
  readonly lastSeenMs: number;
  readonly occurrences: number;
  /** A workload incident: the distinct pods that fired in it so far (up to PODS_CAP); else 0. */
  readonly pods: number;
}

export interface DedupDecision {
  readonly fingerprint: string;
  readonly outcome: DedupOutcome;
  /** Absent when outcome is 'unmatched' or 'folded'. */
  readonly incident?: IncidentState;
}

export interface DedupStoreOptions {
  /** How long an incident stays open after its last sighting. */
  readonly windowMs: number;
  /** Fields examined per written hash, on average, to remove stale entries (0: none; dedup-batch.lua.ts). */
  readonly pruneSamples: number;
  /**
   * How long a resolved incident still answers a retried resolution with its counts (0: forgotten
   * at once; at most the window).
   */
  readonly resolvedRetentionMs: number;
}

/** Default window: 5h. Alertmanager re-sends a firing alert every repeat_interval (4h by
 *  default), plus up to group_interval (5m) and retries; anything shorter would open a second
 *  incident for an alert that never stopped firing. */
/** Retention: 10m, two of Alertmanager's default group intervals, over which it retries a
 *  notification that failed and then sends it again with the group's next flush. */
export const DEDUP_DEFAULTS: DedupStoreOptions = { windowMs: DEFAULT_DEDUP_WINDOW_MS, pruneSamples: 3, resolvedRetentionMs: 600_000 };

const OUTCOMES: Readonly<Record<number, DedupOutcome>> = { 1: 'new', 2: 'duplicate', 3: 'resolved', 4: 'unmatched', 5: 'folded', 6: 'pod-resolved' };
/** Integers per signal in the batch script's reply. */
const REPLY_WIDTH = 5;

/**
 * The dedup window in Redis. One script call per batch (one round trip per webhook, however many
 * alerts it carries) on standalone Redis and Sentinel. Each shard hash is its own hash tag
 * ({d3fa}), so on Redis Cluster the 4,096 shards spread over every master, and a batch is one
 * call per master its shards live on, in parallel (runPerNode). About 50 bytes per open
 * incident: a million incidents is ~50 MB, shared by the masters.
 */
export class DedupStore {
  private readonly batchScript = new RedisScript('dedup-batch', DEDUP_BATCH_LUA);
  private readonly forgetScript = new RedisScript('dedup-forget', DEDUP_FORGET_LUA);
  private readonly adoptScript = new RedisScript('dedup-adopt', DEDUP_ADOPT_LUA);

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: KeySchema,
    private readonly options: DedupStoreOptions = DEDUP_DEFAULTS,
    /** Incidents are what the sender is acknowledged: their writes wait for replicas. */
    private readonly replicaWait: ReplicaWait = NO_REPLICA_WAIT,
  ) {}

  shardKey(fingerprint: string): string {
    return this.keys.key(KEY_CLASSES.dedup, fingerprint.slice(0, SHARD_DIGITS), '');
  }

  /** A workload incident's pods: beside its shard hash, in the same hash tag (one Cluster slot). */
  podsKey(fingerprint: string): string {
    return this.keys.key(KEY_CLASSES.pods, fingerprint.slice(0, SHARD_DIGITS), `${KEY_CLASSES.pods.suffix}${fingerField(fingerprint)}`);
  }

  private static validate(fingerprint: string, index: number): void {
    if (!FINGERPRINT_PATTERN.test(fingerprint)) {
      throw new AlertgateError(Code.InvalidArgument, `signals[${index}].fingerprint must be 64 lower-case hex digits (SHA-256)`, {
        details: { field: `signals[${index}].fingerprint` },
      });
    }
  }

  async checkBatch(queries: readonly DedupQuery[]): Promise<DedupDecision[]> {
    if (queries.length === 0) return [];
    queries.forEach((query, index) => DedupStore.validate(query.fingerprint, index));
    try {
      return await runPerNode(
        this.redis,
        queries,
        (query) => this.shardKey(query.fingerprint),
        (group) => this.checkGroup(group),
      );
    } catch (err) {
      throw mapRedisError(err, 'dedup check');
    }
  }

  /** One script call for queries whose shards live on one server. */
  private async checkGroup(queries: readonly DedupQuery[]): Promise<DedupDecision[]> {
    const scriptKeys = new ScriptKeys();
    const args: (string | number)[] = [this.options.windowMs, this.options.pruneSamples, this.options.resolvedRetentionMs];
    for (const { fingerprint, resolved, foldIfNew, pod = '' } of queries) {
      args.push(
        scriptKeys.indexOf(this.shardKey(fingerprint)),
        fingerField(fingerprint),
        resolved ? 'r' : foldIfNew ? 'F' : 'f',
        pod === '' ? 0 : scriptKeys.indexOf(this.podsKey(fingerprint)),
        pod,
      );
    }
    const reply = await this.batchScript.run(this.redis, scriptKeys.keys, args, this.replicaWait);
    if (!Array.isArray(reply) || reply.length !== queries.length * REPLY_WIDTH) {
      throw new AlertgateError(Code.Internal, 'dedup check: unexpected script reply');
    }
    const values = reply as number[];
    return queries.map(({ fingerprint }, i) => {
      const [code = 0, firstSeenMs = 0, lastSeenMs = 0, occurrences = 0, pods = 0] = values.slice(i * REPLY_WIDTH, (i + 1) * REPLY_WIDTH);
      const outcome = OUTCOMES[code];
      if (outcome === undefined) throw new AlertgateError(Code.Internal, 'dedup check: unknown outcome in script reply');
      if (outcome === 'unmatched' || outcome === 'folded') return { fingerprint, outcome };
      return { fingerprint, outcome, incident: { id: incidentId(fingerprint, firstSeenMs), firstSeenMs, lastSeenMs, occurrences, pods } };
    });
  }

  private static parseOwnId(fingerprint: string, id: string): { firstSeenMs: number } {
    DedupStore.validate(fingerprint, 0);
    const parsed = parseIncidentId(id);
    if (!parsed || !fingerprint.startsWith(parsed.fingerprintHead)) {
      throw new AlertgateError(Code.InvalidArgument, `incident_id "${id}" does not belong to fingerprint ${fingerprint}`, {
        details: { field: 'incident_id' },
      });
    }
    return parsed;
  }

  /** Makes `id` the open incident of the fingerprint (Kubernetes knows it; Redis did not). */
  async adopt(fingerprint: string, id: string, occurrences: number): Promise<IncidentState> {
    const parsed = DedupStore.parseOwnId(fingerprint, id);
    try {
      const reply = (await this.adoptScript.run(
        this.redis,
        [this.shardKey(fingerprint)],
        [fingerField(fingerprint), parsed.firstSeenMs, Math.max(1, occurrences), this.options.windowMs],
        this.replicaWait,
      )) as number[];
      const firstSeenMs = reply[0] ?? parsed.firstSeenMs;
      return { id: incidentId(fingerprint, firstSeenMs), firstSeenMs, lastSeenMs: reply[1] ?? firstSeenMs, occurrences: reply[2] ?? occurrences, pods: 0 };
    } catch (err) {
      throw mapRedisError(err, 'dedup adopt');
    }
  }

  /** Closes an incident whose resource ended (terminal phase); keeps a newer incident. */
  async forget(fingerprint: string, id: string): Promise<boolean> {
    const [forgotten = false] = await this.forgetBatch([{ fingerprint, incidentId: id }]);
    return forgotten;
  }

  /** Closes several incidents: one script call per server their shards live on. */
  async forgetBatch(incidents: readonly { fingerprint: string; incidentId: string }[]): Promise<boolean[]> {
    if (incidents.length === 0) return [];
    const entries = incidents.map(({ fingerprint, incidentId: id }) => ({ fingerprint, firstSeenMs: DedupStore.parseOwnId(fingerprint, id).firstSeenMs }));
    try {
      return await runPerNode(
        this.redis,
        entries,
        ({ fingerprint }) => this.shardKey(fingerprint),
        (group) => this.forgetGroup(group),
      );
    } catch (err) {
      throw mapRedisError(err, 'dedup forget');
    }
  }

  private async forgetGroup(entries: readonly { fingerprint: string; firstSeenMs: number }[]): Promise<boolean[]> {
    const scriptKeys = new ScriptKeys();
    const args: (string | number)[] = [];
    for (const { fingerprint, firstSeenMs } of entries) {
      args.push(scriptKeys.indexOf(this.shardKey(fingerprint)), fingerField(fingerprint), firstSeenMs, scriptKeys.indexOf(this.podsKey(fingerprint)));
    }
    const reply = (await this.forgetScript.run(this.redis, scriptKeys.keys, args, this.replicaWait)) as number[];
    return entries.map((_entry, i) => reply[i] === 1);
  }
}
