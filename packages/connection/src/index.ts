export { type BackoffOptions, backoffDelay } from './backoff.js';
export { isCluster, isSingleNode } from './client-kind.js';
export type {
  HostPort,
  RedisClusterConfig,
  RedisClusterInput,
  RedisConfig,
  RedisConfigInput,
  RedisDisabledConfig,
  RedisSentinelConfig,
  RedisSentinelInput,
  RedisStandaloneConfig,
  RedisStandaloneInput,
  RedisTlsConfig,
  RedisTlsInput,
  RedisTuning,
  RedisTuningInput,
} from './config-types.js';
export type {
  CreateRedisOptions,
  RedisConnection,
  RedisHealth,
  RedisStatus,
  RedisStatusListener,
} from './connection-types.js';
export { createRedis } from './create-redis.js';
export { defineRedisConfig } from './define.js';
export { DURATION_FORM, type Duration, type DurationUnit, durationToMs } from './duration.js';
export { ENV_VARIABLES, loadRedisConfig } from './env.js';
export { errors, RedisConfigError } from './errors.js';
export { quitOrDisconnect } from './quit.js';
export { redactError, redactSecrets, redactUrl } from './redact.js';
export { observeResubscribes } from './resubscribe.js';
export * from './runtime/index.js';
export { type LogFn, type Logger, type RedisClient, silentLogger } from './types.js';
