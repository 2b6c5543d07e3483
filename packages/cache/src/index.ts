export {
  type DurabilityOptions,
  type Duration,
  encodeKeySegment,
  escapeGlob,
  type KeySegment,
  type ToolkitEvent,
  type ToolkitListener,
} from '@redis-toolkit/connection';
export type { Cache, GetMeta } from './cache.js';
export { createCache } from './cache.js';
export type {
  DecryptFailure,
  EncryptionKey,
  EncryptionOptions,
  NamespaceOptions,
} from './encryption/types.js';
export {
  CacheConfigError,
  CacheError,
  CacheNotCounterError,
  CacheSerializationError,
  CacheUnavailableError,
  CacheUndefinedValueError,
  errors,
} from './errors.js';
export { type DefinedKeys, defineKeys } from './keys/define-keys.js';
export type {
  CacheOptions,
  CachePolicy,
  CacheSource,
  GetOptions,
  GetOrSetOptions,
  IncrOptions,
  L1Invalidation,
  L1Options,
  MsetEntry,
  SetOptions,
  WithMeta,
} from './options/types.js';
export {
  jsonSerializer,
  type MsgpackLike,
  msgpackSerializer,
  type Serializer,
} from './serializer.js';
export type { CacheEvents, CacheStats } from './stats/types.js';
