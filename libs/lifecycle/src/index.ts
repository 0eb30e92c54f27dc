export { exitOnStartupFailure, handleShutdown } from './handle-shutdown.js';
export { IDLE_RELEASE_DEFAULTS, releaseMemoryWhenIdle } from './release-memory-when-idle.js';
export type { IdleReleaseOptions } from './release-memory-when-idle.js';
