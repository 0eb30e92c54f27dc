import { hash } from 'node:crypto';

import { AlertgateError, Code } from '@alertgate/errors';
import { Status, type Signal } from '@alertgate/proto';
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
import { stormKeyOf } from '@alertgate/signal';

import { settingsFor, type StormConfig } from './storm-config.js';
import { STORM_BATCH_LUA } from './storm-batch.lua.js';

export interface StormQuery {
  readonly signal: Signal;
  readonly newIncident: boolean;
}

export interface StormState {
  readonly key: string;
  readonly keyFingerprint: string;
  readonly type: 'rate' | 'pattern';
  readonly startMs: number;
  readonly members: number;
  readonly occurrences: number;
  readonly resolved: number;
  readonly overflow: number;
  /** When the storm ends unless more alerts of its key arrive: last alert + inactivity, or start + max duration. */
  readonly endsAtMs: number;
  readonly declaredNow: boolean;
}

export interface StormVerdict {
  readonly storm?: StormState;
  readonly folded: boolean;
}

/** Bytes per input in the script's packed arguments. */
const INPUT_BYTES = 6;

// One-shot hashing (crypto.hash): per signal in the storm service's profile.
const sha256 = (text: string): string => hash('sha256', text, 'hex');

/** One signal of a batch, ready to pack: its storm key, where that lives, and its input bytes. */
interface StormInput {
  readonly stormKey: string;
  readonly redisKey: string;
  /** rate N, pattern M, window ms, inactivity ms, max duration ms, member cap. */
  readonly settings: readonly number[];
  /** flags (1 resolved, 2 new incident, 4 has a member), then the member's 3-byte hash. */
  readonly input: Buffer;
}

/** What a batch works out once per storm key. */
interface StormKeyInfo {
  readonly hash: string;
  readonly redisKey: string;
  readonly settings: readonly number[];
}

/** Per input 0 (no storm) or a row of nine (storm-batch.lua.ts). */
type StormRow = 0 | [number, number, number, number, number, number, number, number, number];

/**
 * Storm detection state in Redis: one hash per storm key, decided for a whole webhook in one
 * script (storm-batch.lua.ts), whatever overrides its keys have. Each storm key is its own hash
 * tag ({s3fa9…}), so on Redis Cluster storms spread over every master, and a batch is one call
 * per master its keys live on, in parallel (runPerNode).
 */
