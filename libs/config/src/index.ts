export { ConfigError, EnvReader } from './env-reader.js';
export type { Env, IntBounds } from './env-reader.js';
export { readCommonConfig, readGrpcTls } from './common-config.js';
export type { CommonConfig, GrpcTlsSettings, LogLevel } from './common-config.js';
