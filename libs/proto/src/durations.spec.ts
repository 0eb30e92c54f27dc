import { durationFromMillis, durationToMillis } from './durations.js';

describe('Duration conversions', () => {
  it('keeps fractions of a millisecond into a Duration, whole milliseconds out of it, and clamps negatives to 0', () => {
    expect(durationFromMillis(1_500.25)).toEqual({ seconds: 1, nanos: 500_250_000 });
    expect(durationToMillis({ seconds: 1, nanos: 500_250_000 })).toBe(1_500);
    expect(durationFromMillis(-3)).toEqual({ seconds: 0, nanos: 0 });
    expect(durationToMillis(undefined)).toBeUndefined();
  });
});
