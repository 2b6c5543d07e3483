/** Thrown at startup for invalid options; `code` names the problem, `field` the option. */
export class SessionConfigError extends Error {
  static readonly codes = {
    secretMissing: 'ERR_SESSION_SECRET_MISSING',
    secretTooShort: 'ERR_SESSION_SECRET_TOO_SHORT',
    invalidOption: 'ERR_SESSION_INVALID_OPTION',
  } as const;
  override readonly name = 'SessionConfigError';
  readonly code: (typeof SessionConfigError.codes)[keyof typeof SessionConfigError.codes];
  readonly field: string;
  constructor(
    code: (typeof SessionConfigError.codes)[keyof typeof SessionConfigError.codes],
    field: string,
    message: string,
  ) {
    super(`${field}: ${message} [${code}]`);
    this.code = code;
    this.field = field;
  }
}

/**
 * Redis could not be reached in time (down, paused, reconnecting, circuit open). The original
 * error, if any, is the `cause`. The middleware turns it into a 503 under `onRedisError: 'fail'`.
 */
export class SessionStoreUnavailableError extends Error {
  static readonly code = 'session_store_unavailable';
  override readonly name = 'SessionStoreUnavailableError';
  readonly code = SessionStoreUnavailableError.code;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A request argument (user id, session handle) that cannot be used. */
export class SessionInputError extends Error {
  static readonly code = 'ERR_SESSION_INVALID_INPUT';
  override readonly name = 'SessionInputError';
  readonly code = SessionInputError.code;
}

export function isSessionStoreUnavailable(error: unknown): error is SessionStoreUnavailableError {
  return error instanceof SessionStoreUnavailableError;
}

/** Every error this package throws, by name. */
export const errors = {
  SessionConfigError,
  SessionStoreUnavailableError,
  SessionInputError,
} as const;
