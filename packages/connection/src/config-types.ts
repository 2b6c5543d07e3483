import type { Duration } from './duration.js';

/** A `host:port` pair (IPv6 hosts without brackets). */
export interface HostPort {
  host: string;
  port: number;
}

/** TLS settings with certificate contents already read from disk. */
export interface RedisTlsConfig {
  /** PEM of the CA that signed the server certificate (default: Node's trusted CAs). */
  ca?: string;
  /** PEM client certificate, for servers that require client auth (with `key`). */
  cert?: string;
  /** PEM client private key. */
  key?: string;
  /** Verify the server certificate (default true; false only for local experiments). */
  rejectUnauthorized: boolean;
}

/**
 * Behaviour settings shared by every topology, resolved to their defaults. Durations are kept
 * in milliseconds here (the `*Ms` fields); options and variables give them as `Duration`s.
 */
export interface RedisTuning {
  /** Prefix ioredis adds to every key (`REDIS_KEY_PREFIX`), e.g. `dental:`. Default `''`. */
  keyPrefix: string;
  /** From `connectTimeout`: give up a connection attempt after this long. Default 5000 (5 s). */
  connectTimeoutMs: number;
  /** From `commandTimeout`: reject any command, queued or sent, with no reply after this long. Default 2000 (2 s). */
  commandTimeoutMs: number;
  /** Reject a queued command after this many failed reconnect attempts. Default 2. */
  maxRetriesPerRequest: number;
  /** From `healthTimeout`: default deadline of `health()`. Default 1000 (1 s). */
  healthTimeoutMs: number;
  /** From `downAfter`: `reconnecting` turns into `down` after this long without a connection. Default 5000 (5 s). */
  downAfterMs: number;
  /** From `retryBase`: first reconnect delay. Default 50. */
  retryBaseMs: number;
  /** From `retryMax`: largest reconnect delay. Default 2000 (2 s). */
  retryMaxMs: number;
  /** ioredis `enableAutoPipelining`. Default false. */
  enableAutoPipelining: boolean;
}

/**
 * The tuning options as given: durations are `Duration`s (a number is seconds, a string carries
 * its unit: `'2s'`, `'500ms'`). The `*Ms` names are deprecated aliases taking milliseconds;
 * giving both names of one setting is a `RedisConfigError`.
 */
export interface RedisTuningInput {
  /** Prefix ioredis adds to every key (`REDIS_KEY_PREFIX`), e.g. `dental:`. Default `''`. */
  keyPrefix?: string;
  /** Give up a connection attempt after this long (`REDIS_CONNECT_TIMEOUT`). Default `'5s'`. */
  connectTimeout?: Duration;
  /** Reject any command, queued or sent, that has no reply after this long (`REDIS_COMMAND_TIMEOUT`). Default `'2s'`. */
  commandTimeout?: Duration;
  /** Reject a queued command after this many failed reconnect attempts. Default 2. */
  maxRetriesPerRequest?: number;
  /** Default deadline of `health()` (`REDIS_HEALTH_TIMEOUT`). Default `'1s'`. */
  healthTimeout?: Duration;
  /** `reconnecting` turns into `down` after this long without a connection (`REDIS_DOWN_AFTER`). Default `'5s'`. */
  downAfter?: Duration;
  /** First reconnect delay (`REDIS_RETRY_BASE`). Default `'50ms'`. */
  retryBase?: Duration;
  /** Largest reconnect delay, at least `retryBase` (`REDIS_RETRY_MAX`). Default `'2s'`. */
  retryMax?: Duration;
  /** ioredis `enableAutoPipelining`. Default false. */
  enableAutoPipelining?: boolean;
  /** @deprecated Use `connectTimeout` (a `Duration`): `connectTimeoutMs: 5000` is `connectTimeout: '5s'`. */
  connectTimeoutMs?: number;
  /** @deprecated Use `commandTimeout` (a `Duration`): `commandTimeoutMs: 2000` is `commandTimeout: '2s'`. */
  commandTimeoutMs?: number;
  /** @deprecated Use `healthTimeout` (a `Duration`): `healthTimeoutMs: 1000` is `healthTimeout: '1s'`. */
  healthTimeoutMs?: number;
  /** @deprecated Use `downAfter` (a `Duration`): `downAfterMs: 5000` is `downAfter: '5s'`. */
  downAfterMs?: number;
  /** @deprecated Use `retryBase` (a `Duration`): `retryBaseMs: 50` is `retryBase: '50ms'`. */
  retryBaseMs?: number;
  /** @deprecated Use `retryMax` (a `Duration`): `retryMaxMs: 2000` is `retryMax: '2s'`. */
  retryMaxMs?: number;
}

