import type { Duration } from './gen/google/protobuf/duration.js';

/** Milliseconds (fractions kept, to the nanosecond) as a protobuf Duration; negative is 0. */
export function durationFromMillis(ms: number): Duration {
  const total = Math.max(0, ms);
  const seconds = Math.floor(total / 1000);
  return { seconds, nanos: Math.round((total - seconds * 1000) * 1e6) };
}

/** A protobuf Duration in whole milliseconds (a started one counts only once complete); absent is undefined. */
export function durationToMillis(duration: Duration | undefined): number | undefined {
  if (duration === undefined) return undefined;
  return duration.seconds * 1000 + Math.floor(duration.nanos / 1e6);
}
