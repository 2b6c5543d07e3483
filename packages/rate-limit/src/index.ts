export { ipKeyGenerator } from 'express-rate-limit';
export { combineLimits } from './combined.js';
export {
  errors,
  RateLimitConfigError,
  RateLimitCostError,
  RateLimitedError,
  RateLimitUnavailableError,
} from './errors.js';
export type { RateLimitInfo } from './headers.js';
export type {
  CombinedRateLimitMiddleware,
  CombineLimitsOptions,
  KeyBy,
  Message,
  RateLimiterOptions,
  RateLimitMiddleware,
} from './http-types.js';
export { createLimiter, type Limiter } from './limiter.js';
export { createRateLimiter } from './middleware.js';
export { ipAndUsername, normalizeUsername, type Preset, presets } from './presets.js';
export { LimiterStore } from './store.js';
export type {
  Algorithm,
  DecisionSource,
  LimiterEvents,
  LimiterOptions,
  LimiterStats,
  RateLimitDecision,
  RedisErrorPolicy,
} from './types.js';
