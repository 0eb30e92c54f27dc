import { countOf, observedAt } from './event-watch.js';

describe("the event watch's reading of an events.k8s.io/v1 Event", () => {
  it("takes the series' last observation, then the deprecated last time, then eventTime, then creation", () => {
    const series = '2026-12-04T10:00:05.123456Z';
    expect(
      observedAt({ series: { count: 3, lastObservedTime: series }, deprecatedLastTimestamp: '2026-12-04T09:00:00Z', eventTime: '2026-12-04T08:00:00Z' }),
    ).toBe(Date.parse('2026-12-04T10:00:05.123Z'));
    expect(observedAt({ deprecatedLastTimestamp: new Date('2026-12-04T09:00:00Z'), eventTime: '2026-12-04T08:00:00Z' })).toBe(
      Date.parse('2026-12-04T09:00:00Z'),
    );
    expect(observedAt({ eventTime: '2026-12-04T08:00:00.000001Z' })).toBe(Date.parse('2026-12-04T08:00:00Z'));
    expect(observedAt({ metadata: { creationTimestamp: '2026-12-04T07:00:00Z' } })).toBe(Date.parse('2026-12-04T07:00:00Z'));
    expect(observedAt({ eventTime: 'not a time' })).toBe(0);
  });

  it('counts a series by its count, a core/v1-style event by its deprecated count, and anything else once', () => {
    expect(countOf({ series: { count: 7 }, deprecatedCount: 2 })).toBe(7);
    expect(countOf({ deprecatedCount: 4 })).toBe(4);
    expect(countOf({})).toBe(1);
    expect(countOf({ deprecatedCount: 0 })).toBe(1);
  });
});
