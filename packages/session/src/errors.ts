import { ToolkitError } from '@redis-toolkit/connection';

/** An invalid option at startup; `field` names the option (`secret[1]`, `cookie.maxAge`…). */
export class SessionConfigError extends ToolkitError {
  static override readonly code: string = 'E_SESSION_INVALID_OPTION';
  constructor(field: string, message: string) {
    super(`${field}: ${message}`, { field });
  }
}

/** No cookie signing secret was given (refused in every environment). */
export class SessionSecretMissingError extends SessionConfigError {
  static override readonly code = 'E_SESSION_SECRET_MISSING' as const;
}

/** A secret shorter than 32 characters in production. */
export class SessionSecretTooShortError extends SessionConfigError {
  static override readonly code = 'E_SESSION_SECRET_TOO_SHORT' as const;
}

/**
 * Redis could not serve the session under `onRedisError: 'deny'` (outage, timeout, or a
 * security-critical write no replica confirmed). The runtime's `RedisUnavailableError` is the
 * `cause`. The middleware and `errorHandler` answer it with 503 + `Retry-After`.
 */
export class SessionStoreUnavailableError extends ToolkitError {
  static override readonly code = 'E_SESSION_UNAVAILABLE' as const;
}

/** A request argument (session id, user id, listed id) that cannot be used: answered 400. */
export class SessionInputError extends ToolkitError {
  static override readonly code = 'E_SESSION_INVALID_INPUT' as const;
}

export function isSessionStoreUnavailable(error: unknown): error is SessionStoreUnavailableError {
  return error instanceof SessionStoreUnavailableError;
}

/** Every error this package throws, by name. */
export const errors = {
  SessionConfigError,
  SessionSecretMissingError,
  SessionSecretTooShortError,
  SessionStoreUnavailableError,
  SessionInputError,
} as const;
