/** Why an input could not be used as a token reference. Stable, documented codes. */
export type TokenInputErrorCode =
  | 'invalid_input'
  | 'token_too_large'
  | 'malformed_token'
  | 'invalid_jti'
  | 'invalid_sub'
  | 'invalid_exp'
  | 'invalid_iat'
  | 'missing_exp'
  | 'missing_token_id'
  | 'invalid_time';

/**
 * The token or claims handed to the blacklist cannot be used: malformed, oversized, or a claim
 * of the wrong type. Request input is untrusted, so this is an expected outcome (the middleware
 * answers 401 `token_invalid`), never a crash.
 */
export class TokenInputError extends Error {
  static readonly code = 'E_TOKEN_INPUT';
  override readonly name = 'TokenInputError';
  readonly code: TokenInputErrorCode;
  /** HTTP status a framework should use if this error reaches its error handler. */
  readonly status = 401;
  readonly statusCode = 401;
  constructor(code: TokenInputErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/**
 * Redis could not be reached (or did not answer within `commandTimeoutMs`), the local mirror
 * is not known to be in sync, and `onRedisError` is `'deny'`: the check cannot be decided.
 * Carries `status = 503` so Express's default error handler (and express-jwt) answer 503.
 */
export class RevocationUnavailableError extends Error {
  static readonly code = 'E_REVOCATION_UNAVAILABLE';
  override readonly name = 'RevocationUnavailableError';
  readonly code = 'revocation_unavailable';
  readonly status = 503;
  readonly statusCode = 503;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Invalid options passed to `createTokenBlacklist`; names the field and the expected form. */
export class TokenBlacklistConfigError extends Error {
  static readonly code = 'E_TOKEN_BLACKLIST_CONFIG';
  override readonly name = 'TokenBlacklistConfigError';
  readonly code = 'invalid_option';
  readonly field: string;
  constructor(field: string, expected: string) {
    super(`createTokenBlacklist: option \`${field}\` must be ${expected}`);
    this.field = field;
  }
}

/** Every error this package throws, by name. */
export const errors = {
  TokenInputError,
  RevocationUnavailableError,
  TokenBlacklistConfigError,
} as const;
