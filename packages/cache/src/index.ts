export type { CircuitBreakerOptions, CircuitState } from './breaker.js';
export { Cache, createCache } from './cache.js';
export { type Duration, parseDuration } from './duration.js';
export {
  CacheCircuitOpenError,
  CacheConfigError,
  CacheDurationError,
  CacheError,
  CacheSerializationError,
  CacheTimeoutError,
  CacheUndefinedValueError,
  errors,
} from './errors.js';
export {
  type DefinedKeys,
  defineKeys,
  encodeSegment,
  escapeGlob,
  type KeySegment,
} from './keys.js';
export {
  jsonSerializer,
  type MsgpackLike,
  msgpackSerializer,
  type Serializer,
} from './serializer.js';
export type {
  CacheEvents,
  CacheOptions,
  CacheStats,
  GetOrSetOptions,
  L1Options,
  MsetEntry,
  SetOptions,
} from './types.js';
