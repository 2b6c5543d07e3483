export {
  errors,
  isSessionStoreUnavailable,
  SessionConfigError,
  SessionInputError,
  SessionSecretMissingError,
  SessionSecretTooShortError,
  SessionStoreUnavailableError,
} from './errors.js';
export { createSessionMiddleware, type SessionMiddleware } from './middleware.js';
export { parseDuration } from './options.js';
export { sessionHandle } from './store/keys.js';
export type { RedisSessionStore } from './store/store.js';
export type {
  DurabilityOptions,
  Duration,
  LoginDetails,
  OnRedisError,
  SessionAuth,
  SessionMiddlewareOptions,
  SessionStats,
  UserSessionInfo,
} from './types.js';
