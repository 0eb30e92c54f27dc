/** The benchmarks' few statistics, in one place. */

/** The q-quantile of values sorted ascending (0 when there are none). */
export const quantile = (sorted: readonly number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;

export const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

/** Two decimals, for printing. */
export const round2 = (value: number): number => Math.round(value * 100) / 100;

/** Three decimals: CPU seconds per 1,000 alerts are hundredths. */
export const round3 = (value: number): number => Math.round(value * 1000) / 1000;
