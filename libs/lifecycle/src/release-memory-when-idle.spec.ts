import { releaseMemoryWhenIdle } from './release-memory-when-idle.js';

describe('releaseMemoryWhenIdle', () => {
  it('collects once, in the first quiet interval after a busy one, and never while busy or quiet', () => {
    jest.useFakeTimers();
    try {
      let cpu = 0;
      let collections = 0;
      const stop = releaseMemoryWhenIdle({ intervalMs: 1_000, busyCpuShare: 0.2 }, { cpuMicros: () => cpu, collect: () => void (collections += 1) });
      const interval = (cpuMs: number): void => {
        cpu += cpuMs * 1_000;
        jest.advanceTimersByTime(1_000);
      };
      interval(10); // quiet from the start: nothing to give back
      expect(collections).toBe(0);
      interval(900); // busy
      interval(500); // still busy
      expect(collections).toBe(0);
      interval(5); // quiet again: once
      expect(collections).toBe(1);
      interval(5);
      interval(0);
      expect(collections).toBe(1);
      interval(300); // a second burst, a second collection after it
      interval(1);
      expect(collections).toBe(2);
      stop();
      interval(900);
      interval(0);
      expect(collections).toBe(2);
    } finally {
      jest.useRealTimers();
    }
  });
});
