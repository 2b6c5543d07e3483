import type { ClusterOptions, RedisOptions } from 'ioredis';
import { backoffDelay } from './backoff.js';
import type {
  RedisClusterConfig,
  RedisSentinelConfig,
  RedisStandaloneConfig,
  RedisTlsConfig,
} from './config-types.js';

type Enabled = RedisStandaloneConfig | RedisSentinelConfig | RedisClusterConfig;

/** READONLY means we talk to a replica after a failover: reconnect (to the new master) and resend. */
export function reconnectOnReadonly(error: Error): 2 | false {
  return error.message.startsWith('READONLY') ? 2 : false;
}

function tlsOptions(tls: RedisTlsConfig | undefined): RedisOptions['tls'] {
  if (!tls) return undefined;
  return {
    rejectUnauthorized: tls.rejectUnauthorized,
    ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
    ...(tls.cert !== undefined ? { cert: tls.cert } : {}),
    ...(tls.key !== undefined ? { key: tls.key } : {}),
  };
}

/** Options every node connection gets, whatever the topology. */
function nodeOptions(config: Enabled, name: string): RedisOptions {
  const retry = { baseMs: config.retryBaseMs, maxMs: config.retryMaxMs };
  const tls = tlsOptions(config.tls);
  return {
    ...(config.username !== undefined ? { username: config.username } : {}),
    ...(config.password !== undefined ? { password: config.password } : {}),
    ...(tls ? { tls } : {}),
    connectionName: name,
    connectTimeout: config.connectTimeoutMs,
    commandTimeout: config.commandTimeoutMs,
    maxRetriesPerRequest: config.maxRetriesPerRequest,
    retryStrategy: (times: number) => backoffDelay(times, retry),
    reconnectOnError: reconnectOnReadonly,
    enableOfflineQueue: true,
    enableReadyCheck: true,
    lazyConnect: false,
  };
}

export function redisOptions(
  config: RedisStandaloneConfig | RedisSentinelConfig,
  name: string,
): RedisOptions {
  const base: RedisOptions = {
    ...nodeOptions(config, name),
    db: config.db,
    keyPrefix: config.keyPrefix,
    enableAutoPipelining: config.enableAutoPipelining,
  };
  if (config.mode === 'standalone') return { ...base, host: config.host, port: config.port };
  const retry = { baseMs: config.retryBaseMs, maxMs: config.retryMaxMs };
  const sentinelTls = tlsOptions(config.tls);
  return {
    ...base,
    sentinels: config.sentinels,
    name: config.masterName,
    role: 'master',
    ...(config.sentinelUsername !== undefined ? { sentinelUsername: config.sentinelUsername } : {}),
    ...(config.sentinelPassword !== undefined ? { sentinelPassword: config.sentinelPassword } : {}),
    ...(sentinelTls ? { sentinelTLS: sentinelTls, enableTLSForSentinelMode: true } : {}),
    sentinelRetryStrategy: (times: number) => backoffDelay(times, retry),
    sentinelMaxConnections: 10,
    // Without it ioredis keeps writing to a demoted master for ~10 s after a failover.
    failoverDetector: true,
  };
}

export function clusterOptions(config: RedisClusterConfig, name: string): ClusterOptions {
  const retry = { baseMs: config.retryBaseMs, maxMs: config.retryMaxMs };
  return {
    redisOptions: nodeOptions(config, name),
    keyPrefix: config.keyPrefix,
    enableAutoPipelining: config.enableAutoPipelining,
    enableOfflineQueue: true,
    enableReadyCheck: true,
    lazyConnect: false,
    clusterRetryStrategy: (times: number) => backoffDelay(times, retry),
  };
}

/** A log-safe description of where the client connects. */
export function describeTarget(config: Enabled): string {
  const hp = (h: { host: string; port: number }) =>
    h.host.includes(':') ? `[${h.host}]:${h.port}` : `${h.host}:${h.port}`;
  const scheme = config.tls ? 'rediss' : 'redis';
  if (config.mode === 'standalone') return `${scheme}://${hp(config)}/${config.db}`;
  if (config.mode === 'sentinel')
    return `sentinel ${config.masterName} via ${config.sentinels.map(hp).join(',')}`;
  return `cluster ${config.nodes.map(hp).join(',')}`;
}
