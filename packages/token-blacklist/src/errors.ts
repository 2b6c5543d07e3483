import { ToolkitError } from '@redis-toolkit/connection';
import {
  TokenInvalidError,
  TokenReusedError,
  TokensConfigError,
  TokensInputError,
  TokensLimitedError,
  TokensUnavailableError,
} from './tokens/errors.js';

/** Why an input could not be used as a token reference. Stable, documented reasons. */
export type TokenInputReason =
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
 * answers 401), never a crash. `reason` says which rule it broke.
 */
export class TokenInputError extends ToolkitError {
  static override readonly code = 'E_BLACKLIST_INPUT';
  readonly reason: TokenInputReason;
  /** HTTP status a framework should use if this error reaches its error handler. */
  readonly status = 401;
  readonly statusCode = 401;
  constructor(reason: TokenInputReason, message: string) {
    super(message);
    this.reason = reason;
  }
}

/** A revoked token reached `rejectRevoked` (its 401 body carries this code). */
export class TokenRevokedError extends ToolkitError {
  static override readonly code = 'E_BLACKLIST_REVOKED';
  readonly status = 401;
  readonly statusCode = 401;
}

/**
 * Revocation state cannot be decided or made durable right now: Redis is unavailable (outage,
 * timeout, a write no replica confirmed) and the policy is `'deny'`, or a revocation has no outbox
 * to go to, or `assertCanIssue()` refuses new credentials. Carries `status = 503` and
 * `retryAfterSeconds` (≥ 1) so Express's default error handler and express-jwt answer 503.
 */
export class BlacklistUnavailableError extends ToolkitError {
  static override readonly code = 'E_BLACKLIST_UNAVAILABLE';
  readonly status = 503;
  readonly statusCode = 503;
  readonly retryAfterSeconds: number;
  constructor(message: string, options: { cause?: unknown; retryAfterSeconds?: number } = {}) {
    super(message, { cause: options.cause });
    this.retryAfterSeconds = Math.max(1, Math.ceil(options.retryAfterSeconds ?? 1));
  }
}

/** Invalid options passed to `createTokenBlacklist`; `field` names the option. */
export class TokenBlacklistConfigError extends ToolkitError {
  static override readonly code = 'E_BLACKLIST_CONFIG';
  /** `where`: the factory the options were given to (`createTokenBlacklist`, `rejectRevoked`...). */
  constructor(field: string, message: string, where = 'createTokenBlacklist') {
    super(`${where}: ${message}`, { field });
  }
}

/** Every error this package throws, by name. */
export const errors = {
  TokenInputError,
  TokenRevokedError,
  BlacklistUnavailableError,
  TokenBlacklistConfigError,
  TokensConfigError,
  TokensInputError,
  TokensLimitedError,
  TokensUnavailableError,
  TokenReusedError,
  TokenInvalidError,
} as const;
