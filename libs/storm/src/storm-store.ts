import { hash } from 'node:crypto';

import { AlertgateError, Code } from '@alertgate/errors';
import { Status, type Signal } from '@alertgate/proto';
import { KEY_CLASSES, mapRedisError, RedisScript, type KeySchema, type RedisClient } from '@alertgate/redis';
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

/**
 * Storm detection state in Redis: one hash per storm key, all under the {s} tag, decided for a
 * whole webhook in one script (storm-batch.lua.ts), whatever overrides its keys have.
 */
export class StormStore {
  private readonly script = new RedisScript('storm-batch', STORM_BATCH_LUA);

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: KeySchema,
    private readonly config: StormConfig,
  ) {}

  /** The label names that make a storm key, in order (STORM_KEY_LABELS). */
  get keyLabels(): readonly string[] {
    return this.config.keyLabels;
  }

  stormKey(signal: Signal): string {
    return stormKeyOf(this.config.keyLabels, signal);
  }

  async evaluate(queries: readonly StormQuery[]): Promise<StormVerdict[]> {
    const verdicts: StormVerdict[] = queries.map(() => ({ folded: false }));
    if (queries.length === 0) return verdicts;
    // One script call for the whole batch: each key brings its own settings (overrides).
    const keyIndex = new Map<string, number>();
    // A webhook's alerts share few storm keys: each key is hashed once per batch.
    const keyHashes = new Map<string, string>();
    const keyHash = (stormKey: string): string => {
      let hash = keyHashes.get(stormKey);
      if (hash === undefined) {
        hash = sha256(stormKey);
        keyHashes.set(stormKey, hash);
      }
      return hash;
    };
    // The script's packed arguments (storm-batch.lua.ts): distinct settings, each key's settings
    // index (2 bytes), each input's key index, flags and member (6 bytes).
    const settingsIndex = new Map<string, number>();
    const settingArgs: number[] = [];
    const keySettings: number[] = [];
    const inputs = Buffer.alloc(queries.length * INPUT_BYTES);
    const names: string[] = [];
    queries.forEach((query, i) => {
      const { signal } = query;
      if (signal.status !== Status.STATUS_FIRING && signal.status !== Status.STATUS_RESOLVED) {
        throw new AlertgateError(Code.InvalidArgument, `inputs[${i}].signal.status must be STATUS_FIRING or STATUS_RESOLVED`);
      }
      const stormKey = this.stormKey(signal);
      const redisKey = this.keys.key(KEY_CLASSES.storm, '', keyHash(stormKey).slice(0, 12));
      let index = keyIndex.get(redisKey);
      if (index === undefined) {
        index = keyIndex.size + 1;
        // Key indexes travel in 2 bytes (the service takes far fewer inputs per call).
        if (index > 0xffff) throw new AlertgateError(Code.InvalidArgument, `at most 65535 storm keys per call`);
        keyIndex.set(redisKey, index);
        const settings = settingsFor(this.config, signal.namespace, signal.alertname);
        const tuple = [settings.rateThreshold, settings.patternThreshold, settings.windowMs, settings.inactivityMs, settings.maxDurationMs, settings.memberCap];
        const id = tuple.join(',');
        let at = settingsIndex.get(id);
        if (at === undefined) {
          at = settingsIndex.size;
          settingsIndex.set(id, at);
          settingArgs.push(...tuple);
        }
        keySettings.push(at);
      }
      names.push(stormKey);
      const target = signal.target;
      const offset = i * INPUT_BYTES;
      inputs.writeUInt16BE(index, offset);
      let flags = (signal.status === Status.STATUS_RESOLVED ? 1 : 0) | (query.newIncident ? 2 : 0);
      if (target && target.name !== '') {
        // 3 bytes of the resource's hash: the script packs members 5 bytes each.
        hash('sha256', `${target.kind}/${target.name}`, 'buffer').copy(inputs, offset + 3, 0, 3);
        flags |= 4;
      }
      inputs[offset + 2] = flags;
    });
    const packedKeySettings = Buffer.alloc(keySettings.length * 2);
    keySettings.forEach((at, k) => packedKeySettings.writeUInt16BE(at, k * 2));
    let reply: unknown;
    try {
      reply = await this.script.run(this.redis, [...keyIndex.keys()], [settingsIndex.size, ...settingArgs, packedKeySettings, inputs]);
    } catch (err) {
      throw mapRedisError(err, 'storm evaluation');
    }
    // Per input 0 (no storm) or a row of nine (storm-batch.lua.ts).
    const rows = reply as (0 | [number, number, number, number, number, number, number, number, number])[];
    rows.forEach((row, i) => {
      if (row === 0) return;
      const stormKey = names[i] ?? '';
      verdicts[i] = {
        folded: row[1] === 1,
        storm: {
          key: stormKey,
          keyFingerprint: keyHash(stormKey),
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
    return verdicts;
  }
}
