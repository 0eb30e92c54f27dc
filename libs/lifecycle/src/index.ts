export { exitOnStartupFailure, handleShutdown } from './handle-shutdown.js';
