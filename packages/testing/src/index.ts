export {
  type CapturedLogger,
  type CaptureLogFn,
  captureLogger,
  type LogEntry,
  type LogLevel,
} from './capture-logger.js';
export { type RedisClusterHandle, type StartClusterOptions, startCluster } from './cluster.js';
export {
  type CookieClient,
  cookieClient,
  type HttpReply,
  type RequestOptions,
} from './cookie-client.js';
export { CookieJar } from './cookie-jar.js';
export {
  MISSING_REDIS_SERVER,
  RedisTestServerError,
  TestKitError,
  type TestKitErrorCode,
  WaitTimeoutError,
} from './errors.js';
export { type FlightCounter, startFlightCounter } from './flight-counter.js';
export { type Instance, type Instances, startInstances } from './instances.js';
export { type Listening, type ListenOptions, listen } from './listen.js';
export {
  type NodeInstance,
  type ProcessExit,
  type SpawnNodeOptions,
  spawnNodeInstance,
} from './node-instance.js';
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
