export { auditPrefix, newPrefix, RedisTestScope, testRedisClient, testRedisClusterNodes, testRedisEnv, testRedisUrl } from './test-redis.js';
export type { KeyAudit, TestRedisClient } from './test-redis.js';
export { repoRoot } from './repo-root.js';
export { kubectl, testKube, testNamespace } from './test-kube.js';
export { podSignal, testSignal } from './test-signal.js';
export { TestPki } from './test-pki.js';
export type { IssueOptions } from './test-pki.js';
export { grpcurlPath } from './grpcurl-path.js';
export { mountSecretVolume, updateSecretVolume } from './secret-volume.js';
