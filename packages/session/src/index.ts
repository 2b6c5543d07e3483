export {
  errors,
  isSessionStoreUnavailable,
  SessionConfigError,
  SessionInputError,
  SessionStoreUnavailableError,
} from './errors.js';
export { sessionHandle } from './keys.js';
export { createSessionMiddleware, type SessionMiddleware } from './middleware.js';
export { parseDuration } from './options.js';
export { RedisSessionStore, type RedisSessionStoreOptions } from './redis-store.js';
export type {
  Duration,
  LoginDetails,
  OnRedisError,
  SessionAuth,
  SessionMiddlewareOptions,
  SessionStats,
  UserSessionInfo,
} from './types.js';
