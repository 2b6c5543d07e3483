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
export type {
  DurabilityOptions,
  Duration,
  LoginDetails,
  OnRedisError,
  RedisSessionStore,
  SessionAuth,
  SessionKeys,
  SessionMiddlewareOptions,
  SessionStats,
  UserSessionInfo,
} from './types.js';