export class StormStore {
  private readonly script = new RedisScript('storm-batch', STORM_BATCH_LUA);

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: KeySchema,
    private readonly config: StormConfig,
    /** A storm's counts decide what is folded: their writes wait for replicas, as dedup's do. */
    private readonly replicaWait: ReplicaWait = NO_REPLICA_WAIT,
  ) {}

  /** The label names that make a storm key, in order (STORM_KEY_LABELS). */
  get keyLabels(): readonly string[] {
    return this.config.keyLabels;
  }

  stormKey(signal: Signal): string {
    return stormKeyOf(this.config.keyLabels, signal);
  }

  /** Where a signal's storm key lives in Redis: its own hash tag, from the key's hash. */
  redisKey(signal: Signal): string {
    return this.redisKeyOf(sha256(this.stormKey(signal)));
  }

  private redisKeyOf(keyHash: string): string {
    return this.keys.key(KEY_CLASSES.storm, keyHash.slice(0, 12), '');
  }

  async evaluate(queries: readonly StormQuery[]): Promise<StormVerdict[]> {
    if (queries.length === 0) return [];
    // A webhook's alerts share few storm keys: each key's hash, Redis key and settings are
    // worked out once per batch (the first of its signals names the overrides that apply).
    const byKey = new Map<string, StormKeyInfo>();
    const inputs = queries.map((query, i) => this.inputOf(query, i, byKey));
    let rows: StormRow[];
    try {
      rows = await runPerNode(
        this.redis,
        inputs,
        (input) => input.redisKey,
        (group) => this.evaluateGroup(group),
      );
    } catch (err) {
      throw mapRedisError(err, 'storm evaluation');
    }
    return rows.map((row, i) => {
      if (row === 0) return { folded: false };
      const stormKey = inputs[i]?.stormKey ?? '';
      return {
        folded: row[1] === 1,
        storm: {
          key: stormKey,
          keyFingerprint: byKey.get(stormKey)?.hash ?? sha256(stormKey),
          type: row[3] === 2 ? 'pattern' : 'rate',
          startMs: row[2],
          members: row[4],
          occurrences: row[5],
          resolved: row[6],
          overflow: row[7],
          endsAtMs: row[8],
          declaredNow: row[0] === 2,
        },
      };
    });
  }

  private inputOf({ signal, newIncident }: StormQuery, i: number, byKey: Map<string, StormKeyInfo>): StormInput {
    if (signal.status !== Status.STATUS_FIRING && signal.status !== Status.STATUS_RESOLVED) {
      throw new AlertgateError(Code.InvalidArgument, `inputs[${i}].signal.status must be STATUS_FIRING or STATUS_RESOLVED`);
    }
    const stormKey = this.stormKey(signal);
    let key = byKey.get(stormKey);
    if (!key) {
      const keyHash = sha256(stormKey);
      const settings = settingsFor(this.config, signal.namespace, signal.alertname);
      key = {
        hash: keyHash,
        redisKey: this.redisKeyOf(keyHash),
        settings: [settings.rateThreshold, settings.patternThreshold, settings.windowMs, settings.inactivityMs, settings.maxDurationMs, settings.memberCap],
      };
      byKey.set(stormKey, key);
    }
    const input = Buffer.alloc(INPUT_BYTES - 2);
    let flags = (signal.status === Status.STATUS_RESOLVED ? 1 : 0) | (newIncident ? 2 : 0);
    const target = signal.target;
    if (target && target.name !== '') {
      // 3 bytes of the resource's hash: the script packs members 5 bytes each.
      hash('sha256', `${target.kind}/${target.name}`, 'buffer').copy(input, 1, 0, 3);
      flags |= 4;
    }
    input[0] = flags;
    return { stormKey, redisKey: key.redisKey, settings: key.settings, input };
  }

  /**
   * One script call for inputs whose keys live on one server. Its packed arguments
   * (storm-batch.lua.ts): the distinct settings, each key's settings index (2 bytes), each
   * input's key index (2 bytes), flags and member.
   */
  private async evaluateGroup(group: readonly StormInput[]): Promise<StormRow[]> {
    const scriptKeys = new ScriptKeys();
    const settingsIndex = new Map<string, number>();
    const settingArgs: number[] = [];
    const keySettings: number[] = [];
    const packed = Buffer.alloc(group.length * INPUT_BYTES);
    group.forEach(({ redisKey, settings, input }, i) => {
      const known = scriptKeys.size;
      const index = scriptKeys.indexOf(redisKey);
      if (index > known) {
        // Key indexes travel in 2 bytes (the service takes far fewer inputs per call).
        if (index > 0xffff) throw new AlertgateError(Code.InvalidArgument, `at most 65535 storm keys per call`);
        const id = settings.join(',');
        let at = settingsIndex.get(id);
        if (at === undefined) {
          at = settingsIndex.size;
          settingsIndex.set(id, at);
          settingArgs.push(...settings);
        }
        keySettings.push(at);
      }
      packed.writeUInt16BE(index, i * INPUT_BYTES);
      input.copy(packed, i * INPUT_BYTES + 2);
    });
    const packedKeySettings = Buffer.alloc(keySettings.length * 2);
    keySettings.forEach((at, k) => packedKeySettings.writeUInt16BE(at, k * 2));
    return (await this.script.run(
      this.redis,
      scriptKeys.keys,
      [settingsIndex.size, ...settingArgs, packedKeySettings, packed],
      this.replicaWait,
    )) as StormRow[];
  }
}
