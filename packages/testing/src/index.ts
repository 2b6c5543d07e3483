export { type RedisClusterHandle, type StartClusterOptions, startCluster } from './cluster.js';
export { MISSING_REDIS_SERVER, RedisTestServerError } from './errors.js';
export { freePort, waitUntil } from './process.js';
export { type SentinelHandle, type StartSentinelOptions, startSentinel } from './sentinel.js';
export { type RedisServer, type StartRedisOptions, startRedis } from './standalone.js';
export type { TlsFiles } from './tls.js';
export {
  ALL_TOPOLOGIES,
  describeEachTopology,
  type TopologyContext,
  type TopologyName,
} from './topology.js';
