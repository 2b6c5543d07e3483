export { ipKeyGenerator } from 'express-rate-limit';
export { type Duration, type DurationUnit, parseDuration } from './duration.js';
export {
  errors,
  RateLimitConfigError,
  RateLimitCostError,
  RateLimitError,
  type RateLimitErrorCode,
  RedisUnavailableError,
} from './errors.js';
export type { KeyBy, Message, RateLimiterOptions, RateLimitMiddleware } from './http-types.js';
export { encodeKeyPart } from './keys.js';
export { createLimiter, type Limiter } from './limiter.js';
export { fixedWindowConsume, fixedWindowPeek, fixedWindowRefund } from './lua/fixed-window.js';
export type { LuaScript } from './lua/script.js';
export {
  slidingWindowConsume,
  slidingWindowPeek,
  slidingWindowRefund,
} from './lua/sliding-window.js';
export { createRateLimiter } from './middleware.js';
export { ipAndUsername, normalizeUsername, type Preset, presets } from './presets.js';
export { LimiterStore } from './store.js';
export { RedisTimeoutError } from './timeout.js';
export type {
  Algorithm,
  DecisionSource,
  LimiterEvents,
  LimiterOptions,
  LimiterStats,
  RateLimitDecision,
  RedisErrorPolicy,
} from './types.js';
