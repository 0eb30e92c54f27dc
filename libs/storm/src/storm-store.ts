import { createHash } from 'node:crypto';

import { AlertgateError, Code } from '@alertgate/errors';
import { Status, type Signal } from '@alertgate/proto';
import { KEY_CLASSES, mapRedisError, RedisScript, type KeySchema, type RedisClient } from '@alertgate/redis';

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
  readonly declaredNow: boolean;
}

export interface StormVerdict {
  readonly storm?: StormState;
  readonly folded: boolean;
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * Storm detection state in Redis: one hash per storm key, all under the {s} tag, decided for a
 * whole webhook in one script (storm-batch.lua.ts). Batches are evaluated with one settings set
 * per key; keys with different overrides go in separate script calls of the same round trip.
 */
export class StormStore {
  private readonly script = new RedisScript('storm-batch', STORM_BATCH_LUA);

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: KeySchema,
    private readonly config: StormConfig,
  ) {}

  stormKey(signal: Signal): string {
    return this.config.keyLabels
      .map((label) => (label === 'namespace' ? signal.namespace : label === 'alertname' ? signal.alertname : (signal.labels[label] ?? '')))
      .join('/');
  }

  async evaluate(queries: readonly StormQuery[]): Promise<StormVerdict[]> {
    const verdicts: StormVerdict[] = queries.map(() => ({ folded: false }));
    // Group by settings (one script call per distinct settings; usually one).
    const groups = new Map<string, { settings: ReturnType<typeof settingsFor>; indexes: number[] }>();
    queries.forEach((query, i) => {
      if (query.signal.status !== Status.STATUS_FIRING && query.signal.status !== Status.STATUS_RESOLVED) {
        throw new AlertgateError(Code.InvalidArgument, `inputs[${i}].signal.status must be STATUS_FIRING or STATUS_RESOLVED`);
      }
      const settings = settingsFor(this.config, query.signal.namespace, query.signal.alertname);
      const id = JSON.stringify(settings);
      const group = groups.get(id) ?? { settings, indexes: [] };
      group.indexes.push(i);
      groups.set(id, group);
    });
    await Promise.all(
      [...groups.values()].map(async ({ settings, indexes }) => {
        const keyIndex = new Map<string, number>();
        const names: string[] = [];
        const args: (string | number | Buffer)[] = [
          settings.rateThreshold,
          settings.patternThreshold,
          settings.windowMs,
          settings.inactivityMs,
          settings.maxDurationMs,
          settings.memberCap,
        ];
        for (const i of indexes) {
          const query = queries[i];
          if (!query) continue;
          const stormKey = this.stormKey(query.signal);
          const redisKey = this.keys.key(KEY_CLASSES.storm, '', sha256(stormKey).slice(0, 12));
          let index = keyIndex.get(redisKey);
          if (index === undefined) {
            index = keyIndex.size + 1;
            keyIndex.set(redisKey, index);
          }
          names.push(stormKey);
          const target = query.signal.target;
          // 3 bytes of the resource's hash (binary; the script packs members 5 bytes each).
          const member = target && target.name !== '' ? createHash('sha256').update(`${target.kind}/${target.name}`).digest().subarray(0, 3) : '';
          args.push(index, member, query.signal.status === Status.STATUS_RESOLVED ? 'r' : 'f', query.newIncident ? '1' : '0');
        }
        let reply: unknown;
        try {
          reply = await this.script.run(this.redis, [...keyIndex.keys()], args);
        } catch (err) {
          throw mapRedisError(err, 'storm evaluation');
        }
        const rows = reply as [number, number, number, number, number, number, number, number][];
        indexes.forEach((i, k) => {
          const row = rows[k];
          const stormKey = names[k] ?? '';
          if (!row || row[0] === 0) return;
          verdicts[i] = {
            folded: row[1] === 1,
            storm: {
              key: stormKey,
              keyFingerprint: sha256(stormKey),
              type: row[3] === 2 ? 'pattern' : 'rate',
              startMs: row[2],
              members: row[4],
              occurrences: row[5],
              resolved: row[6],
              overflow: row[7],
              declaredNow: row[0] === 2,
            },
          };
        });
      }),
    );
    return verdicts;
  }
}
