export { startTelemetry } from './start-telemetry.js';
export type { Telemetry, TelemetryConfig } from './start-telemetry.js';
