import type { Timestamp } from './gen/google/protobuf/timestamp.js';

export function fromMillis(ms: number): Timestamp {
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: (ms - seconds * 1000) * 1_000_000 };
}

export function toMillis(ts: Timestamp | undefined): number | undefined {
  if (ts === undefined) return undefined;
  return ts.seconds * 1000 + Math.floor(ts.nanos / 1_000_000);
}
