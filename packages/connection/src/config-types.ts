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

/** Behaviour settings shared by every topology (all resolved to their defaults). */
export interface RedisTuning {
  /** Prefix ioredis adds to every key (`REDIS_KEY_PREFIX`), e.g. `dental:`. Default `''`. */
  keyPrefix: string;
  /** Give up a connection attempt after this long. Default 5000. */
  connectTimeoutMs: number;
  /** Reject any command, queued or sent, that has no reply after this long. Default 2000. */
  commandTimeoutMs: number;
  /** Reject a queued command after this many failed reconnect attempts. Default 2. */
  maxRetriesPerRequest: number;
  /** Default timeout of `health()`. Default 1000. */
  healthTimeoutMs: number;
  /** `reconnecting` turns into `down` after this long without a connection. Default 5000. */
  downAfterMs: number;
  /** First reconnect delay. Default 50. */
  retryBaseMs: number;
  /** Largest reconnect delay. Default 2000. */
  retryMaxMs: number;
  /** ioredis `enableAutoPipelining`. Default false. */
  enableAutoPipelining: boolean;
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

interface RedisInputBase extends Partial<RedisTuning> {
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
