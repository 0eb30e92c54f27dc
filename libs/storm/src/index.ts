export { aggregateName } from './aggregate-name.js';
export { settingsFor, STORM_DEFAULTS } from './storm-config.js';
export type { StormConfig, StormSettings } from './storm-config.js';
export { createStormService, STORM_SERVICE_NAME } from './storm-service.js';
export { StormStore } from './storm-store.js';
export type { StormQuery, StormState, StormVerdict } from './storm-store.js';
