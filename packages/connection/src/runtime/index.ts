export { isAvailabilityError } from './classify.js';
export { DeadlineSweeper } from './deadline.js';
export {
  type DurabilityOptions,
  durableWrite,
  type ResolvedDurability,
  resolveDurability,
} from './durable.js';
export {
  isRedisUnavailable,
  RedisUnavailableError,
  ToolkitError,
  type UnavailableReason,
} from './errors.js';
export {
  EVENT_TYPES,
  type ToolkitCounters,
  type ToolkitEvent,
  ToolkitEvents,
  type ToolkitEventType,
  type ToolkitListener,
} from './events.js';
export {
  createFileOutbox,
  type FileOutboxOptions,
  OutboxConfigError,
  OutboxFullError,
} from './file-outbox.js';
export {
  encodeKeySegment,
  escapeGlob,
  globToRegExp,
  hashTag,
  type KeySegment,
  keyPrefixOf,
  packageNamespace,
} from './keys.js';
export { type LogSafeError, logSafeError } from './log-safe.js';
export {
  durationOption,
  nearest,
  type OptionErrorFactory,
  type RedisInput,
  type ResolvedShared,
  refuseUnknownOptions,
  resolveSharedOptions,
  SHARED_OPTION_NAMES,
  type SharedOptions,
  timeoutOption,
} from './options.js';
export type { Outbox, OutboxEntry } from './outbox.js';
export { type OutboxReplayer, type OutboxReplayOptions, startOutboxReplay } from './replay.js';
export {
  type OutageInfo,
  RedisRuntime,
  type RuntimeEvent,
  type RuntimeListener,
  type RuntimeOptions,
} from './runtime.js';
export { mastersOf, type ScanOptions, scanKeys } from './scan.js';
export { defineScript, evalScriptOn, type LuaScript, loadScripts, runScript } from './scripts.js';
