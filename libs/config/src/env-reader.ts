/**
 * Typed, validated reads of environment variables. Each app has exactly one config.ts that
 * builds an EnvReader over process.env; nothing else reads the environment. A bad value throws
 * a ConfigError that names the variable, so a misconfigured Deployment fails at start-up with
 * the reason in its log instead of misbehaving later.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable}: ${problem}`);
  }
}

export type Env = Readonly<Record<string, string | undefined>>;

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
const DURATION_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export interface IntBounds {
  readonly min?: number;
  readonly max?: number;
}

export class EnvReader {
  constructor(private readonly env: Env) {}

  /** The raw value, or undefined when unset or empty. */
  optional(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  string(name: string, fallback: string): string {
    return this.optional(name) ?? fallback;
  }

  required(name: string): string {
    const value = this.optional(name);
    if (value === undefined) throw new ConfigError(name, 'is required but not set');
    return value;
  }

  int(name: string, fallback: number, bounds: IntBounds = {}): number {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    if (!/^-?\d+$/.test(raw)) throw new ConfigError(name, `must be an integer, got "${raw}"`);
    return this.bounded(name, Number(raw), bounds);
  }

  /** Byte sizes: plain bytes or with a binary unit (64KiB, 4MiB). */
  bytes(name: string, fallback: number, bounds: IntBounds = {}): number {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    const match = /^(\d+)\s*(B|KiB|MiB|GiB)?$/.exec(raw);
    if (!match) throw new ConfigError(name, `must be a size like 1048576, 64KiB or 4MiB, got "${raw}"`);
    const unit = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 }[match[2] ?? 'B'] ?? 1;
    return this.bounded(name, Number(match[1]) * unit, bounds);
  }

  /** Durations in milliseconds, written as 250ms, 30s, 5m, 4h or 1d. */
  durationMs(name: string, fallbackMs: number, bounds: IntBounds = {}): number {
    const raw = this.optional(name);
    if (raw === undefined) return fallbackMs;
    // Zero needs no unit (docs/operations.md: REDIS_MONITOR_INTERVAL=0 turns the monitor off).
    if (raw.trim() === '0') return this.bounded(name, 0, bounds);
    const match = DURATION.exec(raw);
    if (!match) throw new ConfigError(name, `must be a duration like 500ms, 30s, 5m or 4h, got "${raw}"`);
    return this.bounded(name, Math.round(Number(match[1]) * (DURATION_MS[match[2] ?? 'ms'] ?? 1)), bounds);
  }

  bool(name: string, fallback: boolean): boolean {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    const lower = raw.toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(lower)) return true;
    if (['false', '0', 'no', 'off'].includes(lower)) return false;
    throw new ConfigError(name, `must be true or false, got "${raw}"`);
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    const found = allowed.find((value) => value === raw);
    if (found === undefined) throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got "${raw}"`);
    return found;
  }

  /** Comma-separated list, entries trimmed, empties dropped. */
  list(name: string, fallback: readonly string[]): readonly string[] {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    const items = raw
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
    if (items.length === 0) throw new ConfigError(name, 'must list at least one value');
    return items;
  }

  /** host:port of a gRPC peer. */
  /**
   * A gRPC target: host:port (resolved by DNS: every address of a headless Service),
   * dns:///host:port, or a fixed list ipv4:a.b.c.d:port,… (several replicas without DNS).
   */
  grpcTarget(name: string, fallback: string): string {
    const value = this.string(name, fallback);
    const hostPort = '([A-Za-z0-9.\\-_]+|\\[[0-9A-Fa-f:.]+\\]):\\d{1,5}';
    const ipv4Port = '\\d{1,3}(\\.\\d{1,3}){3}:\\d{1,5}';
    if (!new RegExp(`^((dns:(//[^/]*)?/)?${hostPort}|ipv4:${ipv4Port}(,${ipv4Port})*)$`).test(value)) {
      throw new ConfigError(name, `must be host:port, dns:///host:port or ipv4:address:port,…, got "${value}"`);
    }
    return value;
  }

  private bounded(name: string, value: number, { min, max }: IntBounds): number {
    if (min !== undefined && value < min) throw new ConfigError(name, `must be at least ${min}, got ${value}`);
    if (max !== undefined && value > max) throw new ConfigError(name, `must be at most ${max}, got ${value}`);
    return value;
  }
}
