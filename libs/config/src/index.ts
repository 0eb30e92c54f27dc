export { ConfigError, EnvReader } from './env-reader.js';
export type { Env, IntBounds } from './env-reader.js';
export { readCommonConfig } from './common-config.js';
export type { CommonConfig, LogLevel } from './common-config.js';
