export { alertmanagerBinary, AlertmanagerProcess } from './alertmanager-process.js';
export type { AlertmanagerOptions } from './alertmanager-process.js';
export { freePort } from './free-port.js';
export { REDIS_INSTALL_HINT, redisServerAvailable, RedisServer } from './redis-server.js';
export type { RedisServerOptions } from './redis-server.js';
export { ServiceProcess } from './service-process.js';
export type { AppName, ServiceProcessOptions } from './service-process.js';
export { startSystem } from './system.js';
export type { RunningSystem, SystemOptions } from './system.js';