interface RedisEnabledBase extends RedisTuning {
  enabled: true;
  username?: string;
  password?: string;
  /** Present when TLS is on. */
  tls?: RedisTlsConfig;
  /** Non-fatal notes found while loading (e.g. a variable ignored because another wins); logged by `createRedis`. */
  warnings: string[];
}

export interface RedisStandaloneConfig extends RedisEnabledBase {
  mode: 'standalone';
  host: string;
  port: number;
  db: number;
}

export interface RedisSentinelConfig extends RedisEnabledBase {
  mode: 'sentinel';
  sentinels: HostPort[];
  masterName: string;
  db: number;
  sentinelUsername?: string;
  sentinelPassword?: string;
}

export interface RedisClusterConfig extends RedisEnabledBase {
  mode: 'cluster';
  nodes: HostPort[];
}

export interface RedisDisabledConfig {
  enabled: false;
}

/** A validated configuration, from `loadRedisConfig()` or `defineRedisConfig()`. */
export type RedisConfig =
  | RedisDisabledConfig
  | RedisStandaloneConfig
  | RedisSentinelConfig
  | RedisClusterConfig;

/** TLS as given in options: contents or file paths (files are read when the config is resolved). */
export interface RedisTlsInput {
  ca?: string;
  cert?: string;
  key?: string;
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  rejectUnauthorized?: boolean;
}

interface RedisInputBase extends RedisTuningInput {
  enabled?: true;
  username?: string;
  password?: string;
  tls?: boolean | RedisTlsInput;
  warnings?: string[];
}

export interface RedisStandaloneInput extends RedisInputBase {
  mode?: 'standalone';
  /** `redis[s]://[user[:password]@]host[:port][/db]`; explicit fields below fill what it leaves out. */
  url?: string;
  host?: string;
  port?: number;
  db?: number;
}

export interface RedisSentinelInput extends RedisInputBase {
  mode?: 'sentinel';
  /** `[{host, port}]` or `'host:port,host:port'`. */
  sentinels: HostPort[] | string;
  masterName: string;
  db?: number;
  sentinelUsername?: string;
  sentinelPassword?: string;
}

export interface RedisClusterInput extends RedisInputBase {
  mode?: 'cluster';
  /** `[{host, port}]` or `'host:port,[::1]:port'`. */
  nodes: HostPort[] | string;
}

/**
 * What `createRedis` and `defineRedisConfig` accept: a `RedisConfig`, or the same shape with
 * defaults left out and TLS files given by path. Validated exactly like environment variables.
 */
export type RedisConfigInput =
  | RedisDisabledConfig
  | RedisStandaloneInput
  | RedisSentinelInput
  | RedisClusterInput;

export const DEFAULTS: RedisTuning = {
  keyPrefix: '',
  connectTimeoutMs: 5000,
  commandTimeoutMs: 2000,
  maxRetriesPerRequest: 2,
  healthTimeoutMs: 1000,
  downAfterMs: 5000,
  retryBaseMs: 50,
  retryMaxMs: 2000,
  enableAutoPipelining: false,
};
