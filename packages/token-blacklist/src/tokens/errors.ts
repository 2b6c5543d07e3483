import { ToolkitError } from '@redis-toolkit/connection';

/** Invalid options passed to `createOneTimeTokens` / `createRefreshTokens`; `field` names the option. */
export class TokensConfigError extends ToolkitError {
  static override readonly code = 'E_TOKENS_CONFIG';
  constructor(factory: string, field: string, message: string) {
    super(`${factory}: ${message}`, { field });
  }
}

/**
 * Too many tokens issued for one subject within `issueLimit.per`. A 429 for the caller;
 * `retryAfterSeconds` (≥ 1) says when the window ends.
 */
export class TokensLimitedError extends ToolkitError {
  static override readonly code = 'E_TOKENS_LIMITED';
  readonly status = 429;
  readonly statusCode = 429;
  readonly retryAfterSeconds: number;
  constructor(message: string, retryAfterSeconds: number) {
    super(message);
    this.retryAfterSeconds = Math.max(1, Math.ceil(retryAfterSeconds));
  }
}

/**
 * Redis cannot answer (outage, timeout, a revocation no replica confirmed) and the answer cannot
 * safely come from this instance's memory: a token consumed here could still be consumed on
 * another instance. `status = 503`, `retryAfterSeconds` = seconds until the runtime's next probe.
 */
export class TokensUnavailableError extends ToolkitError {
  static override readonly code = 'E_TOKENS_UNAVAILABLE';
  readonly status = 503;
  readonly statusCode = 503;
  readonly retryAfterSeconds: number;
  constructor(message: string, options: { cause?: unknown; retryAfterSeconds?: number } = {}) {
    super(message, { cause: options.cause });
    this.retryAfterSeconds = Math.max(1, Math.ceil(options.retryAfterSeconds ?? 1));
  }
}

/**
 * A refresh token that was already rotated away came back: it was copied. Its whole family has
 * been revoked (every token of that login); the caller should end the subject's sessions too.
 */
export class TokenReusedError extends ToolkitError {
  static override readonly code = 'E_TOKENS_REUSED';
  readonly status = 401;
  readonly statusCode = 401;
  readonly subject: string;
  readonly familyId: string;
  constructor(subject: string, familyId: string) {
    super('refresh token reused: it was rotated already; its family has been revoked');
    this.subject = subject;
    this.familyId = familyId;
  }
}

/** Why a presented refresh token was not accepted. */
export type TokenInvalidReason = 'malformed' | 'unknown';

/**
 * A refresh token that is malformed, expired, revoked, or was never issued. Untrusted input: a
 * 401, never a 5xx.
 */
export class TokenInvalidError extends ToolkitError {
  static override readonly code = 'E_TOKENS_INVALID';
  readonly status = 401;
  readonly statusCode = 401;
  readonly reason: TokenInvalidReason;
  constructor(reason: TokenInvalidReason, message: string) {
    super(message);
    this.reason = reason;
  }
}

/** A subject, purpose or data the application passed cannot be used (a programming error: 400). */
export class TokensInputError extends ToolkitError {
  static override readonly code = 'E_TOKENS_INPUT';
  readonly status = 400;
  readonly statusCode = 400;
}
